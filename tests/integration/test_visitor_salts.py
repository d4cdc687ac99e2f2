"""The daily visitor salt against the real FerretDB: a visitor is a salted hash, never an IP."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pymongo import AsyncMongoClient

from services.content.adapters.visitors import VisitorHasher
from shared.platform.db import Document

pytestmark = pytest.mark.integration

SAIGON = ZoneInfo("Asia/Ho_Chi_Minh")


async def test_visitor_hash_is_stable_within_a_day_and_never_the_ip(
    mongo: AsyncMongoClient[Document], db_name: str
) -> None:
    hasher = VisitorHasher(mongo[db_name], "portal", SAIGON)
    now = datetime.now(UTC)
    one = await hasher.visitor("203.0.113.5", "Firefox", now)
    assert one == await hasher.visitor("203.0.113.5", "Firefox", now)
    assert one != await hasher.visitor("203.0.113.6", "Firefox", now)
    assert one != await hasher.visitor("203.0.113.5", "Firefox", now + timedelta(days=1))
    salts = await mongo[db_name]["visitor_salts"].find().to_list()
    assert len(salts) == 2
    assert all("203.0.113" not in str(salt) for salt in salts)
