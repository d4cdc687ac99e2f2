"""Page views batched into few broker messages, each view answered only once confirmed.

A beacon hands its view to the batcher and waits. The batcher sends whatever has queued
up as one `page.viewed` (at most MAX_BATCH views) as soon as the previous message of that
lane is confirmed, after a window of a few milliseconds that lets concurrent beacons join.
At low load each message carries one view; under load, hundreds. Every waiting beacon gets
the outcome of the message that held its view: confirmed (204) or not (503).
"""

import asyncio

import structlog

from services.content.metrics import VIEWS_PER_MESSAGE
from shared.bus import Bus, PublishFailed
from shared.events import PageView, PageViewed, new_envelope

log = structlog.get_logger(__name__)

MAX_BATCH = 1000  # the PageViewed contract's limit


class ViewBatcher:
    def __init__(self, bus: Bus, window_seconds: float = 0.002, lanes: int = 8) -> None:
        self._bus = bus
        self._window = window_seconds
        self._queue: list[tuple[PageView, asyncio.Future[None]]] = []
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

    async def record(self, view: PageView) -> None:
        """Return once the broker confirmed a message holding this view; else PublishFailed."""
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

    async def _send(self, batch: list[tuple[PageView, asyncio.Future[None]]]) -> None:
        envelope = new_envelope(PageViewed(views=[view for view, _ in batch]), "content")
        error: BaseException | None = None
        try:
            await self._bus.publish(envelope)
            self.messages += 1
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

    async def close(self) -> None:
        """Send what is queued, then stop: no accepted view waits on a stopped batcher."""
        self.closed = True
        self._ready.set()
        await asyncio.gather(*self._tasks)
