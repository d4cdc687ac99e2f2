"""However slowly outcomes are stored, at most 2 × SEND_CONCURRENCY sends are in doubt.

A send is in doubt from its start until its outcome is stored: a replica that dies then
makes its reader get a second copy. Fakes stand in for SMTP and the database here, so the
store can stall at will; tests/integration/test_notifier_chaos.py kills a real replica.
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, cast

from services.notifier.adapters.deliveries import DeliveryStore
from services.notifier.adapters.smtp import Sender
from services.notifier.adapters.store import Blocklist, SuppressionStore
from services.notifier.config import NotifierSettings
from services.notifier.domain.compose import Composer
from services.notifier.domain.deliveries import DeliveryJob
from services.notifier.usecases.delivery import Deliverer
from shared.contracts.events import new_envelope
from tests.notifier_support import published_article
from tests.support import eventually

CONNECTIONS = 3
KEY = "unit-signing-key-0123456789abcdef0123"


class SlowStore:
    """Claims every first attempt; stores an outcome only when the test opens the gate."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.recorded = 0

    async def claim_first(self, keys: list[str], owner: str) -> set[str]:
        return set(keys)

    async def record_outcome(self, *_: Any, **__: Any) -> bool:
        await self.gate.wait()
        self.recorded += 1
        return True


class InstantSmtp:
    """CONNECTIONS connections; every message accepted at once."""

    def __init__(self) -> None:
        self.connections = asyncio.Semaphore(CONNECTIONS)
        self.sent: list[str] = []

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[object]:
        async with self.connections:
            yield object()

    async def send(self, connection: object, recipient: str, message: bytes) -> None:
        self.sent.append(recipient)


class NoBlocklist:
    async def current(self) -> tuple[frozenset[str], frozenset[str]]:
        return frozenset(), frozenset()


async def test_a_stalled_outcome_store_stops_the_sending_at_two_per_connection() -> None:
    settings = NotifierSettings(mongo_db="unit", signing_key=KEY, send_concurrency=CONNECTIONS)
    store, smtp = SlowStore(), InstantSmtp()
    deliverer = Deliverer(
        settings,
        cast(DeliveryStore, store),
        cast(SuppressionStore, None),
        cast(Blocklist, NoBlocklist()),
        Composer(settings),
        cast(Sender, smtp),
    )
    recipients = [f"ban-doc-{n}@example.vn" for n in range(40)]
    job = DeliveryJob(article=published_article("a-1"), recipients=recipients, attempt_limit=3)
    delivering = asyncio.create_task(deliverer.handle(new_envelope(job, "notifier")))

    await eventually(lambda: len(smtp.sent) == 2 * CONNECTIONS, what="the first sends")
    for _ in range(50):  # every other delivery had its chance to start a send meanwhile
        await asyncio.sleep(0)
    assert len(smtp.sent) == 2 * CONNECTIONS and store.recorded == 0

    store.gate.set()  # the database answers again: everyone gets the article, once
    await asyncio.wait_for(delivering, timeout=10)
    assert sorted(smtp.sent) == sorted(recipients)
    assert store.recorded == len(recipients)
