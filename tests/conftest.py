"""Fixtures shared by every tier."""

import uuid
from collections.abc import AsyncIterator

import aiohttp
import pytest

from tests.support import MAILPIT_URL, Mailpit


@pytest.fixture
def run_id() -> str:
    """A fresh suffix, so each test has its own exchange, queues and databases."""
    return uuid.uuid4().hex[:10]


@pytest.fixture(scope="session")
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture(scope="session")
def mailpit(http: aiohttp.ClientSession) -> Mailpit:
    return Mailpit(http, MAILPIT_URL)
