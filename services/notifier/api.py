"""The notifier's route table and its OpenAPI document, declared together."""

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from services.notifier import admin, pages, views
from services.notifier.models import (
    Answer,
    DeliveryStatus,
    Preferences,
    PreferencesRequest,
    RetryAnswer,
    SubscribeRequest,
    SubscriberList,
    SubscriberListQuery,
    SuppressionList,
    TokenQuery,
)
from shared.openapi import ApiSpec

HTML = "An HTML page"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def add_routes(app: web.Application) -> None:
    spec = ApiSpec(
        "Notifier",
        "1.0",
        "Email subscriptions with double opt-in, and the sending of each new article.",
    )
    route = app.router

    def add(method: str, path: str, handler: Handler, summary: str, **kwargs: Any) -> None:
        route.add_route(method, path, handler)
        spec.operation(method, path, summary, **kwargs)

    add(
        "POST",
        "/api/subscribers",
        views.subscribe,
        "Sign up (double opt-in)",
        tag="subscribers",
        body=SubscribeRequest,
        responses={202: Answer, 429: "Rate limited"},
    )
    add(
        "GET",
        "/api/subscribers/confirm",
        views.confirm,
        "Confirm a sign-up",
        tag="subscribers",
        query=TokenQuery,
        responses={200: Answer},
    )
    add(
        "POST",
        "/api/subscribers/unsubscribe",
        views.unsubscribe,
        "Unsubscribe (one click)",
        tag="subscribers",
        query=TokenQuery,
        responses={200: Answer},
    )
    add(
        "POST",
        "/api/subscribers/resubscribe",
        views.resubscribe,
        "Subscribe again",
        tag="subscribers",
        query=TokenQuery,
        responses={200: Answer},
    )
    add(
        "GET",
        "/api/subscribers/preferences",
        views.get_preferences,
        "Read preferences",
        tag="subscribers",
        query=TokenQuery,
        responses={200: Preferences},
    )
    add(
        "PUT",
        "/api/subscribers/preferences",
        views.put_preferences,
        "Change preferences",
        tag="subscribers",
        query=TokenQuery,
        body=PreferencesRequest,
        responses={200: Preferences},
    )

    add(
        "GET",
        "/subscriptions/confirm",
        pages.confirm_page,
        "Confirmation link",
        tag="pages",
        query=TokenQuery,
        responses={200: HTML},
    )
    add(
        "GET",
        "/subscriptions/unsubscribe",
        pages.unsubscribe_page,
        "Unsubscribe link",
        tag="pages",
        query=TokenQuery,
        responses={200: HTML},
    )
    add(
        "POST",
        "/subscriptions/unsubscribe",
        pages.unsubscribe_form,
        "Unsubscribe: the page's button or RFC 8058 one-click POST",
        tag="pages",
        query=TokenQuery,
        responses={200: "An HTML page, or JSON"},
    )
    add(
        "GET",
        "/subscriptions/preferences",
        pages.preferences_page,
        "Preferences page",
        tag="pages",
        query=TokenQuery,
        responses={200: HTML},
    )
    add(
        "POST",
        "/subscriptions/preferences",
        pages.preferences_form,
        "Save preferences form",
        tag="pages",
        query=TokenQuery,
        responses={200: HTML},
    )
    add(
        "POST",
        "/subscriptions/resubscribe",
        pages.resubscribe_form,
        "Subscribe again",
        tag="pages",
        query=TokenQuery,
        responses={200: HTML},
    )
    # The spine's links, still in mailboxes.
    route.add_get("/api/subscribers/unsubscribe", pages.unsubscribe_page)

    add(
        "GET",
        "/api/deliveries/{article_id}",
        views.delivery_status,
        "Delivery counts of an article, by state",
        tag="deliveries",
        responses={200: DeliveryStatus},
    )
    add(
        "POST",
        "/api/deliveries/{article_id}/retry",
        admin.retry_failed,
        "Retry the failed deliveries of an article",
        tag="admin",
        auth=True,
        responses={202: RetryAnswer},
    )
    add(
        "GET",
        "/api/notifier/subscribers",
        admin.list_subscribers,
        "List subscribers",
        tag="admin",
        auth=True,
        query=SubscriberListQuery,
        responses={200: SubscriberList},
    )
    add(
        "GET",
        "/api/suppressions",
        admin.list_suppressions,
        "List suppressed addresses",
        tag="admin",
        auth=True,
        responses={200: SuppressionList},
    )
    add(
        "DELETE",
        "/api/suppressions/{email}",
        admin.lift_suppression,
        "Lift a suppression",
        tag="admin",
        auth=True,
        responses={204: "Lifted"},
    )
    spec.add_routes(app)
