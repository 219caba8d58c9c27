"""Streaming listings from the local sandbox over real sockets: order, splits, bounds, resume."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from confirma_async import ClientConfig, ConfirmaClient, DistributionRecord, ServerError
from confirma_async.pagination import PaginationError
from confirma_async.testing import FaultRule, Sandbox, SandboxConfig
from confirma_async.testing._generator import GEN_INVOICE_BASE, PER_DAY

D = timedelta(days=1)
DAYS = 30
PER = 400  # generated records per day: 12,000 in all
END = date(2026, 1, 4)  # the day before the ManualClock's start: the last generated day
START = END - (DAYS - 1) * D


@pytest.fixture
def confirma_sandbox_config() -> SandboxConfig:
    return SandboxConfig(
        generated_records=DAYS * PER,
        generated_payments=DAYS * 50,
        generated_days=DAYS,
        max_records_per_response=700,  # a 2-day window (800) is cut; one day (400) fits
    )


@pytest.fixture
def confirma_client_config() -> ClientConfig:
    return ClientConfig(backoff_base=0.0001, backoff_cap=0.0002, max_retries=1)


def expected_numbers(first_day: date = START, last_day: date = END) -> list[int]:
    return [
        GEN_INVOICE_BASE + k * PER_DAY + i
        for k in range((first_day - START).days, (last_day - START).days + 1)
        for i in range(PER)
    ]


def pager_tasks() -> list[asyncio.Task[Any]]:
    return [t for t in asyncio.all_tasks() if t.get_name().startswith("confirma-pager")]


async def turn_until(condition: Callable[[], bool]) -> None:
    """Yield to the event loop until ``condition`` holds (progress, not time, decides)."""
    while not condition():  # noqa: ASYNC110 - waiting on the pager's own counters
        await asyncio.sleep(0)


async def settle() -> None:
    for _ in range(50):
        if not pager_tasks():
            return
        await asyncio.sleep(0)


@pytest.mark.usefixtures("dialect")  # both dialects; the alternate one read through the aliases
async def test_twelve_thousand_records_in_order_without_gaps_or_repeats(
    confirma_client: ConfirmaClient,
) -> None:
    pager = confirma_client.invoices.distributions(START, END, window=7 * D)
    got: list[DistributionRecord] = [r async for r in pager]
    numbers = [r.invoice_number for r in got]
    assert numbers == expected_numbers()  # complete, in (date, number) order
    assert len(set(numbers)) == len(numbers) == 12_000
    assert all(a.invoice_date <= b.invoice_date for a, b in itertools.pairwise(got))
    assert pager.stats.splits >= 8  # every 7-day window had to be split down to one day
    assert pager.stats.max_buffered_windows <= 3


async def test_prefetch_depth_stays_bounded_against_the_sandbox(
    confirma_client: ConfirmaClient,
) -> None:
    for prefetch in (0, 1, 3):
        pager = confirma_client.invoices.distributions(
            START, START + 9 * D, window=2 * D, prefetch=prefetch
        )
        count = 0
        async for page in pager.pages():
            count += len(page.items)
            for _ in range(3):
                await asyncio.sleep(0)  # a slow consumer
        assert count == 10 * PER
        assert pager.stats.max_in_flight <= prefetch + 1
        assert pager.stats.max_buffered_windows <= prefetch + 1


async def test_break_mid_stream_cancels_the_requests_in_flight(
    confirma_client: ConfirmaClient, confirma_sandbox: Sandbox
) -> None:
    pager = confirma_client.invoices.distributions(START, END, prefetch=2)
    pages = 0
    async for _ in pager.pages():
        pages += 1
        if pages == 1:
            await turn_until(lambda: not pager.stats.in_flight)  # the two prefetches land
            # Every request sent from now on hangs on the server until it is cancelled.
            confirma_sandbox.faults.add(
                FaultRule(kind="slow", method="GET", path="/invoice/distribution", delay=60)
            )
        if pages == 2:  # asking for page 2 started the 4th window's request: it hangs
            await turn_until(lambda: pager.stats.in_flight > 0)
            break
    await settle()
    assert pager_tasks() == []
    assert pager.stats.in_flight == 0
    assert pager.checkpoint["next"] == (START + 2 * D).isoformat()


async def test_a_failing_window_surfaces_after_the_records_before_it(
    confirma_client: ConfirmaClient, confirma_sandbox: Sandbox
) -> None:
    pager = confirma_client.invoices.distributions(START, START + 4 * D, prefetch=0)
    got: list[int] = []

    async def consume() -> None:
        async for record in pager:
            got.append(record.invoice_number)
            if len(got) == PER:  # first window done: the next one fails beyond the retries
                confirma_sandbox.faults.fail_next(2, "GET", "/invoice/distribution", status=503)

    with pytest.raises(PaginationError) as info:
        await consume()
    assert got == expected_numbers(START, START)
    err = info.value
    assert (err.window_start, err.window_end) == (START + D, START + D)
    assert isinstance(err.__cause__, ServerError)
    assert err.__cause__.status == 503
    assert f"{START + D}..{START + D}" in str(err)
    rest = await confirma_client.invoices.distributions(
        START, START + 4 * D, resume_from=pager.checkpoint
    ).to_list()
    assert got + [r.invoice_number for r in rest] == expected_numbers(START, START + 4 * D)


async def test_a_failing_wide_window_is_split(
    confirma_client: ConfirmaClient, confirma_sandbox: Sandbox
) -> None:
    confirma_sandbox.faults.fail_next(2, "GET", "/invoice/distribution", status=502)
    pager = confirma_client.invoices.distributions(START, START + D, window=2 * D, prefetch=0)
    numbers = [r.invoice_number async for r in pager]
    assert numbers == expected_numbers(START, START + D)
    assert pager.stats.splits == 1


async def test_resume_after_a_crash_yields_exactly_the_remainder(
    confirma_sandbox: Sandbox,
) -> None:
    store: dict[str, str] = {}  # what a job would persist: the checkpoint, as JSON text
    first: list[int] = []

    async def export(resume: dict[str, Any] | None, out: list[int], crash_at: int | None) -> None:
        async with ConfirmaClient(
            api_key=confirma_sandbox.client_token, base_url=confirma_sandbox.base_url
        ) as client:
            pager = client.invoices.distributions(
                START, END, window=3 * D, prefetch=2, resume_from=resume
            )
            async for record in pager:
                out.append(record.invoice_number)
                store["checkpoint"] = json.dumps(pager.checkpoint)
                if len(out) == crash_at:
                    raise KeyboardInterrupt  # the process dies mid-window

    with pytest.raises(KeyboardInterrupt):
        await export(None, first, crash_at=5_555)
    await settle()
    assert pager_tasks() == []
    saved = json.loads(store["checkpoint"])
    assert saved["next"] == (START + 13 * D).isoformat()  # 5,555 = 13 full days + 355
    assert len(saved["skip"]) == 355
    rest: list[int] = []
    await export(saved, rest, crash_at=None)
    assert first + rest == expected_numbers()


async def test_payments_split_on_413(confirma_client: ConfirmaClient) -> None:
    # 50 payments a day; the server refuses windows matching more than 700 (15 days).
    pager = confirma_client.payments.list(START, END, window=30 * D)
    payments = [p async for p in pager]
    assert len(payments) == DAYS * 50
    dates = [p.payment_date.date() for p in payments]
    assert dates == sorted(dates)
    assert dates[0] == START
    assert dates[-1] == END
    assert pager.stats.splits == 3  # 30 days -> 15 + 15 (750 each, refused) -> 8 + 7 twice
    assert pager.stats.pages == 4
