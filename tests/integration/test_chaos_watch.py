"""Chaos: ``watch_distributions`` under random listing faults while the data moves between polls.

Each seed draws a sandbox (small per-response maximum), random fault rules on the distribution
listing and the client's retries. Between two polls (the watcher's injected ``sleep``) the test
stores new invoices dated around today and moves the ``ManualClock`` on by a random number of
minutes, so queued records are delivered or fail and days roll over. A poll that fails ends the
watcher with a ``PaginationError``; a new one is built at once from the checkpoint saved after
each record, on the same client. After the last change the faults are lifted for two more polls.

What must hold, from the sandbox's own records: every invoice's final state was yielded (its
last yielded fingerprint is the one it has now), no state of an invoice was yielded twice across
the restarts, and nothing but the sandbox's invoices was yielded.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from confirma_async import ConfirmaClient, DistributionRecord, PaginationError
from confirma_async.pagination.watch import fingerprint
from confirma_async.testing import FaultRule, ManualClock, Sandbox, SandboxConfig, sample_invoice
from confirma_async.testing._schemas import check_invoice

from ..chaos import seeds
from . import pager_chaos
from .pager_chaos import DAY, TIMEOUT, expected

QUICK = [9, 15, 19]  # about 1.5 s together; each restarts the watcher at least once
ROUNDS = 6  # polls followed by changes; then two calm polls
FIRST_NUMBER = 4_200_000
KINDS = ("error", "rate_limit", "drop", "commit_drop", "slow", "latency")


class Done(Exception):
    """Raised from the watcher's sleep once the last calm poll is over."""


def fault_rules(rng: random.Random) -> list[FaultRule]:
    return [
        FaultRule(
            kind=kind,  # type: ignore[arg-type]
            method="GET",
            path="/invoice/distribution",
            rate=rng.choice((0.03, 0.08, 0.15)),
            retry_after=1.0,
            delay=2 * TIMEOUT,
            latency=0.002,
            jitter=0.01,
        )
        for kind in rng.sample(KINDS, rng.randint(1, len(KINDS)))
    ]


class Scene:
    """The sandbox, and the changes made between polls."""

    def __init__(self, seed: int, sandbox: Sandbox) -> None:
        self.rng = random.Random(seed)
        self.sandbox = sandbox
        self.number = FIRST_NUMBER
        self.sleeps = 0
        self.limit = sandbox.config.max_records_per_response
        self.since = sandbox.clock.now().date() - 3 * DAY
        self.faults = fault_rules(self.rng)
        for rule in self.faults:
            sandbox.faults.add(rule)

    def change(self) -> None:
        """New invoices dated around today; the clock moves on (records delivered or failed)."""
        state, today = self.sandbox.state, self.sandbox.clock.now().date()
        for _ in range(self.rng.randint(0, 4)):
            self.number += self.rng.randint(1, 3)
            day = max(today + self.rng.randint(-3, 1) * DAY, self.since)
            if len(state.invoices_on(self.sandbox.client_id, day)) >= self.limit:
                continue  # a day one answer cannot hold would stop every poll (by design)
            body = sample_invoice(self.number, invoice_date=day)
            state.create_invoice(self.sandbox.client_id, check_invoice(body), body)
        self.sandbox.advance(timedelta(minutes=self.rng.choice((1, 3, 6, 60, 600))))

    async def sleep(self, seconds: float) -> None:
        """Between two polls: a round of changes, then calm, then the end."""
        self.sleeps += 1
        if self.sleeps <= ROUNDS:
            self.change()
        elif self.sleeps == ROUNDS + 1:
            self.sandbox.faults.clear()
        else:
            raise Done

    def final_states(self) -> dict[int, str]:
        """Every stored invoice's fingerprint now, from the sandbox's own listing."""
        today = self.sandbox.clock.now().date()
        days = expected(self.sandbox.state, self.sandbox.client_id, self.since, today + DAY)
        return {
            number: fingerprint(record)
            for records in days["distributions"].values()
            for number, record in records
        }


async def run_watch(seed: int) -> None:
    rng = random.Random(f"config-{seed}")
    config = SandboxConfig(
        seed=seed,
        max_records_per_response=rng.choice((3, 5, 8)),  # windows over days are cut and split
        distribution_failure_rate=0.2,
        distribution_delay=timedelta(minutes=rng.choice((2, 5, 30))),
        shutdown_timeout=0.05,
    )
    client_config = pager_chaos.client_config(rng.randint(0, 3))
    clock = ManualClock(datetime(2026, 1, 5, 23, 0, tzinfo=UTC))  # the day rolls over early
    async with (
        Sandbox(config, clock=clock) as sandbox,
        ConfirmaClient(
            api_key=sandbox.client_token, base_url=sandbox.base_url, config=client_config
        ) as client,
    ):
        scene = Scene(seed, sandbox)
        why = f"seed {seed} (rerun: CONFIRMA_CHAOS_SEEDS={seed})"
        yielded: list[tuple[int, str]] = []
        checkpoint: dict[str, Any] | None = None
        restarts = 0
        while True:
            watcher = client.invoices.watch_distributions(
                since=scene.since,
                interval=1,
                clock=sandbox.clock,
                sleep=scene.sleep,
                checkpoint=checkpoint,
                prefetch=rng.choice((0, 1, 2)),
                window=rng.choice((1, 2, 4)) * DAY,
            )
            try:
                async with watcher:
                    async for record in watcher:
                        yielded.append(state_of(record, why))
                        checkpoint = watcher.checkpoint
            except PaginationError:
                restarts += 1
                assert restarts <= 10 * ROUNDS, why
                continue
            except Done:
                break
        print(f"{why}: {len(yielded)} yielded, {restarts} restarts")
        assert len(set(yielded)) == len(yielded), f"{why}: a state yielded twice"
        last: dict[int, str] = {}
        for number, state in yielded:
            last[number] = state
        assert last == scene.final_states(), why


def state_of(record: DistributionRecord, why: str) -> tuple[int, str]:
    assert record.invoice_number is not None, why
    assert isinstance(record.invoice_date, date), why
    return record.invoice_number, fingerprint(record)


@pytest.mark.parametrize("seed", seeds(QUICK), ids=lambda s: f"seed_{s}")
async def test_a_watcher_under_faults_yields_every_change_once_and_loses_none(seed: int) -> None:
    await run_watch(seed)
