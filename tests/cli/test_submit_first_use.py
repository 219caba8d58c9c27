"""``confirma submit`` as a first-time user meets it: every line accounted for, errors where they
are, hints that fit, warnings above the progress bar, reruns that say what they did, ``-v``."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

from confirma_async.testing import FaultRule, SandboxConfig

from .conftest import BOOTSTRAP, TIMEOUT, ServerThread, invoices, invoke, write_jsonl
from .test_submit import summary

FIRST = 281_000_001
ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")


def row(text: str, label: str) -> int | None:
    match = re.search(rf"^\s*{re.escape(label)}\s+(\d+)\s*$", text, re.MULTILINE)
    return None if match is None else int(match.group(1))


def test_blank_lines_are_counted_so_that_every_line_of_the_file_is_accounted_for(
    server: ServerThread, tmp_path: Path
) -> None:
    good = invoices(range(FIRST, FIRST + 4), server.today)
    path = write_jsonl(tmp_path / "in.jsonl", [good[0], b"", good[1], b"   ", good[2], good[3]])

    result = invoke(["submit", str(path)], server.env())

    assert result.exit_code == 0, result.output
    counts = summary(result.stdout)
    assert counts["total"] == 4
    assert row(result.stdout, "blank lines (ignored)") == 2  # 4 + 2 = the file's 6 lines


def test_invalid_json_is_reported_at_the_column_where_it_breaks(
    server: ServerThread, tmp_path: Path
) -> None:
    path = write_jsonl(
        tmp_path / "in.jsonl",
        [
            b'{"processing": {"paymentControlEnabled": ',  # cut short: the end of the line
            b'{"a": tru}',  # a bad literal at column 7
            b"  garbage",  # column 3, after the indentation
        ],
    )

    result = invoke(["submit", str(path)], server.env())

    assert result.exit_code == 1
    err = result.stderr
    assert "line 1: invalid JSON: Expecting value (at the end of the line)" in err
    assert "line 2: invalid JSON: Expecting value (column 7)" in err
    assert "line 3: invalid JSON: Expecting value (column 3)" in err
    assert "column 1)" not in err


def test_malformed_lines_get_a_fix_them_note_and_no_promise_that_a_rerun_helps(
    server: ServerThread, tmp_path: Path
) -> None:
    good = invoices(range(FIRST + 10, FIRST + 12), server.today)
    path = write_jsonl(tmp_path / "in.jsonl", [good[0], b"{not json", good[1]])
    journal = tmp_path / "journal.jsonl"

    result = invoke(["submit", str(path), "--journal", str(journal)], server.env())

    assert result.exit_code == 1
    assert "1 malformed line(s) were not sent" in result.stdout
    assert "a rerun cannot fix them" in result.stdout
    assert "tried again when you rerun" not in result.stdout  # no API failure to retry


def test_a_rerun_with_a_complete_journal_sends_nothing_and_says_so(
    server: ServerThread, tmp_path: Path
) -> None:
    lines = invoices(range(FIRST + 20, FIRST + 25), server.today)
    path = write_jsonl(tmp_path / "in.jsonl", [*lines, lines[0]])  # the last line repeats one
    args = ["submit", str(path), "--journal", str(tmp_path / "j.jsonl"), "--ordered"]

    first = invoke(args, server.env())
    again = invoke(args, server.env())

    assert first.exit_code == again.exit_code == 0
    one, two = summary(first.stdout), summary(again.stdout)
    assert (one["created"], one["already existing"], one["skipped"]) == (5, 1, 0)
    # The rerun created nothing and says what the journal had, with the same totals as before.
    assert (two["created"], two["skipped"], two["total"]) == (0, 5, one["total"])
    assert two["already existing"] == one["already existing"]  # the repeated line, both times
    assert row(again.stdout, "created earlier") == 5
    assert "0 sent, 0 lookups" in again.stdout


def test_verbose_logs_the_batch_decisions_with_the_invoice_number(
    make_server: type[ServerThread], tmp_path: Path
) -> None:
    number = FIRST + 30
    config = SandboxConfig(
        distribution_failure_rate=0,
        faults=(FaultRule.parse("POST /invoice:503:x1"),),
    )
    server = make_server(config)
    path = write_jsonl(tmp_path / "in.jsonl", invoices([number], server.today))
    args = ["-v", "submit", str(path), "--journal", str(tmp_path / "j.jsonl")]

    first = invoke(args, server.env())
    again = invoke(args, server.env())

    assert first.exit_code == again.exit_code == 0, first.output
    # A 503 leaves the outcome unknown: looked up, not found, sent again.
    assert re.search(rf"confirma_batch_lookup .*invoice_number={number}.*found=False", first.stderr)
    assert re.search(rf"confirma_batch_resend .*invoice_number={number}.*attempt=2", first.stderr)
    assert re.search(rf"confirma_batch_skip .*invoice_number={number}.*journal=", again.stderr)
    assert server.sandbox.state.accepted_count(number) == 1


def run_on_a_terminal(args: Sequence[str], env: Mapping[str, str | None]) -> tuple[int, bytes]:
    """Run ``confirma ARGS`` with stderr on a pseudo-terminal (as in a shell); its bytes."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("CONFIRMA_")}
    full_env.update({k: v for k, v in env.items() if v is not None})
    full_env.update({"COLUMNS": "120", "LINES": "40", "TERM": "xterm-256color"})
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-c", BOOTSTRAP, *args],
        stdout=subprocess.DEVNULL,
        stderr=slave,
        stdin=subprocess.DEVNULL,
        env=full_env,
    )
    os.close(slave)
    chunks: list[bytes] = []

    def pump() -> None:
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                return
            if not chunk:
                return
            chunks.append(chunk)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    code = proc.wait(TIMEOUT)
    reader.join(TIMEOUT)
    os.close(master)
    return code, b"".join(chunks)


def test_a_renewal_warning_is_printed_above_the_progress_bar_not_into_it(
    server: ServerThread, tmp_path: Path
) -> None:
    path = write_jsonl(tmp_path / "in.jsonl", invoices(range(FIRST + 40, FIRST + 60), server.today))
    token = server.sandbox.client_token
    server.call(lambda: server.sandbox.expire_token(token))  # the first request renews it

    code, err = run_on_a_terminal(["submit", str(path), "--concurrency", "1"], server.env(token))

    assert code == 0, err.decode(errors="replace")
    assert b"\x1b[" in err, "no live progress bar was drawn"
    # Every stretch the terminal shows as one line (after \r or \n) either is the warning
    # alone or has none of it: the warning never shares a line with the bar.
    shown = [ANSI.sub(b"", part) for part in re.split(rb"[\r\n]", err)]
    warnings = [part for part in shown if b"was renewed" in part]
    assert warnings, err.decode(errors="replace")
    assert all(part.startswith(b"confirma: the API key was renewed") for part in warnings)


def test_a_rerun_on_a_terminal_shows_nothing_created_and_what_was_done_earlier(
    server: ServerThread, tmp_path: Path
) -> None:
    path = write_jsonl(tmp_path / "in.jsonl", invoices(range(FIRST + 70, FIRST + 75), server.today))
    args = ["submit", str(path), "--journal", str(tmp_path / "j.jsonl")]
    assert invoke(args, server.env()).exit_code == 0

    code, err = run_on_a_terminal(args, server.env())

    assert code == 0
    frames = [ANSI.sub(b"", part) for part in re.split(rb"[\r\n]", err)]
    last = [frame for frame in frames if b"submitting" in frame][-1]
    assert b"5/5" in last
    assert b"0 created" in last
    assert b"5 done earlier" in last
