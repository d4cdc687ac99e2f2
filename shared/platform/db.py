"""The MongoDB client factory (PyMongo's native async API); the storage primitives built on
it are in shared/platform/storage/."""

from typing import Any

from pymongo import AsyncMongoClient
from pymongo.errors import ConnectionFailure

Document = dict[str, Any]

# What the driver raises when the database is down, not when a request is bad: the bus
# waits these out and HTTP answers them with 503 (both are told so by lifecycle.py).
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (ConnectionFailure,)


def make_client(url: str) -> AsyncMongoClient[Document]:
    # tz_aware: datetimes come back as aware UTC, matching what the services write.
    return AsyncMongoClient(url, tz_aware=True, serverSelectionTimeoutMS=5000, appname="portal")
