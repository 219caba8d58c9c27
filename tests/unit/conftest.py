"""Fixtures for unit tests: HTTP mocked with aioresponses, a client with tiny backoff."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from aioresponses import aioresponses
from yarl import URL

from confirma_async import ClientConfig, ConfirmaClient

BASE = "https://cfis.test/api/v1/partner"
TOKEN = "tok-PLANTED-SECRET-4f9a"

FAST = ClientConfig(backoff_base=0.0001, backoff_cap=0.0002, retry_after_cap=0.001, max_retries=4)


def url(path: str) -> re.Pattern[str]:
    """A pattern matching BASE+path with or without a query string."""
    return re.compile(re.escape(BASE + path) + r"(\?.*)?$")


def calls(mocked: aioresponses, method: str, path: str) -> list[Any]:
    """Every recorded call to ``method`` on ``path``, whatever its query string."""
    found = []
    for (m, u), reqs in mocked.requests.items():
        if m == method and URL(u).path == URL(BASE + path).path:
            found.extend(reqs)
    return found


@pytest.fixture
def mocked() -> Iterator[aioresponses]:
    with aioresponses() as m:
        yield m


@pytest.fixture
async def client() -> AsyncIterator[ConfirmaClient]:
    async with ConfirmaClient(api_key=TOKEN, base_url=BASE, config=FAST) as c:
        yield c
