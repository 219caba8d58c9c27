"""Listings as a first-time user meets them: a table, CSV without surprises, progress only on a
terminal, filters on ``distributions``, and a way around a day over the server's cap."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from confirma_async.resources.invoices import Invoices
from confirma_async.testing import SandboxConfig

from .conftest import ServerThread, invoices, invoke, write_jsonl
from .test_submit_first_use import run_on_a_terminal

FIRST = 283_000_001


def submitted(server: ServerThread, tmp_path: Path, count: int) -> list[int]:
    numbers = list(range(FIRST, FIRST + count))
    path = write_jsonl(tmp_path / "in.jsonl", invoices(numbers, server.today))
    assert invoke(["submit", str(path)], server.env()).exit_code == 0
    return numbers


def day_args(server: ServerThread) -> list[str]:
    return ["--from", server.today.isoformat(), "--to", server.today.isoformat()]


def test_every_listing_has_a_table_format(server: ServerThread, tmp_path: Path) -> None:
    numbers = submitted(server, tmp_path, 3)

    result = invoke(["distributions", *day_args(server), "--format", "table"], server.env())

    assert result.exit_code == 0, result.output
    header, rule, *rows = result.stdout.splitlines()
    assert header.split()[:3] == ["invoiceNumber", "invoiceDate", "caseId"]
    assert set(rule.strip()) == {"─"}
    assert sorted(int(r.split()[0]) for r in rows) == numbers
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ", rows[0])  # timestamps to the second
    for command in (["payments"], ["settlements"]):
        listed = invoke([*command, *day_args(server), "--format", "table"], server.env())
        assert listed.exit_code == 0, listed.output
        assert "no records" in listed.stdout or listed.stdout.strip()


def test_a_table_written_to_a_file_has_no_trailing_spaces(
    server: ServerThread, tmp_path: Path
) -> None:
    submitted(server, tmp_path, 2)

    result = invoke(["distributions", *day_args(server), "--format", "table"], server.env())
    summary = invoke(["submit", str(tmp_path / "in.jsonl")], server.env())

    for text in (result.stdout, summary.stdout):
        assert text.strip()
        assert all(line == line.rstrip() for line in text.splitlines()), repr(text)


def test_csv_has_an_extra_column_only_when_asked(server: ServerThread, tmp_path: Path) -> None:
    submitted(server, tmp_path, 1)
    args = ["distributions", *day_args(server), "--format", "csv"]

    plain = invoke(args, server.env())
    extra = invoke([*args, "--extra"], server.env())

    plain_header = next(csv.reader(io.StringIO(plain.stdout)))
    extra_header = next(csv.reader(io.StringIO(extra.stdout)))
    assert "extra" not in plain_header
    assert extra_header == [*plain_header, "extra"]


def test_settlement_csv_has_one_row_per_allocation(server: ServerThread, tmp_path: Path) -> None:
    submitted(server, tmp_path, 3)
    start = server.today  # the window spans the whole story, whatever the time of day it began
    server.advance(timedelta(minutes=10))
    server.advance(timedelta(days=5))
    settled = server.call(server.sandbox.state.settlements)
    allocations = sum(len(s.allocations) for s in settled)
    assert allocations >= 2
    end = server.today

    result = invoke(
        ["settlements", "--from", start.isoformat(), "--to", end.isoformat(), "--format", "csv"],
        server.env(),
    )

    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == allocations
    assert all(not row.get("allocations", "").startswith("[") for row in rows)
    assert "allocations" not in rows[0]  # no JSON array in one cell any more
    assert {row["settlementId"] for row in rows} == {str(s.settlement_id) for s in settled}
    json.loads(rows[0]["allocations.breakdown"])  # a list inside the list: JSON text


def test_distributions_take_an_invoice_number_and_a_fetch_type(
    server: ServerThread, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    numbers = submitted(server, tmp_path, 3)
    args = ["distributions", *day_args(server), "--invoice-number", str(numbers[1])]
    asked: list[dict[str, Any]] = []
    listing = Invoices.distributions

    def spy(self: Invoices, *a: Any, **kw: Any) -> Any:
        asked.append(kw)
        return listing(self, *a, **kw)

    monkeypatch.setattr(Invoices, "distributions", spy)

    one = invoke(args, server.env())
    typed = invoke([*args, "--fetch-type", "ALL"], server.env())

    assert one.exit_code == typed.exit_code == 0, one.output
    assert [json.loads(line)["invoiceNumber"] for line in one.stdout.splitlines()] == [numbers[1]]
    assert typed.stdout == one.stdout  # the sandbox takes fetchType and filters nothing by it
    assert [(kw["invoice_number"], kw["fetch_type"]) for kw in asked] == [
        (numbers[1], None),
        (numbers[1], "ALL"),
    ]


def test_a_day_over_the_servers_cap_says_how_to_get_around_it(
    make_server: Callable[..., ServerThread], tmp_path: Path
) -> None:
    config = SandboxConfig(distribution_failure_rate=0, max_records_per_response=2)
    server = make_server(config)
    numbers = submitted(server, tmp_path, 3)

    capped = invoke(["distributions", *day_args(server)], server.env())
    narrowed = invoke(
        ["distributions", *day_args(server), "--invoice-number", str(numbers[0])], server.env()
    )

    assert capped.exit_code == 1
    assert "cannot be split further" in capped.stderr
    assert "--invoice-number" in capped.stderr
    assert "--fetch-type" in capped.stderr
    assert narrowed.exit_code == 0
    assert json.loads(narrowed.stdout)["invoiceNumber"] == numbers[0]


def test_a_long_export_shows_progress_on_a_terminal_and_never_on_a_pipe(
    server: ServerThread, tmp_path: Path
) -> None:
    submitted(server, tmp_path, 2)
    start = (server.today - timedelta(days=9)).isoformat()
    args = ["distributions", "--from", start, "--to", server.today.isoformat()]

    code, on_terminal = run_on_a_terminal(args, server.env())
    piped = invoke(args, server.env())  # stderr is not a terminal here

    assert code == 0
    assert b"exporting" in on_terminal
    assert b"10/10" in on_terminal
    assert piped.exit_code == 0
    assert piped.stderr == ""
