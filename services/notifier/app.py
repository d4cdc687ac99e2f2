"""The notifier app factory: an article.published consumer and the subscription API."""

from collections.abc import AsyncIterator
from functools import partial

from aiohttp import web

from services.notifier import views
from services.notifier.config import NotifierSettings
from services.notifier.handlers import email_article
from services.notifier.keys import COMPOSER, DELIVERIES, MAILER, SETTINGS, SIDE_TASKS, SUBSCRIBERS
from services.notifier.mailer import Composer, Mailer
from services.notifier.store import DeliveryStore, SubscriberStore
from shared.background import TaskSet
from shared.events import ArticlePublished
from shared.http import ReadinessCheck, add_ops_routes, make_app
from shared.lifecycle import connections


def create_app(settings: NotifierSettings) -> web.Application:
    app = make_app()
    app[SETTINGS] = settings
    checks: dict[str, ReadinessCheck] = {}

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        async with connections(settings, checks) as (db, bus):
            subscribers, deliveries = SubscriberStore(db), DeliveryStore(db)
            composer, mailer = Composer(settings), Mailer(settings)
            app[SUBSCRIBERS], app[DELIVERIES] = subscribers, deliveries
            app[COMPOSER], app[MAILER], app[SIDE_TASKS] = composer, mailer, TaskSet()
            handler = partial(email_article, subscribers, deliveries, composer, mailer)
            await bus.consume("notifier", {ArticlePublished: handler}, prefetch=settings.prefetch)
            yield
            await app[SIDE_TASKS].wait()

    app.cleanup_ctx.append(lifecycle)
    add_ops_routes(app, checks)
    app.router.add_post("/api/subscribers", views.subscribe)
    app.router.add_get("/api/subscribers/confirm", views.confirm)
    app.router.add_get("/api/subscribers/unsubscribe", views.unsubscribe_page)
    app.router.add_post("/api/subscribers/unsubscribe", views.unsubscribe)
    app.router.add_get("/api/deliveries/{article_id}", views.delivery_status)
    return app
