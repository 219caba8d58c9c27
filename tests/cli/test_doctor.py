"""``confirma doctor`` against both sandbox dialects: rows, suggested aliases, exit codes."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

from confirma_async import ConfirmaClient, InvoiceRequest
from confirma_async.models import from_wire
from confirma_async.testing import SandboxConfig, sample_invoice

from .conftest import ServerThread, invoke


def populated(make_server: Callable[..., ServerThread], dialect: str) -> ServerThread:
    config = SandboxConfig(
        dialect=dialect, distribution_failure_rate=0, debtor_payment_rate=1.0, sync_failure_rate=0
    )
    server = make_server(config)
    today = server.today

    async def upload(client: ConfirmaClient) -> None:
        for number in range(1, 4):
            invoice = from_wire(sample_invoice(number, invoice_date=today), InvoiceRequest)
            await client.invoices.create(invoice)

    server.client_run(upload)
    server.advance(timedelta(days=6))
    return server


def window(server: ServerThread) -> list[str]:
    start, end = server.today - timedelta(days=7), server.today
    return ["doctor", "--from", start.isoformat(), "--to", end.isoformat()]


def test_doctor_exits_0_when_every_guess_holds(make_server: Callable[..., ServerThread]) -> None:
    server = populated(make_server, "reference")
    result = invoke(window(server), server.env())
    assert result.exit_code == 0, result.output
    assert "A11" in result.stdout
    assert "contradicted" not in result.stdout.replace("0 contradicted", "")
    assert server.sandbox.client_token not in result.output


def test_doctor_exits_1_and_prints_the_aliases_to_add(
    make_server: Callable[..., ServerThread],
) -> None:
    server = populated(make_server, "alternate")
    result = invoke(window(server), server.env())
    assert result.exit_code == 1
    assert "contradicted" in result.stdout
    assert "export CONFIRMA_WIRE_ALIASES=" in result.stdout
    assert "DistributionRecord.distribution_status=deliveryState" in result.stdout


def test_doctor_json_is_a_bug_report_and_its_aliases_are_honoured(
    make_server: Callable[..., ServerThread],
) -> None:
    server = populated(make_server, "alternate")
    first = invoke([*window(server), "--json"], server.env())
    report = json.loads(first.stdout)
    rows = {row["id"]: row for row in report["checks"]}
    assert first.exit_code == 1
    assert rows["A11"]["verdict"] == "contradicted"
    assert rows["A7"]["verdict"] == "not exercised"
    assert "DistributionPage.distributions=records" in report["suggested_aliases"]

    env = {**server.env(), "CONFIRMA_WIRE_ALIASES": " ".join(report["suggested_aliases"])}
    again = json.loads(invoke([*window(server), "--json"], env).stdout)
    rows = {row["id"]: row for row in again["checks"]}
    assert rows["A11"]["verdict"] == "aliased"
    assert again["suggested_aliases"] == []


def test_doctor_with_a_bad_key_says_so_and_exits_1(
    make_server: Callable[..., ServerThread],
) -> None:
    server = make_server()
    result = invoke(window(server), server.env(token="not-a-token"))
    assert result.exit_code == 1
    assert "not valid" in result.stdout
    assert "not-a-token" not in result.output


def test_doctor_refuses_a_window_that_ends_before_it_starts(
    make_server: Callable[..., ServerThread],
) -> None:
    server = make_server()
    result = invoke(["doctor", "--from", "2026-01-10", "--to", "2026-01-01"], server.env())
    assert result.exit_code == 2
    assert "--to" in result.output
