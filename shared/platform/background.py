"""Background tasks whose failure is logged and shows in /readyz instead of vanishing."""

import asyncio
from collections.abc import Coroutine
from typing import Any

import structlog

log = structlog.get_logger(__name__)


class Supervisor:
    def __init__(self) -> None:
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def start(self, name: str, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coroutine, name=name)
        task.add_done_callback(self._report)
        self._tasks[name] = task

    def _report(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("task.died", task=task.get_name(), error=repr(task.exception()))

    async def check(self) -> None:
        """Raise if a task that should run forever has stopped."""
        dead = [name for name, task in self._tasks.items() if task.done()]
        if dead:
            raise RuntimeError(f"background task stopped: {', '.join(dead)}")

    async def stop(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)


class TaskSet:
    """Fire-and-forget work (e.g. an email sent after answering) that shutdown still waits for."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("side_task.failed", error=repr(task.exception()))

    async def wait(self) -> None:
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=30)
