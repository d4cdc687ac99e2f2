"""The notifier's copy of the site's identity, on the real database: the newest revision
heard wins, whatever order the events came in, and one heard twice is kept once."""

import pytest
from pymongo import AsyncMongoClient

from services.notifier.usecases.copies import AnnouncedCopy
from shared.contracts.site import SiteIdentity, SiteUpdated
from shared.platform.db import Document

pytestmark = pytest.mark.integration

DEFAULTS = SiteIdentity(name="Cổng thông tin điện tử", organisation="Ban Dân vận Tỉnh ủy")


def announced(revision: int, organisation: str) -> SiteUpdated:
    identity = SiteIdentity(name="Cổng thông tin", organisation=organisation)
    return SiteUpdated(revision=revision, identity=identity)


async def test_the_newest_revision_wins_in_any_order_and_twice_is_once(
    mongo: AsyncMongoClient[Document], db_name: str
) -> None:
    db = mongo[db_name]
    copy = AnnouncedCopy(db, "site_identity", SiteIdentity, DEFAULTS)
    await copy.refresh()
    assert (copy.revision, copy.current) == (0, DEFAULTS)  # nothing heard: the defaults

    for update in (
        announced(2, "Sở Ngoại vụ"),
        announced(1, "Ban cũ"),
        announced(2, "Sở Ngoại vụ"),
    ):
        await copy.keep(update.revision, update.identity)  # then a late, older one; then again
    assert copy.revision == 2 and copy.current.organisation == "Sở Ngoại vụ"
    assert await db["site_identity"].count_documents({}) == 2

    # Another replica, started later, serves the newest from the database.
    other = AnnouncedCopy(db, "site_identity", SiteIdentity, DEFAULTS)
    await other.refresh()
    assert other.revision == 2 and other.current.organisation == "Sở Ngoại vụ"

    # A revision written around the contract is not served; the last good one stays.
    await db["site_identity"].insert_one({"_id": 3, "name": "", "organisation": "x"})
    await other.refresh()
    assert other.revision == 2 and other.current.organisation == "Sở Ngoại vụ"
