"""``confirma submit`` and ``confirma actions submit`` against the sandbox (in-process runner)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from confirma_async import InvoiceAction, Journal
from confirma_async.batch import default_action_key
from confirma_async.models import from_wire
from confirma_async.testing import sample_invoice

from .conftest import ServerThread, invoices, invoke, write_jsonl

FIRST = 270_000_001


def summary(text: str) -> dict[str, int]:
    """The counts of the summary table (``label  N`` rows)."""
    counts = {}
    for label in ("created", "already existing", "failed", "malformed lines", "outcome unknown"):
        match = re.search(rf"^\s*{label}\s+(\d+)\s*$", text, re.MULTILINE)
        assert match, f"no {label!r} row in:\n{text}"
        counts[label] = int(match.group(1))
    for label in ("total", "skipped \\(in journal\\)"):
        match = re.search(rf"^\s*{label}\s+(\d+)\s*$", text, re.MULTILINE)
        assert match, f"no {label!r} row in:\n{text}"
        counts[label.split()[0]] = int(match.group(1))
    return counts


def test_a_bad_line_in_the_middle_is_reported_and_the_rest_is_submitted(
    server: ServerThread, tmp_path: Path
) -> None:
    good = invoices(range(FIRST, FIRST + 6), server.today)
    bad_currency = sample_invoice(FIRST + 100, invoice_date=server.today)
    bad_currency["invoice"]["header"]["currencyCode"] = "EURO"
    no_header = sample_invoice(FIRST + 101)
    del no_header["invoice"]["header"]["number"]
    lines = [
        *good[:2],
        b'{"processing": {"paymentControlEnabled": tru',  # line 3: not JSON
        good[2],
        bad_currency,  # line 5: breaks a documented rule
        b"",  # line 6: blank, ignored
        b"[1, 2, 3]",  # line 7: not an object
        good[3],
        no_header,  # line 9: a required field is missing
        *good[4:],
        good[0],  # line 12: a duplicate of line 1, not sent again
    ]
    path = write_jsonl(tmp_path / "invoices.jsonl", lines)

    result = invoke(["submit", str(path), "--concurrency", "3"], server.env())

    assert result.exit_code == 1, result.output
    err = result.stderr
    assert re.search(r"^line 3: invalid JSON", err, re.MULTILINE)
    assert re.search(r"^line 5: invoice\.header\.currencyCode: .*'EURO'", err, re.MULTILINE)
    assert re.search(r"^line 7: expected a JSON object, got an array", err, re.MULTILINE)
    assert re.search(r"^line 9: invoice\.header\.number: required field is missing", err, re.M)
    assert "line 6" not in err
    assert "line 12" not in err  # already existing is not a failure
    counts = summary(result.stdout)
    assert counts == {
        "created": 6,
        "already existing": 1,
        "failed": 4,
        "malformed lines": 4,
        "outcome unknown": 0,
        "total": 11,
        "skipped": 0,
    }
    state = server.sandbox.state
    assert all(state.accepted_count(n) == 1 for n in range(FIRST, FIRST + 6))
    assert state.accepted_count(FIRST + 100) == 0
    assert state.submission_count(FIRST + 100) == 0  # never sent
    # One POST per distinct number: line 12 repeats line 1 and takes its outcome.
    assert server.call(lambda: state.requests_received("POST", "/invoice")) == 6


def test_a_clean_file_exits_0_and_a_rerun_with_the_journal_sends_nothing(
    server: ServerThread, tmp_path: Path
) -> None:
    path = write_jsonl(tmp_path / "in.jsonl", invoices(range(FIRST, FIRST + 20), server.today))
    journal = tmp_path / "journal.jsonl"
    args = ["submit", str(path), "--journal", str(journal), "--rate", "10000", "--ordered"]

    first = invoke(args, server.env())
    assert first.exit_code == 0, first.output
    assert summary(first.stdout)["created"] == 20
    assert first.stderr == ""

    second = invoke(args, server.env())
    assert second.exit_code == 0, second.output
    counts = summary(second.stdout)
    assert counts["created"] == 0  # this run created nothing: the journal had every item
    assert counts["skipped"] == 20
    assert re.search(r"^\s*created earlier\s+20\s*$", second.stdout, re.MULTILINE)
    assert "0 sent, 0 lookups" in second.stdout
    assert server.call(lambda: server.sandbox.state.requests_received("POST", "/invoice")) == 20


def test_the_progress_bar_can_be_forced_on(server: ServerThread, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "in.jsonl", invoices(range(FIRST, FIRST + 5), server.today))
    result = invoke(["submit", str(path), "--progress"], server.env())
    assert result.exit_code == 0, result.output
    assert "submitting" in result.stderr
    assert "5/5" in result.stderr


def test_invoices_can_come_from_stdin(server: ServerThread, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "in.jsonl", invoices(range(FIRST, FIRST + 3), server.today))
    result = invoke(["submit", "-"], server.env(), input=path.read_text())
    assert result.exit_code == 0, result.output
    assert summary(result.stdout)["created"] == 3


def test_actions_are_submitted_and_keyed_by_content(server: ServerThread, tmp_path: Path) -> None:
    numbers = range(FIRST, FIRST + 3)
    setup = write_jsonl(tmp_path / "in.jsonl", invoices(numbers, server.today))
    assert invoke(["submit", str(setup)], server.env()).exit_code == 0

    def comment(number: int) -> dict[str, object]:
        return {"code": "COMMENT", "comment": f"note {number}", "data": {"invoiceNumber": number}}

    original = [
        comment(FIRST),
        {"code": "COMMENT", "comment": "no target", "data": {}},  # line 2: invalid
        comment(FIRST + 1),
        comment(999_999_999),  # line 4: unknown invoice, 404
        comment(FIRST + 2),
    ]
    path = write_jsonl(tmp_path / "actions.jsonl", original)
    journal = tmp_path / "actions-journal.jsonl"
    args = ["actions", "submit", str(path), "--journal", str(journal)]

    result = invoke(args, server.env())

    assert result.exit_code == 1, result.output
    assert re.search(r"^line 2: .*invoiceNumber or caseId", result.stderr, re.MULTILINE)
    assert re.search(r"^line 4: action: NotFoundError", result.stderr, re.MULTILINE)
    counts = summary(result.stdout)
    assert (counts["created"], counts["failed"], counts["malformed lines"]) == (3, 2, 1)
    stored = server.call(server.sandbox.state.actions)
    assert sorted(a.spec.invoice_number for a in stored) == list(numbers)
    lines = [json.loads(line) for line in journal.read_text().splitlines()]
    keys = {line["key"] for line in lines if "key" in line}
    assert keys == {
        default_action_key(from_wire(comment(n), InvoiceAction))
        for n in (FIRST, FIRST + 1, 999_999_999, FIRST + 2)
    }

    again = invoke(args, server.env())
    assert again.exit_code == 1  # line 4 is tried again (a known failure) and fails again
    assert summary(again.stdout)["skipped"] == 3
    assert len(server.call(server.sandbox.state.actions)) == 3

    # A line inserted at the top shifts every line number: only the new action is sent.
    inserted = {"code": "COMMENT", "comment": "inserted", "data": {"invoiceNumber": FIRST}}
    write_jsonl(path, [inserted, *original])
    third = invoke(args, server.env())
    assert summary(third.stdout)["skipped"] == 3
    stored = server.call(server.sandbox.state.actions)
    assert [a.spec.comment for a in stored].count("inserted") == 1
    assert len(stored) == 4


def test_usage_and_configuration_errors_exit_2(server: ServerThread, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "in.jsonl", invoices([FIRST], server.today))
    env = server.env()
    assert invoke(["submit", str(tmp_path / "missing.jsonl")], env).exit_code == 2
    assert invoke(["submit", str(path), "--concurrency", "0"], env).exit_code == 2
    no_key = invoke(["submit", str(path)], {**env, "CONFIRMA_API_KEY": None})
    assert no_key.exit_code == 2
    assert "no API key" in no_key.stderr
    journal = Journal(tmp_path / "locked.jsonl")
    journal.open()
    try:
        locked = invoke(["submit", str(path), "--journal", journal.path], env)
    finally:
        journal.close()
    assert locked.exit_code == 2
    assert "in use by another process" in locked.stderr
    assert server.call(lambda: server.sandbox.state.requests_received("POST", "/invoice")) == 0
