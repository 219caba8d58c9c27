"""Finding 1: a failing /renew is asked once, and every request it failed is a known 401."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aioresponses import aioresponses

from confirma_async import (
    AuthenticationError,
    BatchStatus,
    ClientConfig,
    ConfirmaClient,
    ConfirmaError,
)

from ..unit.batch_fakes import invoice
from ..unit.conftest import BASE, TOKEN, calls, url

FAST = ClientConfig(backoff_base=0.0001, backoff_cap=0.0002, retry_after_cap=0.001, max_retries=2)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 15, 12, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def mocked() -> Any:
    with aioresponses() as m:
        yield m


@pytest.fixture
async def clocked() -> AsyncIterator[tuple[ConfirmaClient, Clock]]:
    clock = Clock()
    async with ConfirmaClient(api_key=TOKEN, base_url=BASE, config=FAST, clock=clock) as client:
        yield client, clock


@pytest.mark.parametrize("renewal", [401, 500])
async def test_a_thousand_queued_items_share_one_failed_renewal_and_fail_known(
    mocked: aioresponses, clocked: tuple[ConfirmaClient, Clock], renewal: int
) -> None:
    client, _ = clocked
    mocked.post(url("/invoice"), status=401, payload={"message": "expired"}, repeat=True)
    mocked.get(url("/renew"), status=renewal, payload={"message": "no"}, repeat=True)

    results = [
        r async for r in client.batch(64).submit_invoices(invoice(n) for n in range(1, 1001))
    ]

    assert len(calls(mocked, "GET", "/renew")) == 1
    assert len(results) == 1000
    for result in results:
        assert result.status is BatchStatus.FAILED
        assert not result.outcome_unknown  # every POST was answered 401: not applied
        assert isinstance(result.error, AuthenticationError)
        assert (result.error.method, result.error.path) == ("POST", "/invoice")


async def test_after_the_pause_a_new_renewal_is_tried_once(
    mocked: aioresponses, clocked: tuple[ConfirmaClient, Clock]
) -> None:
    client, clock = clocked
    mocked.get(url("/payments"), status=401, payload={"message": "expired"}, repeat=True)
    mocked.get(url("/renew"), status=500, payload={"message": "down"}, repeat=True)
    day = clock.now.date()
    for _ in range(3):
        with pytest.raises(AuthenticationError):
            await client.payments.payments_window(day, day)
    assert len(calls(mocked, "GET", "/renew")) == 1
    clock.now += timedelta(minutes=1)
    with pytest.raises(AuthenticationError):
        await client.payments.payments_window(day, day)
    assert len(calls(mocked, "GET", "/renew")) == 2


async def test_an_explicit_renewal_always_asks(
    mocked: aioresponses, clocked: tuple[ConfirmaClient, Clock]
) -> None:
    client, clock = clocked
    mocked.get(url("/payments"), status=401, payload={"message": "expired"})
    mocked.get(url("/renew"), status=500, payload={"message": "down"}, repeat=True)
    with pytest.raises(AuthenticationError):
        await client.payments.payments_window(clock.now.date(), clock.now.date())
    with pytest.raises(ConfirmaError):
        await client.onboarding.renew_token()
    assert len(calls(mocked, "GET", "/renew")) == 2
