"""The notifier's route table and its OpenAPI document, declared together."""

from functools import partial

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
from shared.platform.openapi import ApiSpec

HTML = "An HTML page"


def add_routes(app: web.Application) -> None:
    spec = ApiSpec(
        "Notifier",
        "1.0",
        "Email subscriptions with double opt-in, and the sending of each new article.",
    )
    # Each group of operations shares its tag; the admin ones take the bearer token.
    subscribers = partial(spec.route, app, tag="subscribers")
    page = partial(spec.route, app, tag="pages", query=TokenQuery)
    admin_only = partial(spec.route, app, tag="admin", auth=True)

    subscribers(
        "POST",
        "/api/subscribers",
        views.subscribe,
        "Sign up (double opt-in)",
        body=SubscribeRequest,
        responses={202: Answer, 429: "Rate limited"},
    )
    subscribers(
        "POST",
        "/api/subscribers/confirm",
        views.confirm,
        "Confirm a sign-up (POST only: link scanners GET every link)",
        query=TokenQuery,
        responses={200: Answer},
    )
    subscribers(
        "POST",
        "/api/subscribers/unsubscribe",
        views.unsubscribe,
        "Unsubscribe (one click)",
        query=TokenQuery,
        responses={200: Answer},
    )
    subscribers(
        "POST",
        "/api/subscribers/resubscribe",
        views.resubscribe,
        "Subscribe again",
        query=TokenQuery,
        responses={200: Answer},
    )
    subscribers(
        "GET",
        "/api/subscribers/preferences",
        views.get_preferences,
        "Read preferences",
        query=TokenQuery,
        responses={200: Preferences},
    )
    subscribers(
        "PUT",
        "/api/subscribers/preferences",
        views.put_preferences,
        "Change preferences",
        query=TokenQuery,
        body=PreferencesRequest,
        responses={200: Preferences},
    )

    page(
        "GET",
        "/subscriptions/confirm",
        pages.confirm_page,
        "Confirmation link: a page whose button confirms (a GET changes nothing)",
        responses={200: HTML},
    )
    page(
        "POST",
        "/subscriptions/confirm",
        pages.confirm_form,
        "Confirm: the page's button",
        responses={200: HTML},
    )
    page(
        "GET",
        "/api/subscribers/confirm",
        pages.confirm_page,
        "Older confirmation link, still in mailboxes: the same button page",
        responses={200: HTML},
    )
    page(
        "GET",
        "/subscriptions/unsubscribe",
        pages.unsubscribe_page,
        "Unsubscribe link",
        responses={200: HTML},
    )
    page(
        "POST",
        "/subscriptions/unsubscribe",
        pages.unsubscribe_form,
        "Unsubscribe: the page's button or RFC 8058 one-click POST",
        responses={200: "An HTML page, or JSON"},
    )
    page(
        "GET",
        "/subscriptions/preferences",
        pages.preferences_page,
        "Preferences page",
        responses={200: HTML},
    )
    page(
        "POST",
        "/subscriptions/preferences",
        pages.preferences_form,
        "Save preferences form",
        responses={200: HTML},
    )
    page(
        "POST",
        "/subscriptions/resubscribe",
        pages.resubscribe_form,
        "Subscribe again",
        responses={200: HTML},
    )
    # The spine's links, still in mailboxes.
    app.router.add_get("/api/subscribers/unsubscribe", pages.unsubscribe_page)

    admin_only(
        "GET",
        "/api/deliveries/{article_id}",
        admin.delivery_status,
        "Delivery counts of an article, by state (editors see them through content)",
        responses={200: DeliveryStatus},
    )
    admin_only(
        "POST",
        "/api/deliveries/{article_id}/retry",
        admin.retry_failed,
        "Retry the failed deliveries of an article",
        responses={202: RetryAnswer},
    )
    admin_only(
        "GET",
        "/api/notifier/subscribers",
        admin.list_subscribers,
        "List subscribers",
        query=SubscriberListQuery,
        responses={200: SubscriberList},
    )
    admin_only(
        "GET",
        "/api/suppressions",
        admin.list_suppressions,
        "List suppressed addresses",
        responses={200: SuppressionList},
    )
    admin_only(
        "DELETE",
        "/api/suppressions/{email}",
        admin.lift_suppression,
        "Lift a suppression",
        responses={204: "Lifted"},
    )
    spec.add_routes(app)
