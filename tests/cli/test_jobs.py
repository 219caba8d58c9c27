"""``confirma jobs``: load, work, status, results, retry-failed and migrate, end to end.

Against the sandbox (in a thread) and a real PostgreSQL database; ``work`` also runs as two
separate processes over one job.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import signal
from pathlib import Path

import pytest

from confirma_async import JobStatus, JobStore

from .conftest import TIMEOUT, ServerThread, invoices, invoke, spawn, write_jsonl

FIRST = 840_000_001


def load(server: ServerThread, dsn: str, path: Path) -> str:
    result = invoke(["jobs", "load", str(path), "--store", dsn], server.env())
    assert result.exit_code == 0, result.stderr
    return result.stdout.strip()


def test_load_work_status_and_results(
    server: ServerThread, postgres_dsn: str, tmp_path: Path
) -> None:
    lines: list[bytes | dict[str, object]] = [*invoices(range(FIRST, FIRST + 20), server.today)]
    lines.append(b"{broken")
    job = load(server, postgres_dsn, write_jsonl(tmp_path / "in.jsonl", lines))
    assert job.isdigit()

    worked = invoke(["jobs", "work", job, "--store", postgres_dsn, "--no-progress"], server.env())
    assert worked.exit_code == 0, worked.stderr
    assert "created" in worked.stdout
    assert f"job {job}: 21 of 21 items done" in worked.stdout

    status = invoke(["jobs", "status", job, "--store", postgres_dsn], server.env())
    assert status.exit_code == 0
    assert "created" in status.stdout
    assert "failed: RequestValidationError" in status.stdout

    jsonl = invoke(["jobs", "results", job, "--store", postgres_dsn], server.env())
    rows = [json.loads(line) for line in jsonl.stdout.splitlines()]
    assert [r["state"] for r in rows] == ["created"] * 20 + ["failed"]
    assert rows[0]["key"] == str(FIRST)
    assert rows[20]["line"] == 21

    as_csv = invoke(
        ["jobs", "results", job, "--store", postgres_dsn, "--format", "csv", "--failed"],
        server.env(),
    )
    table = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [(r["line"], r["state"], r["errorType"]) for r in table] == [
        ("21", "failed", "RequestValidationError")
    ]
    assert server.call(lambda: len(server.sandbox.state.accepted_counts())) == 20


def test_retry_failed_and_watch(server: ServerThread, postgres_dsn: str, tmp_path: Path) -> None:
    job = load(
        server, postgres_dsn, write_jsonl(tmp_path / "in.jsonl", invoices([FIRST], server.today))
    )
    server.call(
        lambda: server.sandbox.faults.rate_limit_next(50, "POST", "/invoice", retry_after=0.001)
    )
    failed = invoke(
        ["jobs", "work", job, "--store", postgres_dsn, "--max-attempts", "1", "--no-progress"],
        server.env(),
    )
    assert failed.exit_code == 1
    server.call(server.sandbox.faults.clear)
    retried = invoke(["jobs", "retry-failed", job, "--store", postgres_dsn], server.env())
    assert retried.stdout.strip() == f"job {job}: 1 failed item(s) back to pending"
    assert invoke(["jobs", "work", job, "--store", postgres_dsn], server.env()).exit_code == 0
    watched = invoke(["jobs", "status", job, "--store", postgres_dsn, "--watch"], server.env())
    assert watched.exit_code == 0
    assert "ETA" in watched.stdout


@pytest.mark.slow
def test_two_worker_processes_share_one_job(
    server: ServerThread, postgres_dsn: str, tmp_path: Path
) -> None:
    numbers = range(FIRST, FIRST + 300)
    job = load(
        server, postgres_dsn, write_jsonl(tmp_path / "in.jsonl", invoices(numbers, server.today))
    )
    args = ["jobs", "work", job, "--store", postgres_dsn, "--concurrency", "4", "--claim-size", "8"]
    workers = [spawn(args, server.env()) for _ in range(2)]
    for proc in workers:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err.decode()
    counts = server.call(lambda: server.sandbox.state.accepted_counts())
    assert counts == dict.fromkeys(numbers, 1)


def test_a_worker_sent_sigterm_stops_cleanly_and_hands_back_what_it_never_sent(
    server: ServerThread, postgres_dsn: str, tmp_path: Path
) -> None:
    numbers = range(FIRST, FIRST + 10)
    job = load(
        server, postgres_dsn, write_jsonl(tmp_path / "in.jsonl", invoices(numbers, server.today))
    )
    sandbox = server.sandbox
    held = server.call(lambda: sandbox.faults.hold("POST", "/invoice", count=2))
    args = ["jobs", "work", job, "--store", postgres_dsn, "--concurrency", "2", "--no-progress"]
    proc = spawn(args, server.env())
    try:
        server.run(lambda: held.wait_held(2))  # its two uploads are out, unanswered
        proc.send_signal(signal.SIGTERM)  # what a service manager sends to stop it
        out, err = proc.communicate(timeout=TIMEOUT)
    finally:
        if proc.returncode is None:
            proc.kill()
            proc.wait()
        server.call(held.end)

    assert proc.returncode == 143, err.decode()
    assert b"confirma: terminated" in err
    assert b"Traceback" not in err
    assert b"interrupted: what it never sent is back in the job; the rest passes on" in out
    status = asyncio.run(job_status(postgres_dsn, int(job)))
    assert (status.pending, status.in_progress) == (8, 2)  # only the two in flight are held


async def job_status(dsn: str, job_id: int) -> JobStatus:
    async with await JobStore.connect(dsn) as store:
        return await (await store.job(job_id)).status()


def test_migrate_and_store_errors(server: ServerThread, postgres_dsn: str) -> None:
    migrated = invoke(["jobs", "migrate", "--store", postgres_dsn], server.env())
    assert migrated.stdout.strip() == "job store schema at version 1"
    unknown = invoke(["jobs", "status", "999", "--store", postgres_dsn], server.env())
    assert unknown.exit_code == 2
    assert "no job 999" in unknown.stderr
    bad = "postgresql://me:s3cret@127.0.0.1:1/nowhere"
    refused = invoke(["jobs", "status", "1", "--store", bad], server.env())
    assert refused.exit_code == 2
    assert "cannot use the job store postgresql://127.0.0.1:1/nowhere" in refused.stderr
    assert "s3cret" not in refused.stderr + refused.stdout
