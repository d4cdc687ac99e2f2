"""The notifier's bus subscriptions: published articles are fanned out, delivery jobs sent,
and what content announces (the site's identity, the sections) kept."""

from services.notifier.domain.deliveries import DeliveryJob
from services.notifier.usecases.copies import AnnouncedCopy
from services.notifier.usecases.delivery import Deliverer
from services.notifier.usecases.fanout import FanOut
from services.notifier.usecases.staff_mail import StaffMail
from shared.contracts.events import ArticlePublished, Envelope, EventData
from shared.contracts.sections import SectionCatalogue, SectionsChanged
from shared.contracts.site import SiteIdentity, SiteUpdated
from shared.contracts.staff import StaffMailRequested
from shared.platform.bus import Bus, Handler


async def consume(
    bus: Bus,
    fanout: FanOut,
    deliverer: Deliverer,
    staff_mail: StaffMail,
    site: AnnouncedCopy[SiteIdentity],
    sections: AnnouncedCopy[SectionCatalogue],
    prefetch: int,
) -> None:
    async def keep_site(event: Envelope[SiteUpdated]) -> None:
        await site.keep(event.data.revision, event.data.identity)

    async def keep_sections(event: Envelope[SectionsChanged]) -> None:
        await sections.keep(event.data.revision, event.data.catalogue)

    # One at a time, in order: a fan-out publishes many jobs, and they do the sending; a
    # change of the sections is kept before the article published after it is fanned out.
    handlers: dict[type[EventData], Handler] = {
        ArticlePublished: fanout.handle,
        SiteUpdated: keep_site,
        SectionsChanged: keep_sections,
        StaffMailRequested: staff_mail.handle,
    }
    await bus.consume("notifier", handlers, prefetch=1)
    # The work queue every replica takes delivery jobs from.
    await bus.consume("notifier.deliveries", {DeliveryJob: deliverer.handle}, prefetch=prefetch)
