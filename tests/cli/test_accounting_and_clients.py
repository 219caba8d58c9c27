"""``confirma accounting ...`` and ``confirma clients create``: JSONL in, journal, formats out."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from confirma_async.testing import sample_accounting_payment, sample_client, sample_ledger

from .conftest import ServerThread, invoke, write_jsonl

DAY = "2025-12-13"


def test_ledger_submit_then_status_and_a_rerun_sends_nothing(
    server: ServerThread, tmp_path: Path
) -> None:
    path = write_jsonl(tmp_path / "ledgers.jsonl", [sample_ledger(f"L-{i}") for i in range(3)])
    journal = tmp_path / "journal.jsonl"
    args = ["accounting", "ledger", "submit", str(path), "--journal", str(journal)]

    first = invoke(args, server.env())
    again = invoke([*args, "--format", "jsonl"], server.env())
    status = invoke(
        ["accounting", "ledger", "status", "--from", DAY, "--to", DAY, "--format", "csv"],
        server.env(),
    )

    assert first.exit_code == 0, first.output
    assert "created                3" in first.stdout
    results = [json.loads(line) for line in again.stdout.splitlines()]
    assert [(r["key"], r["status"], r["journal"]) for r in results] == [
        (f"ledger:L-{i}", "CREATED", True) for i in range(3)
    ]
    assert (
        server.call(lambda: server.sandbox.state.requests_received("POST", "/accounting/ledger"))
        == 3
    )
    assert status.exit_code == 0, status.output
    assert sorted(line.split(",")[0] for line in status.stdout.splitlines()[1:]) == [
        "L-0",
        "L-1",
        "L-2",
    ]


def test_payments_submit_reports_a_bad_line_and_a_duplicate(
    server: ServerThread, tmp_path: Path
) -> None:
    body = {"payments": [sample_accounting_payment("P-1", "300000001")]}
    path = write_jsonl(tmp_path / "payments.jsonl", [body, b'{"payments": []}', body])

    result = invoke(
        ["accounting", "payments", "submit", str(path), "--format", "jsonl"], server.env()
    )

    assert result.exit_code == 1
    statuses = [json.loads(line)["status"] for line in result.stdout.splitlines()]
    assert sorted(statuses) == ["ALREADY_EXISTS", "CREATED", "FAILED"]
    assert "line 2: payments" in result.stderr
    listed = invoke(
        [
            "accounting",
            "payments",
            "status",
            "--from",
            "2020-01-01",
            "--to",
            "2027-12-31",
            "--window",
            "400",
            "--format",
            "table",
        ],
        server.env(),
    )
    assert listed.exit_code == 0, listed.output
    assert "P-1" in listed.stdout


def test_invoice_sync_status_is_a_listing_like_the_others(server: ServerThread) -> None:
    result = invoke(
        ["accounting", "invoices", "status", "--from", DAY, "--to", DAY, "--format", "csv"],
        server.env(),
    )

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].startswith("sourceIdentifier,invoiceNumber")


def test_clients_create_keeps_the_new_token_out_of_the_output(
    server: ServerThread, tmp_path: Path
) -> None:
    path = write_jsonl(tmp_path / "clients.jsonl", [sample_client()])
    tokens = tmp_path / "tokens.jsonl"
    env = {**server.env(), "CONFIRMA_API_KEY": None}
    env["CONFIRMA_PARTNER_TOKEN"] = server.sandbox.partner_token
    args = ["clients", "create", str(path), "--tokens", str(tokens), "--format", "jsonl"]
    journal = ["--journal", str(tmp_path / "j.jsonl")]

    result = invoke([*args, *journal], server.env() | env)
    again = invoke([*args, *journal], server.env() | env)

    assert result.exit_code == 0, result.output
    (line,) = [json.loads(text) for text in result.stdout.splitlines()]
    assert line["status"] == "CREATED"
    assert line["answer"]["clientId"]
    saved = [json.loads(text) for text in tokens.read_text().splitlines()]
    assert [s["clientId"] for s in saved] == [line["answer"]["clientId"]]
    token = saved[0]["accessToken"]
    assert token
    assert token not in result.stdout + result.stderr
    assert stat.S_IMODE(os.stat(tokens).st_mode) == 0o600
    assert json.loads(again.stdout)["journal"] is True  # not created twice
    assert len(tokens.read_text().splitlines()) == 1
    # The new client's token works.
    assert invoke(["token", "validate"], server.env(token)).exit_code == 0


def test_clients_create_needs_the_partner_token(server: ServerThread, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "clients.jsonl", [sample_client()])

    result = invoke(
        ["clients", "create", str(path), "--tokens", str(tmp_path / "t")],
        {**server.env(), "CONFIRMA_PARTNER_TOKEN": None},
    )

    assert result.exit_code == 2
    assert "--partner-token" in result.stderr


def test_clients_list_shows_the_clients_of_a_tokens_file_and_checks_their_tokens(
    server: ServerThread, tmp_path: Path
) -> None:
    path = write_jsonl(tmp_path / "clients.jsonl", [sample_client(f"C{i} Oy") for i in range(3)])
    tokens = tmp_path / "tokens.jsonl"
    env = {**server.env(), "CONFIRMA_API_KEY": None}
    env["CONFIRMA_PARTNER_TOKEN"] = server.sandbox.partner_token
    created = invoke(["clients", "create", str(path), "--tokens", str(tokens)], env)
    assert created.exit_code == 0, created.output
    saved = [json.loads(text) for text in tokens.read_text().splitlines()]
    server.call(lambda: server.sandbox.revoke_token(saved[1]["accessToken"]))

    listed = invoke(["clients", "list", "--tokens", str(tokens)], env)
    checked = invoke(
        ["clients", "list", "--tokens", str(tokens), "--check", "--format", "jsonl"], env
    )

    assert listed.exit_code == 0, listed.output
    assert listed.stdout.split() == ["clientId", *(s["clientId"] for s in saved)]
    assert checked.exit_code == 1, checked.output  # one token is no longer valid
    rows = [json.loads(text) for text in checked.stdout.splitlines()]
    assert [(r["clientId"], r["valid"]) for r in rows] == [
        (saved[0]["clientId"], True),
        (saved[1]["clientId"], False),
        (saved[2]["clientId"], True),
    ]
    for s in saved:
        assert s["accessToken"] not in listed.output + checked.output


def test_clients_list_names_the_line_that_is_not_a_token_record(
    server: ServerThread, tmp_path: Path
) -> None:
    tokens = tmp_path / "tokens.jsonl"
    tokens.write_text('{"clientId": "c-1", "accessToken": "t"}\n{"clientId": "c-2"}\n')

    result = invoke(["clients", "list", "--tokens", str(tokens)], server.env())

    assert result.exit_code == 2
    assert "line 2" in result.stderr
