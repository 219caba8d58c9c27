"""BatchSubmitter against the local sandbox, over real sockets, through injected faults.

Each test runs against both sandbox dialects (the ``dialect`` fixture): the alternate one answers an
upload with 201 and no body, an action with 202 "Accepted", and the lookups that reconcile unknown
outcomes with records the client reads through its wire aliases.

Every assertion about duplicates uses the sandbox's own record (``state.accepted_counts()``,
``responses_sent``), not the client's view. Nothing here waits on a clock: faults are seeded,
backoff and Retry-After are capped to a fraction of a millisecond, and the consumer decides when
to expire tokens or cancel by counting results.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from confirma_async import (
    ActionData,
    BatchStatus,
    ClientConfig,
    ConfirmaClient,
    InvoiceAction,
    NotFoundError,
)
from confirma_async.batch.window import SlidingWindow
from confirma_async.testing import DialectName, FaultRule, Sandbox, SandboxConfig, sample_invoice

from .conftest import aliases_for

CREATED, EXISTS, FAILED = BatchStatus.CREATED, BatchStatus.ALREADY_EXISTS, BatchStatus.FAILED
FIRST = 700_000_001
REPO_ROOT = str(Path(__file__).resolve().parents[2])

FAST = ClientConfig(
    backoff_base=0.0001, backoff_cap=0.0005, retry_after_cap=0.001, max_retries=8, pool_limit=100
)

pytestmark = pytest.mark.usefixtures("dialect")  # every test: against both sandbox dialects


@pytest.fixture
def confirma_sandbox_config() -> SandboxConfig:
    return SandboxConfig(seed=20260115)


@pytest.fixture
def confirma_client_config() -> ClientConfig:
    return FAST


def mixed_faults(method: str, path: str, rate: float = 0.10) -> list[FaultRule]:
    """``rate`` of the requests fail: 30 % 5xx, 30 % 429, 20 % drop, 20 % commit-then-drop.

    Rules are consulted in order and each draws independently, so the later rates are
    conditional on the earlier ones not firing, which makes the shares exact.
    """
    shares = [("error", 0.3), ("rate_limit", 0.3), ("drop", 0.2), ("commit_drop", 0.2)]
    rules = []
    left = 1.0
    for kind, share in shares:
        p = rate * share
        rules.append(
            FaultRule(
                kind=kind,  # type: ignore[arg-type]
                method=method,
                path=path,
                rate=p / left,
                status=503,
                retry_after=1.0,  # the client caps it (retry_after_cap)
            )
        )
        left -= p
    return rules


def invoices(count: int) -> list[dict[str, Any]]:
    return [sample_invoice(FIRST + i, payment_control=False) for i in range(count)]


def batch_tasks() -> list[asyncio.Task[Any]]:
    qualname = SlidingWindow._work.__qualname__  # the coroutine each worker task runs
    return [t for t in asyncio.all_tasks() if t.get_coro().__qualname__ == qualname]


def expire_tokens_now(sandbox: Sandbox) -> None:
    sandbox.advance(timedelta(seconds=1))  # tokens issued so far are now "before" the cut
    sandbox.expire_tokens_at(sandbox.clock.now())


@pytest.mark.slow
async def test_10k_invoices_through_mixed_faults_land_exactly_once(
    confirma_sandbox: Sandbox, confirma_client: ConfirmaClient
) -> None:
    sandbox, client = confirma_sandbox, confirma_client
    for rule in mixed_faults("POST", "/invoice") + mixed_faults("GET", "/invoice/distribution"):
        sandbox.faults.add(rule)
    total = 10_000
    batch = client.batch(64)
    statuses: Counter[BatchStatus] = Counter()
    indexes: Counter[int] = Counter()
    failures = []

    async with batch.submit_invoices(invoices(total)) as results:
        async for result in results:
            statuses[result.status] += 1
            indexes[result.index] += 1
            if not result.ok:
                failures.append(result)
            if sum(indexes.values()) == total // 3:
                expire_tokens_now(sandbox)  # one expiry, mid-run, with 64 requests in flight

    assert failures == []
    assert indexes == dict.fromkeys(range(total), 1)  # exactly one result per input
    accepted = sandbox.state.accepted_counts()
    assert accepted == {FIRST + i: 1 for i in range(total)}  # every invoice exactly once
    assert statuses[CREATED] + statuses[EXISTS] == total == sum(accepted.values())
    # CREATED is exactly the 201s the sandbox sent; ALREADY_EXISTS exactly the invoices it stored
    # without an answer (commit-then-drop), each found by the lookup. Nothing was re-sent blind:
    # the sandbox never had to answer 409.
    assert statuses[CREATED] == sandbox.state.responses_sent("POST", "/invoice", status=201)
    assert statuses[EXISTS] == total - statuses[CREATED] > 0
    assert sandbox.state.responses_sent("POST", "/invoice", status=409) == 0
    # The faults really happened, and one renewal served every worker.
    fired = sandbox.faults.fired
    assert min(fired["error"], fired["rate_limit"], fired["drop"], fired["commit_drop"]) > 50
    assert client.tokens.renewals == 1
    assert sandbox.state.responses_sent("GET", "/renew", status=200) == 1
    assert sandbox.state.responses_sent("POST", "/invoice", status=401) > 0
    assert batch.stats.max_in_flight <= 64


@pytest.mark.slow
async def test_cancel_half_way_then_resume_with_the_journal(
    confirma_sandbox: Sandbox, confirma_client: ConfirmaClient, tmp_path: Path
) -> None:
    sandbox, client = confirma_sandbox, confirma_client
    for rule in mixed_faults("POST", "/invoice") + mixed_faults("GET", "/invoice/distribution"):
        sandbox.faults.add(rule)
    total, journal = 5_000, tmp_path / "upload.jsonl"
    items = invoices(total)
    half = asyncio.Event()
    first_run: list[int] = []

    async def first() -> None:
        batch = client.batch(64, journal=journal)
        async for result in batch.submit_invoices(items):
            first_run.append(result.key)  # type: ignore[arg-type]
            if len(first_run) == total // 2:
                half.set()

    task = asyncio.create_task(first())
    await half.wait()
    assert batch_tasks()  # the check below can see the submitter's tasks while they run
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert batch_tasks() == []  # the sandbox's own tasks live on; none of the submitter's

    lines = [json.loads(line) for line in journal.read_text().splitlines()]  # all complete
    lines = [r for r in lines if r["kind"] != "_binding"]
    last = {r["key"]: r["status"] for r in lines}
    done = {k for k, status in last.items() if status in ("CREATED", "ALREADY_EXISTS")}
    in_flight = {k for k, status in last.items() if status == "SENDING"}
    assert 0 < len(in_flight) <= 64
    assert set(first_run) <= done
    assert len(done) < total
    stored_before = set(sandbox.state.accepted_counts())
    assert done <= stored_before  # the journal never claims more than the server has

    batch = client.batch(64, journal=journal)
    results = [r async for r in batch.submit_invoices(items)]

    assert sorted(r.index for r in results) == list(range(total))  # no gaps
    assert {r.key for r in results if r.from_journal} == done
    # What was in flight at the cancel is looked up before anything is sent again.
    assert all(r.lookups >= 1 for r in results if r.key in in_flight)
    assert all(r.ok for r in results)
    accepted = sandbox.state.accepted_counts()
    assert accepted == {FIRST + i: 1 for i in range(total)}  # no duplicates
    assert sandbox.state.responses_sent("POST", "/invoice", status=409) == 0


_CTRL_C_SCRIPT = """
import asyncio, json, signal, sys
from confirma_async import ClientConfig, ConfirmaClient
from confirma_async.testing import sample_invoice

