"""Chaos: random faults, repeats, token expiry and interruptions; resumed until nothing is left.

Each seed draws a schedule (``tests/chaos.py``): invoices with random content, exact repeats and
repeats with other content; random fault rules on the upload and on the lookups (5xx, 429, drop,
commit-then-drop, slow answers past the client's timeout); random client retry settings, breaker
threshold, concurrency and order; an expiry of every token mid-run; and interruptions of the first
runs (the stream left after k results, its task cancelled after k results, or cancelled after k
event-loop turns). Then runs with the same journal follow until one finishes with every invoice
settled, and one more run must find no work left.

What must hold, from the sandbox's own record and from the journal file, not the client's view:
every invoice stored exactly once with exactly its content; every result one the rules allow;
every run that was not interrupted hands back exactly one result per input and its summary adds
up; the journal never claims what the server does not have.

A failure names its seed; ``CONFIRMA_CHAOS_SEEDS=N`` reruns it (see ``tests/chaos.py``).
"""

from __future__ import annotations

import json
from collections import Counter
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
    DuplicateInputError,
    RateLimitError,
)
from confirma_async.batch.invoices import _from_dict
from confirma_async.batch.jobs import digest
from confirma_async.testing import ManualClock, Sandbox, SandboxConfig

from ..chaos import Chaos, Item, RunnerBase, check_stored_exactly_once, draw, drive, feed, seeds
from .conftest import aliases_for
from .test_batch_sandbox import batch_tasks

CREATED, EXISTS, FAILED = BatchStatus.CREATED, BatchStatus.ALREADY_EXISTS, BatchStatus.FAILED
FIRST = 730_000_001
MAX_RUNS = 12
CALM_AFTER = 6  # runs with faults; later runs meet none, so every schedule ends
QUICK = [4, 5, 6, 7, 8, 9, 10, 12]  # about 5 s together; varied: see tests/chaos.py
# 106, 124 and 125 left out of CI's run: 15 s of its ~33 s (slow answers wait in real time);
# CONFIRMA_CHAOS_SEEDS=100-129 runs them all.
MANY = [seed for seed in range(100, 130) if seed not in (106, 124, 125)]


def allowed_failure(result: BatchResult[Any, Any], max_attempts: int) -> bool:
    """A FAILED result the rules allow (see docs/guides/bulk-upload.md)."""
    error = result.error
    if isinstance(error, DuplicateInputError | CircuitOpenError):
        return not result.outcome_unknown  # a repeat, or held back: nothing was sent
    if result.outcome_unknown:
        return result.lookup_error is not None  # unknown only after the lookups failed
    if result.attempts != max_attempts:
        return False
    # Attempts used up: the last failure proved nothing was applied (429, refused), or it left
    # the outcome unknown and the lookup after it found nothing.
    if isinstance(error, RateLimitError | APIConnectionError) and not error.outcome_unknown:
        return True
    return getattr(error, "outcome_unknown", False) and result.lookups >= 1


