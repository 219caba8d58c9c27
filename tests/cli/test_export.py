"""``confirma distributions / payments / settlements`` output, compared with the sandbox's data."""

from __future__ import annotations

import csv
import io
import json
import signal
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from confirma_async import ConfirmaClient, DistributionRecord, Payment, Settlement
from confirma_async._cli.flatten import layout
from confirma_async._cli.writers import cell
from confirma_async._core.json import loads
from confirma_async.models import to_wire

from .conftest import LineReader, ServerThread, invoices, invoke, spawn, write_jsonl

FIRST = 290_000_001
DAYS = 4


@pytest.fixture
def history(server: ServerThread, tmp_path: Path) -> tuple[date, date]:
    """Eight invoices over four days, distributed, paid by their debtors and settled."""
    today = server.today
    lines = [
        inv
        for day in range(DAYS)
        for inv in invoices([FIRST + 2 * day, FIRST + 2 * day + 1], today - timedelta(days=day))
    ]
    path = write_jsonl(tmp_path / "invoices.jsonl", lines)
    assert invoke(["submit", str(path)], server.env()).exit_code == 0
    server.advance(timedelta(minutes=10))
    server.advance(timedelta(days=5))
    return today - timedelta(days=DAYS - 1), today + timedelta(days=6)


def wire(records: list[Any]) -> list[dict[str, Any]]:
    """What the library's records look like on the wire, through the same JSON encoder."""
    from confirma_async._core.json import dumps

    return [loads(dumps(to_wire(r))) for r in records]


def jsonl(text: str) -> list[dict[str, Any]]:
    return [loads(line) for line in text.splitlines()]


def csv_rows(text: str, cls: type[Any]) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    assert reader.fieldnames == layout(cls).columns
    return list(reader)


def as_cells(record: dict[str, Any], cls: type[Any]) -> list[dict[str, str]]:
    """The CSV rows of one wire record: flattened, one row per item of an expanded list."""
    shape = layout(cls)
    return [dict(zip(shape.columns, map(cell, row), strict=True)) for row in shape.rows(record)]


def listed(server: ServerThread, what: str, start: date, end: date) -> list[Any]:
    async def fetch(client: ConfirmaClient) -> list[Any]:
        if what == "distributions":
            return await client.invoices.distributions(start, end).to_list()
        if what == "payments":
            return await client.payments.list(start, end).to_list()
        return await client.payments.settlements(start, end).to_list()

    return server.client_run(fetch)


MODELS = {"distributions": DistributionRecord, "payments": Payment, "settlements": Settlement}


@pytest.mark.parametrize("what", ["distributions", "payments", "settlements"])
def test_export_to_jsonl_and_csv_matches_the_sandbox(
    server: ServerThread, history: tuple[date, date], what: str
) -> None:
    start, end = history
    expected = wire(listed(server, what, start, end))
    assert expected, "the sandbox has no data for this listing"
    args = [what, "--from", start.isoformat(), "--to", end.isoformat()]

    as_jsonl = invoke(args, server.env())
    as_csv = invoke([*args, "--format", "csv", "--window", "3"], server.env())

    assert as_jsonl.exit_code == 0, as_jsonl.output
    assert as_csv.exit_code == 0, as_csv.output
    assert jsonl(as_jsonl.stdout) == expected
    cls = MODELS[what]
    assert csv_rows(as_csv.stdout, cls) == [row for r in expected for row in as_cells(r, cls)]
    assert as_jsonl.stderr == as_csv.stderr == ""


def test_exported_records_are_the_sandboxs_own(
    server: ServerThread, history: tuple[date, date]
) -> None:
    start, end = history
    state = server.sandbox.state
    stored = server.call(state.invoices)
    paid = server.call(state.payments)
    settled = server.call(state.settlements)
    args = ["--from", start.isoformat(), "--to", end.isoformat()]

    records = jsonl(invoke(["distributions", *args], server.env()).stdout)
    payments = jsonl(invoke(["payments", *args], server.env()).stdout)
    rows = csv_rows(
        invoke(["settlements", *args, "--format", "csv"], server.env()).stdout, Settlement
    )

    assert {(r["invoiceNumber"], r["distributionStatus"]) for r in records} == {
        (i.number, i.status) for i in stored
    }
    assert {r["caseId"] for r in records} == {i.case.case_id for i in stored if i.case}
    assert sorted((p["invoiceNumber"], p["amount"]) for p in payments) == sorted(
        (str(p.invoice_number), p.amount) for p in paid
    )
    # One row per allocation, the settlement's own columns repeated on each.
    assert sorted({int(r["settlementId"]) for r in rows}) == sorted(
        s.settlement_id for s in settled
    )
    assert len(rows) == len(paid) == sum(len(s.allocations) for s in settled)
    by_id = {s.settlement_id: s for s in settled}
    for row in rows:
        settlement = by_id[int(row["settlementId"])]
        assert row["beneficiary.name"] == settlement.beneficiary  # nested: dotted columns
        assert int(row["allocations.allocationId"]) in {
            a.allocation_id for a in settlement.allocations
        }
    assert json.loads(rows[0]["allocations.breakdown"])  # a list inside the list stays JSON


