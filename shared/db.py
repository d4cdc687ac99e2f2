"""The MongoDB client factory (PyMongo's native async API) and the insert that decides."""

from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

Document = dict[str, Any]


def make_client(url: str) -> AsyncMongoClient[Document]:
    # tz_aware: datetimes come back as aware UTC, matching what the services write.
    return AsyncMongoClient(url, tz_aware=True, serverSelectionTimeoutMS=5000, appname="portal")


async def insert_or_ignore(collection: AsyncCollection[Document], document: Document) -> bool:
    """Insert `document`; False if its `_id` is there already (the earlier insert decided).

    A unique `_id` insert is atomic on MongoDB and FerretDB alike, so it is how replicas
    agree on who did something first without transactions.
    """
    try:
        await collection.insert_one(document)
    except DuplicateKeyError:
        return False
    return True