class Runner(RunnerBase):
    """Runs the schedule's runs against one sandbox and one client, checking each result."""

    chaos: Chaos

    def __init__(self, chaos: Chaos, sandbox: Sandbox, client: ConfirmaClient, journal: Path):
        super().__init__(chaos, sandbox, client, journal)
        self.why = chaos.describe()
        self.created_seen = 0

    def check(self, result: BatchResult[Any, Any]) -> None:
        chaos, why = self.chaos, f"{self.chaos.describe()}: {result!r}"
        item: Item = result.item
        stored = self.sandbox.state.accepted_count(result.key)
        if result.status is CREATED:
            self.created_seen += not result.from_journal
            assert stored == 1, why
            assert result.index == chaos.first_index(result.key), why
        elif result.status is EXISTS:
            assert stored == 1, why
            assert _from_dict(item) == _from_dict(chaos.first[result.key]), why
        else:
            assert allowed_failure(result, chaos.max_attempts), why
        if result.index != chaos.first_index(result.key) and result.status is FAILED:
            assert isinstance(result.error, DuplicateInputError), why

    async def run(self, number: int) -> list[BatchResult[Any, Any]] | None:
        """One run; its results, or ``None`` if it was interrupted."""
        chaos = self.chaos
        stop = chaos.interruptions[number] if number < len(chaos.interruptions) else None
        batch = chaos.batch(self.client, self.journal)
        results: list[BatchResult[Any, Any]] = []
        stream = batch.submit_invoices(feed(chaos.items, chaos.streamed))
        await drive(stream, stop, self.collect(results))
        assert batch_tasks() == [], self.why  # no worker outlives its stream
        self.last_requests = batch.stats.requests
        statuses = Counter(
            "unknown" if r.outcome_unknown else type(r.error).__name__ if r.error else r.status.name
            for r in results
        )
        print(f"{self.why} run {number}: stop={stop} results={dict(statuses)}")  # shown on failure
        if stop is not None and len(results) < len(chaos.items):
            return None
        assert sorted(r.index for r in results) == list(range(len(chaos.items))), self.why
        summary = BatchSummary()
        for result in results:
            summary.add(result)
        assert summary.total == len(chaos.items), self.why
        assert summary.created + summary.already_exists + summary.failed == summary.total
        return results

    def settled(self, results: list[BatchResult[Any, Any]]) -> bool:
        """True when every invoice is on the server by its result: a first occurrence or an
        exact repeat is CREATED or ALREADY_EXISTS (a repeat with other content fails, always)."""
        chaos = self.chaos
        return all(
            r.ok
            for r in results
            if r.index == chaos.first_index(r.key)
            or _from_dict(r.item) == _from_dict(chaos.first[r.key])
        )

    def check_journal(self) -> None:
        why = self.why
        records = [json.loads(line) for line in self.journal.read_text().splitlines()]
        assert records[0]["kind"] == "_binding", why
        last: dict[int, str] = {}
        created_lines: Counter[int] = Counter()
        for record in records[1:]:
            key, status = record["key"], record["status"]
            assert key in self.chaos.first, why  # nothing but the input's numbers
            last[key] = status
            if status == "SENDING":  # the hash of the content that was sent
                body = _from_dict(self.chaos.first[key])
                assert body is not None, why
                assert record["hash"] == f"{digest(body[0]):016x}", why
            if status == "CREATED":
                created_lines[key] += 1
        assert all(status in ("CREATED", "ALREADY_EXISTS") for status in last.values()), why
        assert set(last) == set(self.chaos.first), why
        assert max(created_lines.values(), default=0) <= 1, why  # created once, then skipped
        # Each CREATED line is a 201 the sandbox sent (an interrupted run may not hand it back).
        assert self.created_seen <= sum(created_lines.values()), why
        assert sum(created_lines.values()) <= self.sandbox.state.responses_sent(
            "POST", "/invoice", status=201
        ), why


async def run_chaos(seed: int, tmp_path: Path) -> None:
    chaos = draw(seed, first_number=FIRST)
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
        for rule in chaos.faults:
            sandbox.faults.add(rule)
        runner = Runner(chaos, sandbox, client, tmp_path / f"chaos-{seed}.jsonl")
        for number in range(MAX_RUNS):
            if number == CALM_AFTER:
                sandbox.faults.clear()
            results = await runner.run(number)
            if results is not None and runner.settled(results):
                break
        else:
            pytest.fail(f"{chaos.describe()}: not settled after {MAX_RUNS} runs")

        last = await runner.run(MAX_RUNS)  # no work left: nothing sent, all from the journal
        why = chaos.describe()
        assert last is not None, why
        assert runner.settled(last), why
        assert all(r.from_journal for r in last if r.index == chaos.first_index(r.key)), why
        assert runner.last_requests == 0, why
        print(f"{chaos.describe()}: faults fired {dict(sandbox.faults.fired)}")
        check_stored_exactly_once(chaos, sandbox)
        runner.check_journal()


@pytest.mark.parametrize("seed", seeds(QUICK), ids=lambda s: f"seed_{s}")
async def test_random_faults_and_interruptions_store_every_invoice_exactly_once(
    seed: int, tmp_path: Path
) -> None:
    await run_chaos(seed, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("seed", seeds(MANY), ids=lambda s: f"seed_{s}")
async def test_many_random_schedules_store_every_invoice_exactly_once(
    seed: int, tmp_path: Path
) -> None:
    await run_chaos(seed, tmp_path)
