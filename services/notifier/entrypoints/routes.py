"""The notifier's route table and its OpenAPI document, declared together."""

from functools import partial

from aiohttp import web

from services.notifier.domain.models import PreferencesRequest, SubscribeRequest
from services.notifier.entrypoints import admin, pages, views
from services.notifier.schemas import (
    Answer,
    DeliveryStatus,
    ExportQuery,
    ImportAnswer,
    Preferences,
    RetryAnswer,
    SubscriberFile,
    SubscriberList,
    SubscriberListQuery,
    SuppressionList,
    TokenQuery,
)
from shared.platform.openapi import ApiSpec, Route

HTML = "An HTML page"


# Each group of operations shares its tag; the admin ones take the bearer token.
_subscribers = partial(Route, tag="subscribers", query=TokenQuery)
_page = partial(Route, tag="pages", query=TokenQuery, responses={200: HTML})
_admin = partial(Route, tag="admin", auth=True)

ROUTES = (
    _subscribers(
        "POST",
        "/api/subscribers",
        views.subscribe,
        "Sign up (double opt-in)",
        query=None,
        body=SubscribeRequest,
        responses={202: Answer, 429: "Rate limited"},
    ),
    _subscribers(
        "POST",
        "/api/subscribers/confirm",
        views.confirm,
        "Confirm a sign-up (POST only: link scanners GET every link)",
        responses={200: Answer},
    ),
    _subscribers(
        "POST",
        "/api/subscribers/unsubscribe",
        views.unsubscribe,
        "Unsubscribe (one click)",
        responses={200: Answer},
    ),
    _subscribers(
        "POST",
        "/api/subscribers/resubscribe",
        views.resubscribe,
        "Subscribe again",
        responses={200: Answer},
    ),
    _subscribers(
        "GET",
        "/api/subscribers/preferences",
        views.get_preferences,
        "Read preferences",
        responses={200: Preferences},
    ),
    _subscribers(
        "PUT",
        "/api/subscribers/preferences",
        views.put_preferences,
        "Change preferences",
        body=PreferencesRequest,
        responses={200: Preferences},
    ),
    _page(
        "GET",
        "/subscriptions/confirm",
        pages.confirm_page,
        "Confirmation link: a page whose button confirms (a GET changes nothing)",
    ),
    _page("POST", "/subscriptions/confirm", pages.confirm_form, "Confirm: the page's button"),
    _page(
        "GET",
        "/api/subscribers/confirm",
        pages.confirm_page,
        "Older confirmation link, still in mailboxes: the same button page",
    ),
    _page("GET", "/subscriptions/unsubscribe", pages.unsubscribe_page, "Unsubscribe link"),
    _page(
        "POST",
        "/subscriptions/unsubscribe",
        pages.unsubscribe_form,
        "Unsubscribe: the page's button or RFC 8058 one-click POST",
        responses={200: "An HTML page, or JSON"},
    ),
    _page("GET", "/subscriptions/preferences", pages.preferences_page, "Preferences page"),
    _page("POST", "/subscriptions/preferences", pages.preferences_form, "Save preferences form"),
    _page("POST", "/subscriptions/resubscribe", pages.resubscribe_form, "Subscribe again"),
    _admin(
        "GET",
        "/api/deliveries/{article_id}",
        admin.delivery_status,
        "Delivery counts of an article, by state (editors see them through content)",
        responses={200: DeliveryStatus},
    ),
    _admin(
        "POST",
        "/api/deliveries/{article_id}/retry",
        admin.retry_failed,
        "Retry the failed deliveries of an article",
        responses={202: RetryAnswer},
    ),
    _admin(
        "GET",
        "/api/notifier/subscribers",
        admin.list_subscribers,
        "List subscribers",
        query=SubscriberListQuery,
        responses={200: SubscriberList},
    ),
    _admin(
        "POST",
        "/api/subscribers/import",
        admin.import_subscribers,
        "Import confirmed subscribers from CSV (an old portal's list): nobody is mailed",
        body=SubscriberFile,
        body_media_type="text/csv",
        responses={200: ImportAnswer, 413: "Too large", 415: "Not text/csv"},
    ),
    _admin(
        "GET",
        "/api/subscribers/export",
        admin.export_subscribers,
        "Export subscribers as CSV (confirmed ones; `status=all` for every status)",
        query=ExportQuery,
        responses={200: "A CSV attachment (text/csv; charset=utf-8)"},
    ),
    _admin(
        "GET",
        "/api/suppressions",
        admin.list_suppressions,
        "List suppressed addresses",
        responses={200: SuppressionList},
    ),
    _admin(
        "DELETE",
        "/api/suppressions/{email}",
        admin.lift_suppression,
        "Lift a suppression",
        responses={204: "Lifted"},
    ),
)

# The spine's links, still in mailboxes: served, not documented.
UNDOCUMENTED = (("GET", "/api/subscribers/unsubscribe", pages.unsubscribe_page),)


def add_routes(app: web.Application) -> None:
    spec = ApiSpec(
        "Notifier",
        "1.0",
        "Email subscriptions with double opt-in, and the sending of each new article.",
    )
    spec.add_table(app, ROUTES)
    for method, path, handler in UNDOCUMENTED:
        app.router.add_route(method, path, handler)
    spec.add_routes(app)
