"""The PostgreSQL job store itself: loading, claims, leases, retries, status, actions, binding.

Against a real PostgreSQL server and the sandbox; several workers run as tasks of this test's
event loop (the process tests are in ``test_jobs_processes.py``).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import asyncpg
import pytest

from confirma_async import (
    ActionData,
    BatchResult,
    BatchSummary,
    ClientConfig,
    ConfirmaClient,
    InvoiceAction,
    JobStatus,
    JobStore,
    JournalError,
)
from confirma_async.postgres import schema_versions
from confirma_async.testing import FaultRule, Sandbox, sample_invoice
from tests.log_signals import EventSignal

from .stores import fetch

FIRST = 830_000_001


def invoices(count: int, first: int = FIRST) -> list[dict[str, Any]]:
    return [sample_invoice(first + i, payment_control=False) for i in range(count)]


async def test_the_store_creates_its_versioned_tables(postgres_dsn: str) -> None:
    async with await JobStore.connect(postgres_dsn), await JobStore.connect(postgres_dsn):
        pass  # two stores migrating the same database: the second finds nothing to do
    conn = await asyncpg.connect(postgres_dsn)
    try:
        assert (await schema_versions(conn))["jobs"] == 1
    finally:
        await conn.close()


async def test_malformed_lines_and_repeated_keys_are_failed_at_load(postgres_dsn: str) -> None:
    good = [line.encode() for line in map(_json, invoices(2))]
    lines = [good[0], b"", b"{not json", b"[1, 2]", good[1], good[0]]
    async with await JobStore.connect(postgres_dsn) as store:
        job = await store.load(lines)
        results = [r async for r in job.results()]
        status = await job.status()
    assert [(r.line, r.state, r.error_type) for r in results] == [
        (1, "pending", None),
        (3, "failed", "RequestValidationError"),
        (4, "failed", "RequestValidationError"),
        (5, "pending", None),
        (6, "failed", "DuplicateInputError"),
    ]
    assert "line 3: not JSON" in str(results[1].error)
    assert results[4].error == f"key {FIRST} appears again at line 6 (first at line 1): " + (
        "not sent a second time"
    )
    assert (status.total, status.pending, status.failed) == (5, 2, 3)


async def test_two_workers_never_claim_the_same_item(
    postgres_dsn: str, confirma_sandbox: Sandbox
) -> None:
    async with await JobStore.connect(postgres_dsn) as store:
        job = await store.load(invoices(600))

        async def worker() -> int:
            client = ConfirmaClient(
                api_key=confirma_sandbox.client_token, base_url=confirma_sandbox.base_url
            )
            async with client:
                return (await job.work(client, concurrency=8, claim_size=16, poll=0.01)).total

        shares = await asyncio.gather(worker(), worker())
        status = await job.status()
    assert sum(shares) == 600
    assert min(shares) > 0
    assert status.created == 600
    assert confirma_sandbox.state.submission_count(FIRST) == 1
    assert {confirma_sandbox.state.submission_count(FIRST + i) for i in range(600)} == {1}
    claims = await fetch(postgres_dsn, "SELECT DISTINCT claims FROM confirma_job_items")
    assert [row["claims"] for row in claims] == [1]


@pytest.mark.slow
async def test_a_worker_that_lost_its_lease_stops_and_another_finishes_its_items(
    postgres_dsn: str, confirma_sandbox: Sandbox, confirma_client: ConfirmaClient
) -> None:
    confirma_sandbox.faults.add(FaultRule(kind="latency", latency=0.005))
    async with await JobStore.connect(postgres_dsn) as store:
        job = await store.load(invoices(3000))
        halfway = asyncio.Event()
        seen: list[BatchResult[Any, Any]] = []

        def count(result: BatchResult[Any, Any]) -> None:
            seen.append(result)
            if len(seen) == 100:
                halfway.set()

        async def take_the_lease_away() -> None:
            await halfway.wait()  # as if this worker had stalled past its lease
            await fetch(postgres_dsn, "UPDATE confirma_job_workers SET lease_until = now()")

        thief = asyncio.create_task(take_the_lease_away())
        with pytest.raises(JournalError, match="stopped sending"):
            await job.work(confirma_client, concurrency=4, lease=1.0, on_result=count)
        thief.cancel()  # done already, unless a slow machine stalled the worker past its lease
        sent_before = confirma_sandbox.state.requests_received("POST", "/invoice")
        assert len(seen) < 3000

        confirma_sandbox.faults.clear()
        await job.work(confirma_client, concurrency=16, poll=0.01)
        status = await job.status()
    assert confirma_sandbox.state.requests_received("POST", "/invoice") > sent_before
    assert status.created + status.already_exists == 3000 == status.done
    assert confirma_sandbox.state.accepted_counts() == {FIRST + i: 1 for i in range(3000)}
    assert confirma_sandbox.state.responses_sent("POST", "/invoice", status=409) == 0


async def test_a_worker_whose_answers_come_after_its_items_were_taken_over_says_so(
    postgres_dsn: str, confirma_sandbox: Sandbox, confirma_client: ConfirmaClient
) -> None:
    sandbox = confirma_sandbox
    async with await JobStore.connect(postgres_dsn) as store:
        job = await store.load(invoices(4))
        held = sandbox.faults.hold("POST", "/invoice", count=4)  # the first worker's uploads
        first = asyncio.create_task(job.work(confirma_client, concurrency=4, lease=60.0))
        try:
            waiting = asyncio.ensure_future(held.wait_held(4))
            await asyncio.wait((waiting, first), return_when=asyncio.FIRST_COMPLETED)
            assert waiting.done(), first
            # As if it had stalled past its lease: a second worker takes its items over at once,
            # looks them up and sends them (the hold has spent its count).
            await fetch(postgres_dsn, "UPDATE confirma_job_workers SET lease_until = now()")
            second = await job.work(confirma_client, concurrency=4, poll=0.01)
        finally:
            held.end()  # the first worker's uploads arrive now: they meet the stored invoices
        with pytest.raises(JournalError, match="4 of its results came after its lease ran out"):
            await first
        status = await job.status()
    assert second.created == 4
    assert sandbox.state.accepted_counts() == {FIRST + i: 1 for i in range(4)}
    assert status.created + status.already_exists == 4 == status.done


async def test_failed_items_are_retried_and_status_counts_them_by_reason(
    postgres_dsn: str, confirma_sandbox: Sandbox, confirma_client: ConfirmaClient
) -> None:
    rule = confirma_sandbox.faults.add(
        FaultRule(kind="rate_limit", method="POST", path="/invoice", retry_after=0.001)
    )
    async with await JobStore.connect(postgres_dsn) as store:
        job = await store.load(invoices(5))
        first = await job.work(confirma_client, max_attempts=2)
        failed = await job.status()
        confirma_sandbox.faults.remove(rule)
        assert await job.retry_failed() == 5
        second = await job.work(confirma_client)
        done = await job.status()
    assert (first.failed, failed.failed, failed.failures) == (5, 5, {"RateLimitError": 5})
    assert (second.created, done.created, done.failed, done.finished) == (5, 5, 0, True)
    assert done.rate is not None


async def test_an_action_job_sends_each_action_once(
    postgres_dsn: str, confirma_sandbox: Sandbox, confirma_client: ConfirmaClient
) -> None:
    await confirma_client.batch(4).run(confirma_client.batch(4).submit_invoices(invoices(3)))
    actions: list[Any] = [
        InvoiceAction(code="COMMENT", comment="hello", data=ActionData(invoice_number=FIRST + i))
        for i in range(3)
    ]
    actions.append(actions[0])  # the same action twice: two actions, by their occurrence
    actions.append({"code": "COMMENT", "data": {}})  # no target: failed without a request
    async with await JobStore.connect(postgres_dsn) as store:
        job = await store.load(actions, kind="action")
        summary = await job.work(confirma_client)
        results = [r async for r in job.results()]
    assert (summary.created, summary.failed) == (4, 1)
    assert [r.state for r in results] == ["created"] * 4 + ["failed"]
    assert results[3].key == f"{results[0].key}#2"
    assert confirma_sandbox.state.requests_received("POST", "/invoice/action") == 4


async def stopped_with_two_in_flight(
    dsn: str, sandbox: Sandbox, client: ConfirmaClient, items: list[Any], kind: str, path: str
) -> tuple[BatchSummary, JobStatus]:
    """A worker (concurrency 2) cancelled with its first two requests held unanswered, after it
    claimed every item; then a second worker finishes the job."""
    async with await JobStore.connect(dsn) as store:
        job = await store.load(items, kind=kind)
        with sandbox.faults.hold("POST", path, count=2) as held:
            first = asyncio.create_task(job.work(client, concurrency=2, lease=60.0))
            waiting = asyncio.ensure_future(held.wait_held(2))
            await asyncio.wait((waiting, first), return_when=asyncio.FIRST_COMPLETED)
            assert waiting.done(), first
            first.cancel()  # a graceful stop: Ctrl-C, a cancelled task
            with pytest.raises(asyncio.CancelledError):
                await first
        second = await job.work(client, concurrency=4, poll=0.01)
        return second, await job.status()


async def test_a_stopped_worker_hands_back_the_actions_it_never_sent(
    postgres_dsn: str, confirma_sandbox: Sandbox, confirma_client: ConfirmaClient
) -> None:
    # Only the two actions in flight at the stop may have been queued: the other eight, claimed
    # but never sent, are sent by the next worker, not failed as unknown.
    await confirma_client.batch(4).run(confirma_client.batch(4).submit_invoices(invoices(10)))
    actions: list[Any] = [
        InvoiceAction(code="COMMENT", comment="hi", data=ActionData(invoice_number=FIRST + i))
        for i in range(10)
    ]
    second, status = await stopped_with_two_in_flight(
        postgres_dsn, confirma_sandbox, confirma_client, actions, "action", "/invoice/action"
    )
    assert (second.created, second.failed, second.outcome_unknown) == (8, 2, 2)
    assert (status.created, status.failed) == (8, 2)
    queued = Counter(a.spec.invoice_number for a in confirma_sandbox.state.actions())
    assert set(queued) >= set(range(FIRST + 2, FIRST + 10))  # the two in flight: either way
    assert set(queued.values()) == {1}


async def test_a_stopped_worker_hands_back_the_invoices_it_never_sent_without_lookups(
    postgres_dsn: str, confirma_sandbox: Sandbox, confirma_client: ConfirmaClient
) -> None:
    second, status = await stopped_with_two_in_flight(
        postgres_dsn, confirma_sandbox, confirma_client, invoices(10), "invoice", "/invoice"
    )
    assert second.lookups == 2  # only the two that may have been stored are looked up
    assert status.created + status.already_exists == 10 == status.done
    assert confirma_sandbox.state.accepted_counts() == {FIRST + i: 1 for i in range(10)}


async def test_a_stopped_worker_hands_back_an_action_refused_while_it_waits_to_retry(
    postgres_dsn: str, confirma_sandbox: Sandbox, confirma_client: ConfirmaClient
) -> None:
    # The 429 proves nothing was queued: stopped during the transport's wait to retry, the
    # worker hands the action back, and the next worker sends it (not failed as unknown).
    sandbox = confirma_sandbox
    await confirma_client.batch(1).run(confirma_client.batch(1).submit_invoices(invoices(1)))
    action = InvoiceAction(code="COMMENT", comment="hi", data=ActionData(invoice_number=FIRST))
    sandbox.faults.rate_limit_next(1, "POST", "/invoice/action", retry_after=3600)
    retrying = EventSignal("confirma_retry")  # logged just before the transport's wait
    config = ClientConfig(max_retries=2, retry_after_cap=3600)
    async with (
        await JobStore.connect(postgres_dsn) as store,
        ConfirmaClient(
            api_key=sandbox.client_token, base_url=sandbox.base_url, config=config, logger=retrying
        ) as waiting_client,
    ):
        job = await store.load([action], kind="action")
        first = asyncio.create_task(job.work(waiting_client, lease=60.0))
        await asyncio.wait((retrying.seen, first), return_when=asyncio.FIRST_COMPLETED)
        assert retrying.seen.done(), first
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first
        second = await job.work(confirma_client, poll=0.01)
    assert (second.created, second.failed) == (1, 0)
    assert [a.spec.comment for a in sandbox.state.actions()] == ["hi"]


async def test_a_job_bound_to_one_server_refuses_another(
    postgres_dsn: str, confirma_sandbox: Sandbox, confirma_client: ConfirmaClient
) -> None:
    async with await JobStore.connect(postgres_dsn) as store:
        job = await store.load(invoices(3))
        await job.work(confirma_client)
        other = ConfirmaClient(api_key="k", base_url="http://127.0.0.1:9/api/v1/partner")
        async with other:
            with pytest.raises(JournalError, match="belongs to server"):
                await job.work(other)


def _json(item: dict[str, Any]) -> str:
    from confirma_async._core.json import dumps

    return dumps(item).decode()
