"""The counter app factory: write-behind ingest, the fold, the shared-figures reader, the API."""

import asyncio
import os
import socket
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from aiohttp import web
from pymongo.asynchronous.database import AsyncDatabase

from services.counter.adapters.dashboard import DashboardStore
from services.counter.adapters.ingest import Ingest
from services.counter.adapters.reader import StatsReader
from services.counter.adapters.store import Collections, StatsStore
from services.counter.config import CounterSettings
from services.counter.entrypoints.consumers import subscribe
from services.counter.entrypoints.keys import DASHBOARD, READER, SETTINGS, STORE, STREAMS
from services.counter.entrypoints.routes import add_routes
from services.counter.entrypoints.streams import WidgetStreams
from services.counter.entrypoints.views import widget_json
from services.counter.fold import Folder
from services.counter.reporting import keep_rollups
from shared.platform.db import TRANSIENT_ERRORS, Document
from shared.platform.http import ReadinessCheck, add_ops_routes, make_app
from shared.platform.lifecycle import connections
from shared.platform.quarantine import Quarantine
from shared.platform.storage.lease import Lease


def create_app(settings: CounterSettings) -> web.Application:
    app = make_app(transient=TRANSIENT_ERRORS)
    app[SETTINGS] = settings
    checks: dict[str, ReadinessCheck] = {}

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        async with connections(settings, checks) as (db, bus):
            store = StatsStore(db, settings.baseline_visits)
            reader = StatsReader(
                store,
                settings.zone,
                settings.stats_max_age_seconds,
                settings.refresh_interval_seconds,
            )
            ingest = Ingest(store.c.inbox, settings.flush_linger_seconds, settings.flush_max_events)
            folder = build_folder(settings, db, store.c)
            streams = WidgetStreams(reader, widget_json)
            app[STORE], app[READER], app[STREAMS] = store, reader, streams
            app[DASHBOARD] = DashboardStore(store.c)
            rollups = keep_rollups(app[DASHBOARD], settings.zone, settings.dashboard_rollup_seconds)
            tasks = {
                "ingest": asyncio.create_task(ingest.run(), name="ingest"),
                "fold": asyncio.create_task(folder.run(), name="fold"),
                "reader": asyncio.create_task(reader.run(), name="reader"),
                "streams": asyncio.create_task(streams.run(), name="streams"),
                "rollups": asyncio.create_task(rollups, name="rollups"),
            }
            checks["tasks"] = _tasks_alive(tasks)
            await subscribe(bus, ingest, settings.prefetch)
            try:
                yield
            finally:
                # Stop taking messages and let in-flight ones be stored and acked, then
                # flush what is left and finish the current fold.
                await bus.close()
                ingest.stop()
                folder.stop()
                for name in ("reader", "streams", "rollups"):
                    tasks[name].cancel()
                await asyncio.gather(*tasks.values(), return_exceptions=True)

    async def end_streams(app: web.Application) -> None:
        if STREAMS in app:
            app[STREAMS].close()

    app.cleanup_ctx.append(lifecycle)
    app.on_shutdown.append(end_streams)
    add_ops_routes(app, checks)
    add_routes(app)
    return app


def build_folder(
    settings: CounterSettings, db: AsyncDatabase[Document], collections: Collections
) -> Folder:
    """This replica's fold, folding whenever it holds the fold lease."""
    holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    return Folder(
        collections,
        Quarantine(db),
        Lease(collections.leases, "fold", holder, settings.lease_seconds),
        settings.zone,
        visit_timeout=timedelta(seconds=settings.visit_timeout_seconds),
        online_window=timedelta(seconds=settings.online_window_seconds),
        max_views=settings.fold_max_views,
        idle_seconds=settings.fold_idle_seconds,
        interval_seconds=settings.fold_interval_seconds,
    )


def _tasks_alive(tasks: dict[str, "asyncio.Task[Any]"]) -> ReadinessCheck:
    async def check() -> None:
        dead = [name for name, task in tasks.items() if task.done()]
        if dead:
            raise RuntimeError(f"background task stopped: {', '.join(dead)}")

    return check
