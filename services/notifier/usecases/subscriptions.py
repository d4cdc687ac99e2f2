"""A subscriber's own changes (confirm, leave, come back, preferences) and the admin's lift
of a suppression: what both the JSON API and the pages call."""

import structlog

from services.notifier.adapters.store import SubscriberStore, SuppressionStore
from services.notifier.domain.models import (
    PreferencesRequest,
    Subscriber,
    require_sections,
    status_after_confirm,
)
from shared.contracts.errors import NotFound
from shared.contracts.sections import SectionCatalogue

log = structlog.get_logger(__name__)


class Subscriptions:
    def __init__(self, subscribers: SubscriberStore, suppressions: SuppressionStore) -> None:
        self._subscribers = subscribers
        self._suppressions = suppressions

    async def confirm(self, email: str) -> Subscriber:
        """The subscriber after its confirmation link was pressed (it may have left since)."""
        subscriber = await self.get(email)
        status = status_after_confirm(subscriber.status)
        if status == subscriber.status:
            return subscriber
        return _found(await self._subscribers.set_status(email, status))

    async def unsubscribe(self, email: str) -> None:
        """Always succeeds, as one-click unsubscribe must (RFC 8058): an address that is not
        subscribed has nothing to leave."""
        await self._subscribers.set_status(email, "unsubscribed")
        log.info("subscriber.unsubscribed")

    async def resubscribe(self, email: str) -> Subscriber:
        return _found(await self._subscribers.set_status(email, "confirmed"))

    async def get(self, email: str) -> Subscriber:
        return _found(await self._subscribers.get(email))

    async def change_preferences(
        self, email: str, change: PreferencesRequest, sections: SectionCatalogue
    ) -> Subscriber:
        """The reader's new choice of shown sections; a hidden section they had stays (it is
        not on the page, so leaving it out is not a choice to drop it)."""
        current = await self.get(email)
        kept = frozenset(
            slug for slug in current.sections if (found := sections.get(slug)) and found.hidden
        )
        require_sections(change.sections, sections, hidden_too=kept)
        if change.sections:  # an empty choice means every section, as before
            change = change.model_copy(update={"sections": sorted({*change.sections, *kept})})
        return _found(await self._subscribers.set_preferences(email, change))

    async def lift_suppression(self, email: str) -> None:
        if not await self._suppressions.lift(email):
            raise NotFound("this address is not suppressed")
        log.info("suppression.lifted")


def _found(subscriber: Subscriber | None) -> Subscriber:
    if subscriber is None:
        raise NotFound("no such subscription")
    return subscriber
