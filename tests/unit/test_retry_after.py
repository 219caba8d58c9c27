"""Retry-After: seconds and HTTP-date forms, capped; garbage ignored."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from aioresponses import aioresponses

from confirma_async import ClientConfig, ConfirmaClient, RateLimitError
from confirma_async._core.responses import parse_retry_after

from .conftest import BASE, TOKEN, calls, url

NOW = datetime(2026, 11, 24, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("5", 5.0),
        ("0", 0.0),
        ("1.5", 1.5),
        (" 7 ", 7.0),
        ("Tue, 24 Nov 2026 12:00:30 GMT", 30.0),
        ("Tue, 24 Nov 2026 11:59:00 GMT", 0.0),  # in the past: retry now
        ("3600", 60.0),  # over the cap
        ("Wed, 25 Nov 2026 12:00:00 GMT", 60.0),  # a day away: capped
        ("-4", 0.0),
        ("soon", None),
        ("", None),
        ("nan", None),
        ("inf", None),
        (None, None),
    ],
)
def test_retry_after_is_parsed_and_capped(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header, cap=60.0, now=NOW) == expected


async def test_rate_limit_error_carries_retry_after_capped_by_config() -> None:
    config = ClientConfig(max_retries=0, retry_after_cap=2.0)
    with aioresponses() as mocked:
        mocked.get(url("/payments"), status=429, headers={"Retry-After": "120"})
        async with ConfirmaClient(api_key=TOKEN, base_url=BASE, config=config) as c:
            with pytest.raises(RateLimitError) as info:
                await c.transport.request("GET", "/payments")
    assert info.value.retry_after == 2.0


async def test_retry_waits_the_servers_retry_after(caplog: pytest.LogCaptureFixture) -> None:
    config = ClientConfig(max_retries=1, retry_after_cap=0.01)
    caplog.set_level("INFO", logger="confirma_async")
    with aioresponses() as mocked:
        mocked.get(url("/payments"), status=503, headers={"Retry-After": "30"})
        mocked.get(url("/payments"), payload=[])
        async with ConfirmaClient(api_key=TOKEN, base_url=BASE, config=config) as c:
            await c.transport.request("GET", "/payments")
        assert len(calls(mocked, "GET", "/payments")) == 2
    waits = [r.wait_s for r in caplog.records if getattr(r, "wait_s", None) is not None]
    assert waits == [0.01]


async def test_garbage_retry_after_falls_back_to_backoff(caplog: pytest.LogCaptureFixture) -> None:
    config = ClientConfig(max_retries=1, backoff_base=0.001, backoff_cap=0.001)
    caplog.set_level("INFO", logger="confirma_async")
    with aioresponses() as mocked:
        mocked.get(url("/payments"), status=429, headers={"Retry-After": "later please"})
        mocked.get(url("/payments"), payload=[])
        async with ConfirmaClient(api_key=TOKEN, base_url=BASE, config=config) as c:
            await c.transport.request("GET", "/payments")
    waits = [r.wait_s for r in caplog.records if getattr(r, "wait_s", None) is not None]
    assert len(waits) == 1
    assert 0.0 <= waits[0] <= 0.001
