"""The settings content owns and announces, each a log of revisions (shared/platform/storage/
revisions.py): two administrators saving at once cannot both make revision n+1, the newest
is in force, and the others are its history, with who saved each and when."""

from pymongo.asynchronous.database import AsyncDatabase

from shared.contracts.sections import SectionCatalogue
from shared.contracts.site import SiteIdentity
from shared.platform.db import Document
from shared.platform.storage.revisions import Revisions


def site_identity(db: AsyncDatabase[Document]) -> Revisions[SiteIdentity]:
    return Revisions(db["site_identity"], SiteIdentity)


def sections(db: AsyncDatabase[Document]) -> Revisions[SectionCatalogue]:
    return Revisions(db["section_catalogue"], SectionCatalogue)
