"""The MongoDB client factory (PyMongo's native async API)."""

from typing import Any

from pymongo import AsyncMongoClient

Document = dict[str, Any]


def make_client(url: str) -> AsyncMongoClient[Document]:
    # tz_aware: datetimes come back as aware UTC, matching what the services write.
    return AsyncMongoClient(url, tz_aware=True, serverSelectionTimeoutMS=5000, appname="portal")
