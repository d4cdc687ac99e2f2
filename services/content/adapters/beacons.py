"""Page views batched into few broker messages, each view answered only once confirmed.

A beacon hands its view to the batcher and waits. The batcher sends whatever has queued
up as one `page.viewed` (at most MAX_BATCH views) as soon as the previous message of that
lane is confirmed, after a window of a few milliseconds that lets concurrent beacons join.
At low load each message carries one view; under load, tens to hundreds. Every waiting beacon gets
the outcome of the message that held its view: confirmed (204) or not (503).

The lanes batch by themselves (group commit): while their messages wait for confirms,
beacons pile up for the next one. The window (VIEW_BATCH_WINDOW_MS, 5 ms by default) makes
the messages larger still. Measured against content alone with a private queue, a window
only slowed beacons down; measured as `make up` runs, with the counter and FerretDB behind
the broker, 5 ms took 15 % less CPU per beacon over the whole pipeline and answered 3-7 %
more beacons/s than none (docs/performance.md). 1-4 lanes did about the same (4 keeps one
slow confirm from holding every beacon).

Views are plain dicts with exactly the fields of `shared.contracts.events.PageView`, and a
message is encoded with one `json.dumps` of the whole envelope: building a pydantic model per view
and a generic `Envelope[PageViewed]` per message took ~12 % of the service's CPU under
beacon load (py-spy). The values are valid by construction (views.py: the beacon model bounds path
and article id, the visitor is a 32-hex hash, the family ≤ 64 chars), and the unit tests
decode every message with `shared.contracts.events.decode`, so the contract is still checked.
"""

import asyncio
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import structlog

from services.content.adapters.view_spool import ViewSpool
from services.content.metrics import VIEWS_PER_MESSAGE
from shared.contracts.events import PageViewed
from shared.platform.bus import Bus, PublishFailed

log = structlog.get_logger(__name__)

MAX_BATCH = 1000  # the PageViewed contract's limit
PRODUCER = "content"

View = dict[str, Any]
# ASCII-escaped: the body can never fail to encode, whatever a beacon held.
_encode = json.JSONEncoder(separators=(",", ":")).encode


def page_view(
    *,
    visitor: str,
    path: str,
    article_id: str | None,
    referrer_host: str | None,
    is_bot: bool,
    agent_family: str,
    viewed_at: datetime,
    view_id: str | None = None,
    device: str | None = None,
) -> View:
    """One view as the PageView contract spells it (field for field)."""
    return {
        "view_id": view_id,
        "visitor": visitor,
        "path": path,
        "article_id": article_id,
        "referrer_host": referrer_host,
        "is_bot": is_bot,
        "agent_family": agent_family,
        "device": device,
        "viewed_at": viewed_at.isoformat(),
    }


def encode_page_viewed(views: list[View], event_id: uuid.UUID) -> bytes:
    """The `page.viewed` envelope holding these views, shaped as `events.encode` shapes it."""
    return _encode(
        {
            "event_id": str(event_id),
            "type": PageViewed.TYPE,
            "version": PageViewed.VERSION,
            "occurred_at": datetime.now(UTC).isoformat(),
            "producer": PRODUCER,
            "data": {"views": views},
        }
    ).encode()


class ViewBatcher:
    def __init__(
        self,
        bus: Bus,
        spool: ViewSpool | None = None,
        window_seconds: float = 0.002,
        lanes: int = 4,
    ) -> None:
        self._bus = bus
        self._spool = spool
        self._window = window_seconds
        self._queue: list[tuple[View, asyncio.Future[None]]] = []
        self._ready = asyncio.Event()
        self._lanes = lanes
        self._tasks: list[asyncio.Task[None]] = []
        self.messages = 0  # messages confirmed; tests and the benchmark read it
        self.closed = False

    def start(self) -> None:
        # A few lanes: one slow confirm does not hold up every waiting beacon.
        self._tasks = [
            asyncio.create_task(self._lane(), name=f"views-lane-{n}") for n in range(self._lanes)
        ]

    async def record(self, view: View) -> None:
        """Return once a message holding this view is safe: confirmed by the broker or, while
        the broker is away, in the spool. Else PublishFailed."""
        if self.closed:
            raise PublishFailed("shutting down")
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append((view, done))
        self._ready.set()
        await done

    async def _lane(self) -> None:
        while True:
            await self._ready.wait()
            if self._window and not self.closed:
                await asyncio.sleep(self._window)
            batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
            if not self._queue and not self.closed:
                self._ready.clear()
            if batch:
                await self._send(batch)
            if self.closed and not self._queue:
                return

    async def _send(self, batch: list[tuple[View, asyncio.Future[None]]]) -> None:
        event_id = uuid.uuid4()
        error: BaseException | None = None
        try:
            body = encode_page_viewed([view for view, _ in batch], event_id)
            await self._publish(str(event_id), body)
            VIEWS_PER_MESSAGE.observe(len(batch))
        except PublishFailed as failed:
            log.warning("views.refused", views=len(batch), error=str(failed))
            error = failed
        except Exception as failed:  # never leave a beacon waiting forever
            log.exception("views.send_failed", views=len(batch))
            error = PublishFailed(repr(failed))
        for _, done in batch:
            if done.done():
                continue  # the beacon's request went away; nothing waits for it
            if error is None:
                done.set_result(None)
            else:
                done.set_exception(error)

    async def _publish(self, event_id: str, body: bytes) -> None:
        try:
            if not self._bus.is_connected:  # do not wait out the publish timeout
                raise PublishFailed("the broker is away")
            await self._bus.publish_encoded(PageViewed.TYPE, event_id, body)
            self.messages += 1
        except PublishFailed as failed:
            # A refusal (no queue takes page views) is a fault to report, not an outage.
            if failed.refused or self._spool is None:
                raise
            try:
                await self._spool.keep(event_id, body)
            except Exception as error:  # the database is away too: the beacon is refused
                raise PublishFailed(f"{failed}; and not spooled: {error!r}") from error
            log.info("views.spooled", event_id=event_id, error=str(failed))

    async def close(self) -> None:
        """Send what is queued, then stop: no accepted view waits on a stopped batcher."""
        self.closed = True
        self._ready.set()
        await asyncio.gather(*self._tasks)
