"""Chaos for queued actions: random faults, repeats, token expiry, interruptions, resumed runs.

Actions cannot be looked up, so the rule differs from invoices': an action whose outcome is unknown
ends FAILED with ``outcome_unknown`` and is never sent again, by this run or a resumed one with the
same journal (at most once). Each seed draws a schedule (``action_chaos.py``): actions of random
codes against stored invoices, some against missing ones, identical copies, an invalid one; random
fault rules on ``POST /invoice/action`` (5xx, 429, drop, commit-then-drop, slow answers past the
client's timeout); random retry settings, breaker, concurrency and order; an expiry of every token
mid-run; and interruptions of the first runs (the stream left after k results, its task cancelled
after k results or k loop turns, or cancelled with a request surely in flight: held by the
sandbox). Runs with the same journal follow until every action is settled (queued, unknown, or
refused for a missing invoice); one more run must send nothing but the refused ones again.

What must hold, from the sandbox's request log and records and from the journal file: every action
queued at most once; every action the results call done queued exactly once; every action never
queued has FAILED results with reasons the rules allow; after a request that may have been applied,
no further request for that action arrives; the journal agrees with every result; each complete
run hands back one result per input and its summary adds up.

A failure names its seed; ``CONFIRMA_CHAOS_SEEDS=N`` reruns it (see ``tests/chaos.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from confirma_async import (
    APIConnectionError,
    BatchResult,
    BatchStatus,
    BatchSummary,
    CircuitOpenError,
    ConfirmaClient,
    ConfirmaError,
    InvoiceRequest,
    NotFoundError,
    QueuedAction,
    RateLimitError,
    RequestValidationError,
)
from confirma_async.models import from_wire
from confirma_async.testing import ManualClock, Sandbox, SandboxConfig

from ..chaos import RunnerBase, drive, feed, seeds
from .action_chaos import (
    INVALID,
    ActionChaos,
    check_journal_agrees,
    check_server,
    comment_of,
    draw_actions,
)
from .conftest import aliases_for
from .test_batch_sandbox import batch_tasks

CREATED, FAILED = BatchStatus.CREATED, BatchStatus.FAILED
MAX_RUNS = 12
CALM_AFTER = 6  # runs with faults; later runs meet none, so every schedule ends
QUICK = [1, 2, 4, 5, 6, 11, 24, 43, 55, 56]  # ~2.5 s: every interruption kind, repeats, 404s
# More seeds only by CONFIRMA_CHAOS_SEEDS (e.g. 100-199): CI runs QUICK alone (suite-time budget).


def allowed_failure(result: BatchResult[Any, Any], chaos: ActionChaos) -> bool:
    """A FAILED result the rules for actions allow (see docs/guides/bulk-upload.md)."""
    error = result.error
    if result.key is None:  # invalid: nothing sent
        return isinstance(error, RequestValidationError) and result.attempts == 0
    if result.outcome_unknown:
        if result.from_journal:  # sent by an earlier run, outcome unknown: not sent again
            return result.attempts == 0
        return isinstance(error, ConfirmaError) and error.outcome_unknown and result.attempts >= 1
    if isinstance(error, CircuitOpenError):
        return True  # held back; whatever was sent before it was refused for sure
    if isinstance(error, NotFoundError):
        return comment_of(result.item) in chaos.missing and not error.outcome_unknown
    if result.attempts != chaos.max_attempts:
        return False
    # Attempts used up, each refused for sure (429, or a connection never made).
    return isinstance(error, RateLimitError | APIConnectionError) and not error.outcome_unknown


class Runner(RunnerBase):
    """Runs the schedule's runs against one sandbox and one client, checking each result."""

    chaos: ActionChaos

    def __init__(self, chaos: ActionChaos, sandbox: Sandbox, client: ConfirmaClient, journal: Path):
        super().__init__(chaos, sandbox, client, journal)
        self.why = chaos.describe()
        self.final: dict[Any, str] = {}
        """Keys whose outcome a result settled for good: ``done`` (queued) or ``unknown``."""

    def check(self, result: BatchResult[Any, Any]) -> None:
        why = f"{self.why}: {result!r}"
        assert (result.error is None) == (result.status is CREATED), why
        if result.from_journal:
            assert (result.attempts, result.lookups) == (0, 0), why
        settled = self.final.get(result.key)
        if settled is not None:  # never sent again, whatever happened before
            assert result.from_journal, why
            assert (result.status is CREATED) == (settled == "done"), why
        if result.status is CREATED:
            assert comment_of(result.item) not in self.chaos.missing, why
            if not result.from_journal:
                assert result.attempts >= 1, why
                assert result.response is None or isinstance(result.response, QueuedAction), why
            self.final[result.key] = "done"
            return
        assert result.status is FAILED, why  # ALREADY_EXISTS is never an action's outcome
        assert allowed_failure(result, self.chaos), why
        if result.outcome_unknown:
            self.final[result.key] = "unknown"

    async def run(self, number: int) -> list[BatchResult[Any, Any]] | None:
        """One run; its results, or ``None`` if it was interrupted before its end."""
        chaos = self.chaos
        stop = chaos.interruptions[number] if number < len(chaos.interruptions) else None
        batch = chaos.batch(self.client, self.journal)
        results: list[BatchResult[Any, Any]] = []
        on_result = self.collect(results)
        stream = batch.submit_actions(feed(chaos.items, chaos.streamed))
        summary = None
        if stop is None:
            summary = await batch.run(stream, on_result=on_result)
        else:
            await drive(stream, stop, on_result, self.sandbox.faults, ("POST", "/invoice/action"))
        assert batch_tasks() == [], self.why  # no worker outlives its stream
        self.last_requests = batch.stats.requests
        check_journal_agrees(chaos, self.journal, results)
        print(f"{self.why} run {number}: stop={stop} results={describe(results)}")
        if len(results) < len(chaos.items):
            assert stop is not None, self.why
            return None
        assert sorted(r.index for r in results) == list(range(len(chaos.items))), self.why
        check_summary(summary, results, batch.stats.requests, self.why)
        return results

    def settled(self, results: list[BatchResult[Any, Any]]) -> bool:
        """True when no action is left to send: each is queued, unknown, or refused as missing."""
        return all(
            r.ok or r.outcome_unknown or r.key is None or isinstance(r.error, NotFoundError)
            for r in results
        )


