"""Findings 7 and 9: re-sends are paced, a breaker stops a dead server's job, duplicates go once."""

from __future__ import annotations

from typing import Any

import pytest
from aioresponses import aioresponses

from confirma_async import (
    BatchStatus,
    CircuitOpenError,
    ClientConfig,
    ConfirmaClient,
    ConflictError,
    DuplicateInputError,
    ServerError,
)
from confirma_async.testing import SandboxConfig

from ..integration.conftest import make_invoice
from ..unit.batch_fakes import FakeCfis, comment, invoice
from ..unit.conftest import BASE, TOKEN, url

CREATED, EXISTS, FAILED = BatchStatus.CREATED, BatchStatus.ALREADY_EXISTS, BatchStatus.FAILED
CONFIG = ClientConfig(backoff_base=0.0001, backoff_cap=0.0002, retry_after_cap=0.001, max_retries=1)


@pytest.fixture
def mocked() -> Any:
    with aioresponses() as m:
        yield m


@pytest.fixture
async def client() -> Any:
    async with ConfirmaClient(api_key=TOKEN, base_url=BASE, config=CONFIG) as c:
        yield c


def recording(batch: Any) -> list[float]:
    """Record the waits the batch's pacing asks for (and do not sleep)."""
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    batch.pacing.sleep = sleep
    return waits


async def test_503_on_every_post_is_bounded_paced_and_stopped_by_the_breaker(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    cfis = FakeCfis(mocked)
    for n in range(1, 101):
        cfis.plan[n] = ["503"] * 10
    batch = client.batch(4, breaker_threshold=10)
    waits = recording(batch)

    results = [r async for r in batch.submit_invoices(invoice(n) for n in range(1, 101))]

    posts = sum(cfis.posts.values())
    assert len(results) == 100
    assert posts <= 10 + 4 * 2  # the threshold, plus what was in flight when it opened
    held = [r for r in results if isinstance(r.error, CircuitOpenError)]
    assert len(held) >= 100 - posts
    assert all(not r.outcome_unknown and r.status is FAILED for r in held)
    assert all(w >= CONFIG.backoff_base for w in waits)
    assert len(waits) == batch.stats.resends  # every re-send waited first
    assert cfis.stored == {}


async def test_an_item_the_breaker_held_back_names_and_chains_the_failure_that_opened_it(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    cfis = FakeCfis(mocked)
    for n in range(1, 11):
        cfis.plan[n] = ["503"] * 10
    batch = client.batch(1, breaker_threshold=3, ordered=True)
    recording(batch)

    results = [r async for r in batch.submit_invoices(invoice(n) for n in range(1, 11))]

    held = [r.error for r in results if isinstance(r.error, CircuitOpenError)]
    assert held
    opened_by = held[0].__cause__  # the 503 that opened the breaker, the same for every item
    assert isinstance(opened_by, ServerError)
    assert opened_by.status == 503
    assert all(error.__cause__ is opened_by for error in held)
    assert "the last: ServerError: 503" in str(held[0])


async def test_the_summary_counts_the_items_the_breaker_held_back(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    cfis = FakeCfis(mocked)
    for n in range(1, 31):
        cfis.plan[n] = ["503"] * 10
    batch = client.batch(1, breaker_threshold=5)
    recording(batch)

    summary = await batch.run(batch.submit_invoices(invoice(n) for n in range(1, 31)))

    assert summary.failed == 30
    assert summary.circuit_open == 30 - sum(1 for n in cfis.posts if cfis.posts[n])
    assert summary.circuit_open > 0
    assert summary.outcome_unknown == 0


async def test_the_breaker_holds_back_actions_too(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    cfis = FakeCfis(mocked)
    cfis.action_plan = ["503"] * 100
    batch = client.batch(1, breaker_threshold=5, ordered=True)

    results = [r async for r in batch.submit_actions(comment(n) for n in range(1, 31))]

    assert [r.attempts for r in results[:5]] == [1] * 5  # a 5xx: unknown, not re-sent
    assert all(r.outcome_unknown for r in results[:5])
    assert all(isinstance(r.error, CircuitOpenError) for r in results[5:])
    assert all(r.attempts == 0 for r in results[5:])
    assert len(cfis.action_plan) == 100 - 5


async def test_a_rerun_after_the_breaker_opened_sends_the_held_items(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    cfis = FakeCfis(mocked)
    for n in range(1, 21):
        cfis.plan[n] = ["503"] * 2
    batch = client.batch(1, breaker_threshold=2, ordered=True)
    recording(batch)
    first = [r async for r in batch.submit_invoices(invoice(n) for n in range(1, 21))]
    assert any(isinstance(r.error, CircuitOpenError) for r in first)
    cfis.plan.clear()  # the server is back
    again = [r async for r in batch.submit_invoices(invoice(n) for n in range(1, 21))]
    assert all(r.ok for r in again)
    assert cfis.stored == dict.fromkeys(range(1, 21), 1)


async def test_a_retry_after_of_zero_still_waits_at_least_the_backoff_base(
    mocked: aioresponses, client: ConfirmaClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="confirma_async")
    mocked.post(url("/invoice"), status=429, headers={"Retry-After": "0"})
    mocked.post(url("/invoice"), status=201, payload={"invoiceNumber": 1})
    await client.invoices.create(invoice(1))
    waits = [r.wait_s for r in caplog.records if getattr(r, "wait_s", None) is not None]
    assert waits
    assert all(w >= round(CONFIG.backoff_base, 3) for w in waits)


async def test_a_conflict_with_another_code_is_checked_before_it_counts_as_existing(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    mocked.post(url("/invoice"), status=409, payload={"code": "INVOICE_LOCKED", "message": "no"})
    page = {"metaData": {"totalCount": 0}, "distributions": []}
    mocked.get(url("/invoice/distribution"), payload=page)

    [result] = [r async for r in client.batch().submit_invoices([invoice(7)])]

    assert result.status is FAILED  # not on the server: the 409 was about something else
    assert isinstance(result.error, ConflictError)
    assert not result.outcome_unknown
    assert result.lookups == 1


@pytest.fixture
def confirma_sandbox_config() -> SandboxConfig:
    return SandboxConfig(reject_duplicates=False)  # a server that stores repeats


async def test_the_same_number_twice_in_one_input_is_posted_once(
    confirma_sandbox: Any, confirma_client: ConfirmaClient
) -> None:
    items = [make_invoice(n) for n in range(1, 201)] * 2  # every number twice, concurrently

    results = [r async for r in confirma_client.batch(64).submit_invoices(items)]

    assert len(results) == 400
    assert all(r.ok for r in results)
    assert [r.status for r in results].count(CREATED) == 200
    counts = confirma_sandbox.state.accepted_counts()
    assert all(counts[n] == 1 for n in range(1, 201))


async def test_the_same_number_with_other_content_is_refused_and_not_sent(
    confirma_sandbox: Any, confirma_client: ConfirmaClient
) -> None:
    items = [make_invoice(1, amount="10.00"), make_invoice(1, amount="99.00")]

    results = [r async for r in confirma_client.batch(8, ordered=True).submit_invoices(items)]

    assert results[0].status is CREATED
    assert results[1].status is FAILED
    assert isinstance(results[1].error, DuplicateInputError)
    assert not results[1].outcome_unknown
    assert confirma_sandbox.state.accepted_count(1) == 1