def test_unfetched_settlements_come_back_once(
    server: ServerThread, history: tuple[date, date]
) -> None:
    first = invoke(["settlements", "--unfetched-only"], server.env())
    again = invoke(["settlements", "--unfetched-only", "--format", "csv"], server.env())

    assert first.exit_code == again.exit_code == 0
    settled = server.call(server.sandbox.state.settlements)
    assert [r["settlementId"] for r in jsonl(first.stdout)] == [s.settlement_id for s in settled]
    assert csv_rows(again.stdout, Settlement) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["distributions", "--from", "2026-01-01"], "--to is required"),
        (["distributions", "--from", "2026-01-02", "--to", "2026-01-01"], "is before"),
        (["distributions", "--from", "01/02/2026", "--to", "2026-01-01"], "not a date"),
        (["distributions", "--from", "2026-01-01", "--watch", "--to", "2026-01-02"], "--watch"),
        (
            ["distributions", "--from", "2026-01-01", "--to", "2026-01-02", "--interval", "1"],
            "only to --watch",
        ),
        (["payments", "--from", "2026-01-01"], "--to"),
        (["settlements"], "--unfetched-only"),
        (["settlements", "--from", "2026-01-01"], "both --from and --to"),
        (["distributions", "--from", "2026-01-01", "--to", "2026-01-02", "--format", "xml"], "xml"),
        (["distributions", "--from", "2026-01-01", "--watch", "--interval", "0"], "x>=1"),
    ],
)
def test_bad_listing_arguments_exit_2(args: list[str], message: str) -> None:
    result = invoke(args, {"CONFIRMA_API_KEY": "unused", "CONFIRMA_BASE_URL": "http://127.0.0.1:9"})
    assert result.exit_code == 2
    assert message in result.stderr


@pytest.mark.parametrize("sent", [signal.SIGINT, signal.SIGTERM], ids=["sigint", "sigterm"])
def test_watch_streams_new_and_changed_records_until_ctrl_c_or_sigterm(
    server: ServerThread, tmp_path: Path, sent: signal.Signals
) -> None:
    today = server.today
    path = write_jsonl(tmp_path / "in.jsonl", invoices([FIRST, FIRST + 1], today))
    assert invoke(["submit", str(path)], server.env()).exit_code == 0
    checkpoint = tmp_path / "watch.json"
    args = [
        "distributions",
        "--from",
        (today - timedelta(days=1)).isoformat(),
        "--watch",
        "--interval",
        "1",
        "--checkpoint",
        str(checkpoint),
    ]

    proc = spawn(args, server.env())
    try:
        lines = LineReader(proc.stdout)  # type: ignore[arg-type]
        queued = [loads(lines.next()) for _ in range(2)]
        server.advance(timedelta(minutes=10))  # the sandbox delivers both invoices
        delivered = [loads(lines.next()) for _ in range(2)]
        proc.send_signal(sent)  # the normal end of a watch: exit 0, the checkpoint saved
        _, err = proc.communicate(timeout=15)
        rest = lines.rest()
    finally:
        if proc.returncode is None:
            proc.kill()
            proc.wait()

    assert proc.returncode == 0, err.decode()
    assert b"Traceback" not in err
    assert {(r["invoiceNumber"], r["distributionStatus"]) for r in queued} == {
        (FIRST, "QUEUED"),
        (FIRST + 1, "QUEUED"),
    }
    assert {(r["invoiceNumber"], r["distributionStatus"]) for r in delivered} == {
        (FIRST, "DELIVERED"),
        (FIRST + 1, "DELIVERED"),
    }
    assert rest == []  # each change once, no repeats between polls
    saved = json.loads(checkpoint.read_text())
    assert saved["kind"] == "distribution-watch"
    assert set(saved["seen"][today.isoformat()]) == {str(FIRST), str(FIRST + 1)}