def describe(results: list[BatchResult[Any, Any]]) -> dict[str, int]:
    """Results counted by kind, for the printed (on failure, shown) run log."""
    kinds: dict[str, int] = {}
    for r in results:
        kind = "unknown" if r.outcome_unknown else type(r.error).__name__ if r.error else "CREATED"
        kind += "(journal)" if r.from_journal else ""
        kinds[kind] = kinds.get(kind, 0) + 1
    return kinds


def check_summary(
    summary: BatchSummary | None, results: list[BatchResult[Any, Any]], requests: int, why: str
) -> None:
    """The run's summary (``batch.run``'s, or one added up here) agrees with its results."""
    if summary is None:
        summary = BatchSummary()
        for result in results:
            summary.add(result)
    failed = [r for r in results if r.status is FAILED]
    assert summary.total == len(results), why
    assert summary.created == sum(r.status is CREATED for r in results), why
    assert summary.already_exists == 0, why
    assert summary.failed == len(failed), why
    assert summary.outcome_unknown == sum(r.outcome_unknown for r in failed), why
    assert summary.circuit_open == sum(isinstance(r.error, CircuitOpenError) for r in failed), why
    assert summary.from_journal == sum(r.from_journal for r in results), why
    assert summary.attempts == sum(r.attempts for r in results) == requests, why


async def run_chaos(seed: int, tmp_path: Path) -> None:
    chaos = draw_actions(seed)
    dialect = "alternate" if seed % 2 else "reference"
    config = SandboxConfig(seed=seed, distribution_failure_rate=0, dialect=dialect)
    async with (
        Sandbox(config, clock=ManualClock()) as sandbox,
        ConfirmaClient(
            api_key=sandbox.client_token,
            base_url=sandbox.base_url,
            config=chaos.config,
            wire_aliases=aliases_for(dialect),
        ) as client,
    ):
        setup = client.with_options(timeout=30)  # the schedule's 0.25 s is for the faults
        for invoice in chaos.invoices:  # the targets, stored before any fault
            await setup.invoices.create(from_wire(invoice, InvoiceRequest))
        log = sandbox.record_requests(bodies=True)
        for rule in chaos.faults:
            sandbox.faults.add(rule)
        journal = tmp_path / f"actions-{seed}.jsonl"
        runner = Runner(chaos, sandbox, client, journal)
        for number in range(MAX_RUNS):
            if number == CALM_AFTER:
                sandbox.faults.clear()
            results = await runner.run(number)
            if results is not None and runner.settled(results):
                break
        else:
            pytest.fail(f"{chaos.describe()}: not settled after {MAX_RUNS} runs")

        sandbox.faults.clear()
        last = await runner.run(MAX_RUNS)  # nothing left but the ones refused as missing
        why = chaos.describe()
        assert last is not None, why
        assert runner.settled(last), why
        resent = [r for r in last if r.key is not None and not r.from_journal]
        assert all(isinstance(r.error, NotFoundError) and r.attempts == 1 for r in resent), why
        assert runner.last_requests == len(resent), why
        invalid = [r for r in last if r.key is None]
        assert len(invalid) == sum(comment_of(item) == INVALID for item in chaos.items), why
        print(f"{why}: faults fired {dict(sandbox.faults.fired)}")
        check_server(chaos, sandbox, log, journal)


@pytest.mark.parametrize("seed", seeds(QUICK), ids=lambda s: f"seed_{s}")
async def test_random_faults_and_interruptions_queue_every_action_at_most_once(
    seed: int, tmp_path: Path
) -> None:
    await run_chaos(seed, tmp_path)
