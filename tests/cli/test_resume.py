"""Ctrl-C or SIGTERM during ``confirma submit`` (a real signal to a real process), then resume."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import pytest

from confirma_async.testing._faults import Decision

from .conftest import TIMEOUT, ServerThread, invoices, invoke, spawn, write_jsonl
from .test_submit import summary

FIRST = 280_000_001
COUNT = 40


@pytest.mark.parametrize(
    ("sent", "code", "said"),
    [
        (signal.SIGINT, 130, b"confirma: interrupted"),  # Ctrl-C
        (signal.SIGTERM, 143, b"confirma: terminated"),  # a service manager stopping it
    ],
    ids=["sigint", "sigterm"],
)
def test_interrupted_submit_resumes_from_the_journal_without_duplicates(
    server: ServerThread, tmp_path: Path, sent: signal.Signals, code: int, said: bytes
) -> None:
    sandbox = server.sandbox
    numbers = range(FIRST, FIRST + COUNT)
    path = write_jsonl(tmp_path / "invoices.jsonl", invoices(numbers, server.today))
    journal = tmp_path / "journal.jsonl"
    args = ["submit", str(path), "--journal", str(journal), "--concurrency", "4"]

    # The first upload is stored but never answered (until the sandbox stops), so the run cannot
    # finish; once every invoice has reached the server the test presses Ctrl-C.
    sandbox.faults.slow_next(1, "POST", "/invoice", delay=3600)
    all_arrived = threading.Event()
    arrived = 0
    decide = sandbox.faults.decide

    def counting_decide(method: str, path: str, client: str | None = None) -> Decision:
        nonlocal arrived
        if (method, path) == ("POST", "/invoice"):
            arrived += 1
            if arrived == COUNT:
                all_arrived.set()
        return decide(method, path, client)

    sandbox.faults.decide = counting_decide  # type: ignore[method-assign]

    proc = spawn(args, server.env())
    try:
        assert all_arrived.wait(TIMEOUT), "the uploads did not reach the sandbox"
        proc.send_signal(sent)
        out, err = proc.communicate(timeout=TIMEOUT)
    finally:
        if proc.returncode is None:
            proc.kill()
            proc.wait()

    assert proc.returncode == code, err.decode()
    assert said in err
    assert b"Traceback" not in err
    first = out.decode()
    assert f"interrupted: run the same command with --journal {journal} to resume" in first
    assert summary(first)["total"] < COUNT
    lines = journal.read_bytes().splitlines()
    assert lines
    assert all(line.startswith(b"{") and line.endswith(b"}") for line in lines)  # no torn line
    assert server.call(lambda: sandbox.state.accepted_count(FIRST)) == 1  # stored, unanswered

    second = invoke(args, server.env())

    assert second.exit_code == 0, second.output
    counts = summary(second.stdout)
    assert counts["total"] == COUNT
    assert counts["failed"] == 0
    assert counts["already existing"] >= 1  # at least the unanswered one, found by lookup
    accepted = server.call(sandbox.state.accepted_counts)
    assert {n: accepted[n] for n in numbers} == dict.fromkeys(numbers, 1)
