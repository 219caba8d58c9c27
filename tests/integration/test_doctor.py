"""check_assumptions against both sandbox dialects: it confirms the reference, catches the other."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from confirma_async import (
    AssumptionVerdict,
    ClientConfig,
    ConfirmaClient,
    DoctorReport,
    LedgerSubmission,
    check_assumptions,
)
from confirma_async.models import from_wire
from confirma_async.testing import ManualClock, Sandbox, SandboxConfig, sample_ledger

from .conftest import ALTERNATE_ALIASES, make_invoice

FAST = ClientConfig(backoff_base=0.0001, backoff_cap=0.0002, retry_after_cap=0.001)
CONFIRMED, ALIASED = AssumptionVerdict.CONFIRMED, AssumptionVerdict.ALIASED
CONTRADICTED, NOT_EXERCISED = AssumptionVerdict.CONTRADICTED, AssumptionVerdict.NOT_EXERCISED

# What a user learns from the alternate dialect: every alias it needs that a GET can show. Doctor
# never POSTs or renews, and the window holds no accounting invoice, so those stay unsuggested.
NOT_FROM_THESE_GETS = (
    "SubmissionStatus.",
    "NewClient.",
    "RenewedToken.",
    "AccountingInvoiceStatus.",
)
EXPECTED_SUGGESTIONS = {a for a in ALTERNATE_ALIASES if not a.startswith(NOT_FROM_THESE_GETS)}


async def _populated(sandbox: Sandbox) -> None:
    """Invoices that get delivered, cases, payments, a settlement and a ledger document."""
    async with ConfirmaClient(
        api_key=sandbox.client_token, base_url=sandbox.base_url, config=FAST
    ) as client:
        today = sandbox.clock.now().date()
        for number in range(1, 6):
            await client.invoices.create(make_invoice(number, day=today))
        await client.accounting.submit_ledger(
            from_wire(sample_ledger("L-1", today), LedgerSubmission)
        )
    sandbox.advance(timedelta(days=6))


async def _start(dialect: str) -> AsyncIterator[Sandbox]:
    config = SandboxConfig(dialect=dialect, debtor_payment_rate=1.0, distribution_failure_rate=0)
    async with Sandbox(config, clock=ManualClock()) as sb:
        await _populated(sb)
        yield sb


@pytest.fixture
async def reference() -> AsyncIterator[Sandbox]:
    async for sb in _start("reference"):
        yield sb


@pytest.fixture
async def alternate() -> AsyncIterator[Sandbox]:
    async for sb in _start("alternate"):
        yield sb


async def _doctor(sandbox: Sandbox, aliases: list[str] | None = None) -> DoctorReport:
    today = sandbox.clock.now().date()
    async with ConfirmaClient(
        api_key=sandbox.client_token, base_url=sandbox.base_url, config=FAST, wire_aliases=aliases
    ) as client:
        return await check_assumptions(client, start=today - timedelta(days=7), end=today)


def _verdicts(report: DoctorReport) -> dict[str, AssumptionVerdict]:
    return {check.id: check.verdict for check in report.checks}


async def test_doctor_confirms_every_guess_the_reference_dialect_answers(
    reference: Sandbox,
) -> None:
    report = await _doctor(reference)
    verdicts = _verdicts(report)
    assert report.ok
    assert report.suggested_aliases == []
    for row in ("DOC", "A4", "A10", "A11", "A12", "A13", "A19"):
        assert verdicts[row] is CONFIRMED, row
    for row in ("A7", "A9", "A14", "A20", "A21"):  # POSTs and renewals are never sent
        assert verdicts[row] is NOT_EXERCISED, row
    assert CONTRADICTED not in verdicts.values()


async def test_doctor_reports_each_contradiction_of_the_alternate_dialect(
    alternate: Sandbox,
) -> None:
    report = await _doctor(alternate)
    verdicts = _verdicts(report)
    assert not report.ok
    for row in ("A10", "A11", "A12", "A16", "A17"):
        assert verdicts[row] is CONTRADICTED, row
    for row in ("DOC", "A4", "A13", "A19"):  # documented facts and answers kept as they were
        assert verdicts[row] is CONFIRMED, row
    assert set(report.suggested_aliases) == EXPECTED_SUGGESTIONS
    details = " ".join(report.check("A11").details)
    assert "'deliveryState'" in details
    assert "agencyCaseId" in details  # the keys actually seen


async def test_the_suggested_aliases_turn_contradictions_into_aliased_rows(
    alternate: Sandbox,
) -> None:
    suggested = (await _doctor(alternate)).suggested_aliases
    report = await _doctor(alternate, aliases=suggested)
    verdicts = _verdicts(report)
    assert report.suggested_aliases == []
    for row in ("A10", "A11", "A12"):
        assert verdicts[row] is ALIASED, row
    # What no alias can change stays contradicted: an empty 200 where we assumed 204.
    assert verdicts["A16"] is CONTRADICTED
    assert "204" in " ".join(report.check("A16").details)


@pytest.mark.parametrize("dialect", ["reference", "alternate"])
async def test_doctor_changes_nothing_on_the_server(dialect: str) -> None:
    async for sandbox in _start(dialect):
        await _read_only(sandbox)


async def _read_only(sandbox: Sandbox) -> None:
    before = dict(sandbox.state.requests)
    await _doctor(sandbox)
    sent = {
        k: v - before.get(k, 0) for k, v in sandbox.state.requests.items() if v != before.get(k, 0)
    }
    assert all(endpoint.startswith("GET ") for endpoint in sent)
    assert "GET /renew" not in sent
    assert sandbox.state.ledger.settlements  # there were settlements to mark, and none was
    assert all(s.fetched_at is None for s in sandbox.state.ledger.settlements)
