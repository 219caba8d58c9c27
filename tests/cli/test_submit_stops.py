"""Finding 8 (CLI): how ``confirma submit`` ends when its journal fails, what its summary says."""

from __future__ import annotations

import errno
import os
import re
from pathlib import Path
from typing import Any

import pytest

from confirma_async import BatchResult, BatchStatus, CircuitOpenError
from confirma_async._cli.progress import SubmitView
from confirma_async._cli.settings import Settings
from confirma_async._cli.tally import Tally
from confirma_async.batch import journal as journal_module

from .conftest import ServerThread, invoices, invoke, write_jsonl
from .test_submit import summary

FIRST = 320_000_001
COUNT = 40


def fail_journal_writes_after(monkeypatch: pytest.MonkeyPatch, allowed: int) -> None:
    """Let the journal write ``allowed`` lines, then fail every write as a full disk would."""
    real_write = os.write
    written = 0

    def write(fd: int, data: Any) -> int:
        nonlocal written
        if bytes(data[:8]) == b'{"kind":':
            written += 1
            if written > allowed:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)

    monkeypatch.setattr(journal_module.os, "write", write)


def test_a_journal_failing_mid_run_exits_1_and_counts_what_it_left_without_a_result(
    server: ServerThread, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    numbers = range(FIRST, FIRST + COUNT)
    path = write_jsonl(tmp_path / "in.jsonl", invoices(numbers, server.today))
    journal = tmp_path / "journal.jsonl"
    args = ["submit", str(path), "--journal", str(journal), "--concurrency", "4"]
    fail_journal_writes_after(monkeypatch, 25)

    first = invoke(args, server.env())

    assert first.exit_code == 1, first.output  # the run failed; it was not a usage error
    assert "No space left on device" in first.stdout
    posts = server.call(lambda: server.sandbox.state.requests_received("POST", "/invoice"))
    counts = summary(first.stdout)
    row = re.search(r"no result \(run stopped\)\s+(\d+)", first.stdout)
    assert row, first.stdout
    unreported = int(row.group(1))
    assert unreported > 0
    assert counts["total"] + unreported >= posts  # every item sent is in the summary

    monkeypatch.undo()
    second = invoke(args, server.env())
    assert second.exit_code == 0, second.output
    state = server.sandbox.state
    counts_after = server.call(lambda: state.accepted_counts())
    assert all(counts_after[n] == 1 for n in numbers)


def test_a_journal_unusable_before_anything_is_sent_is_still_a_usage_error(
    server: ServerThread, tmp_path: Path
) -> None:
    path = write_jsonl(tmp_path / "in.jsonl", invoices([FIRST + 100], server.today))
    journal = tmp_path / "journal.jsonl"
    journal.write_text('{"kind":"_binding","target":"https://elsewhere.test/api/v1/partner"}\n')

    result = invoke(["submit", str(path), "--journal", str(journal)], server.env())

    assert result.exit_code == 2
    assert "elsewhere.test" in result.stderr
    assert server.call(lambda: server.sandbox.state.requests_received("POST", "/invoice")) == 0


def test_the_summary_says_how_many_items_the_breaker_held_back(
    capsys: pytest.CaptureFixture[str],
) -> None:
    tally = Tally()
    held = CircuitOpenError("the server looks down")
    for index in range(3):
        tally.add(
            BatchResult(item=None, key=index, index=index, status=BatchStatus.FAILED, error=held)
        )

    SubmitView(title="t", total=3, live=False).summary(tally, [])

    assert re.search(r"held back \(server down\)\s+3", capsys.readouterr().out)


def test_the_cli_settings_never_show_the_api_key() -> None:
    settings = Settings(api_key="tok-PLANTED-SECRET-77", token_file=None)
    assert "PLANTED" not in repr(settings)