base_url, token, journal, total, stop_after, aliases = sys.argv[1:7]
FAST = ClientConfig(backoff_base=0.0001, backoff_cap=0.0005, retry_after_cap=0.001, max_retries=8)

async def main():
    async with ConfirmaClient(
        api_key=token, base_url=base_url, config=FAST, wire_aliases=json.loads(aliases)
    ) as client:
        items = (sample_invoice({first} + i, payment_control=False) for i in range(int(total)))
        seen = 0
        async for result in client.batch(32, journal=journal).submit_invoices(items):
            seen += 1
            if seen == int(stop_after):
                signal.raise_signal(signal.SIGINT)  # what Ctrl-C does

try:
    asyncio.run(main())
except KeyboardInterrupt:
    sys.exit(130)
sys.exit(0)
"""


@pytest.mark.slow
async def test_ctrl_c_leaves_a_consistent_journal_and_resume_finishes(
    dialect: DialectName, confirma_sandbox: Sandbox, confirma_client: ConfirmaClient, tmp_path: Path
) -> None:
    sandbox = confirma_sandbox
    for rule in mixed_faults("POST", "/invoice"):
        sandbox.faults.add(rule)
    total, journal = 2_000, tmp_path / "upload.jsonl"
    script = tmp_path / "upload.py"
    script.write_text(_CTRL_C_SCRIPT.replace("{first}", str(FIRST)))
    env = {**os.environ, "PYTHONPATH": REPO_ROOT}

    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(script),
        sandbox.base_url,
        sandbox.client_token,
        str(journal),
        str(total),
        "700",
        json.dumps(aliases_for(dialect)),  # the same aliases as ``confirma_client``
        env=env,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await proc.communicate()
    assert proc.returncode == 130, stderr.decode()[-2000:]

    raw = journal.read_text()
    assert raw.endswith("\n")
    lines = [r for line in raw.splitlines() if (r := json.loads(line))["kind"] != "_binding"]
    done = {r["key"] for r in lines if r["status"] in ("CREATED", "ALREADY_EXISTS")}
    assert 700 <= len(done) < total

    batch = confirma_client.batch(32, journal=journal)
    results = [r async for r in batch.submit_invoices(invoices(total))]

    assert sorted(r.index for r in results) == list(range(total))
    assert [
        (r.index, r.status, repr(r.error), repr(r.lookup_error)) for r in results if not r.ok
    ] == []
    assert sandbox.state.accepted_counts() == {FIRST + i: 1 for i in range(total)}


async def test_actions_go_through_the_same_machinery(
    confirma_sandbox: Sandbox, confirma_client: ConfirmaClient
) -> None:
    sandbox, client = confirma_sandbox, confirma_client
    summary = await client.batch(16).run(client.batch(16).submit_invoices(invoices(200)))
    assert summary.created == 200
    for rule in mixed_faults("POST", "/invoice/action", rate=0.2):
        sandbox.faults.add(rule)
    actions: list[Any] = [
        InvoiceAction(
            code="COMMENT", comment=f"note {i}", data=ActionData(invoice_number=FIRST + i)
        )
        for i in range(200)
    ]
    actions.append(
        InvoiceAction(code="COMMENT", comment="x", data=ActionData(invoice_number=FIRST + 999_999))
    )
    actions.append({"code": "COMMENT", "data": {}})  # invalid: no target

    batch = client.batch(16, ordered=True)
    results = [r async for r in batch.submit_actions(actions, key=lambda a: str(a.comment))]

    assert [r.index for r in results] == list(range(202))
    assert isinstance(results[200].error, NotFoundError)
    assert not results[200].outcome_unknown
    assert results[201].status is FAILED
    assert results[201].attempts == 0
    good = results[:200]
    created = [r for r in good if r.status is CREATED]
    unknown = [r for r in good if r.status is FAILED and r.outcome_unknown]
    assert len(created) + len(unknown) == 200
    assert all(r.attempts == 1 for r in unknown)  # an unknown outcome is never re-sent
    stored = Counter(a.spec.comment for a in sandbox.state.actions())
    assert all(stored[r.key] == 1 for r in created)
    assert all(stored[r.key] <= 1 for r in unknown)  # stored at most once (commit-drop)
    assert max(stored.values()) == 1
    assert sum(stored.values()) == len(created) + sandbox.faults.fired["commit_drop"]
