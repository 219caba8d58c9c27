"""Every endpoint through the real client over real sockets.

The actions, payments/settlements and accounting tests run against both sandbox dialects (the
``dialect`` fixture). Where the alternate dialect legitimately answers otherwise (POST answers with
no body, plain text or another shape), the test says what it must then return instead.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest

from confirma_async import (
    AccountingPayment,
    AccountingPaymentsSubmission,
    ActionCode,
    ActionData,
    ActionsRequest,
    CalculationMode,
    ClientDetails,
    ConfirmaClient,
    ConflictError,
    Contact,
    ContactRole,
    InvoiceAction,
    LedgerDocument,
    LedgerRow,
    LedgerSubmission,
    NewClientRequest,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    ServiceConfig,
    ServiceType,
    SyncStatus,
)
from confirma_async.testing import DialectName, ManualClock, Sandbox, SandboxConfig

from .conftest import FAST, TODAY, make_invoice


def new_client_request(name: str = "Acme Oy") -> NewClientRequest:
    return NewClientRequest(
        service=ServiceConfig(type=ServiceType.LIFECYCLE, partner_code="QUICK3"),
        client=ClientDetails(
            name=name,
            business_code="123456-7",
            vat_reg_nbr="FI1234567",
            postal_address="Testikuja 7",
            postal_code="12345",
            postal_district="HELSINKI",
            country_code="FI",
            email="email@acme.fi",
            language_code="FI",
        ),
        contacts=[Contact(role=ContactRole.PRIMARY, name="Maija", email="maija@acme.fi")],
    )


def ledger(identifier: str) -> LedgerSubmission:
    def row(account: str, amount: str, net: str, vat: str, is_vat: bool) -> LedgerRow:
        return LedgerRow(
            booking_date=TODAY,
            account_number=account,
            vat_percentage=Decimal(vat),
            amount=Decimal(amount),
            net_amount=Decimal(net),
            is_vat_row=is_vat,
        )

    return LedgerSubmission(
        ledgers=LedgerDocument(
            ledger_identifier=identifier,
            company_identifier="123456-7",
            document_type="ML",
            document_name="1001",
            document_date=TODAY,
            document_description="Sales",
            calculation_mode=CalculationMode.GROSS,
            ledger_rows=[
                row("1701", "2990.00", "2990.00", "0", False),
                row("3000", "-2990.00", "-2382.47", "25.5", False),
                row("2939", "-607.53", "-607.53", "0", True),
            ],
        )
    )


async def test_onboarding_validate_and_renew(
    confirma_client: ConfirmaClient, confirma_sandbox: Sandbox
) -> None:
    created = await confirma_client.onboarding.create_client(
        new_client_request(), partner_token=confirma_sandbox.partner_token
    )
    assert created.client_id in confirma_sandbox.state.tokens.clients
    with pytest.raises(PermissionDeniedError):
        await confirma_client.onboarding.create_client(
            new_client_request(), partner_token=confirma_sandbox.client_token
        )
    validation = await confirma_client.tokens.validate_token()
    assert validation.is_valid
    await confirma_client.tokens.renew_token()
    assert not (await _validate_raw(confirma_sandbox, confirma_sandbox.client_token))
    assert (await confirma_client.tokens.validate_token()).is_valid


async def _validate_raw(sandbox: Sandbox, token: str) -> bool:
    async with ConfirmaClient(api_key=token, base_url=sandbox.base_url, config=FAST) as c:
        return (await c.tokens.validate_token()).is_valid


async def test_invoice_distribution_case_and_actions(
    dialect: DialectName, confirma_client: ConfirmaClient, confirma_sandbox: Sandbox
) -> None:
    created = await confirma_client.invoices.create(make_invoice(1001))
    if dialect == "reference":
        assert created.invoice_number == 1001
    else:  # 201 with no body: a success all the same, with nothing to read
        assert (created.invoice_number, created.status, created.raw_body) == (None, None, b"")
    assert confirma_sandbox.state.accepted_count(1001) == 1
    with pytest.raises(ConflictError):
        await confirma_client.invoices.create(make_invoice(1001))
    confirma_sandbox.advance(timedelta(minutes=10))
    page = await confirma_client.invoices.distribution_window(TODAY, TODAY)
    (record,) = page.distributions
    assert record.invoice_number == 1001
    assert record.distribution_status == "DELIVERED"
    assert record.case_id is not None
    found = await confirma_client.invoices.find_distribution(1001, TODAY)
    assert found == record
    queued = await confirma_client.invoices.create_actions(
        ActionsRequest(
            actions=[
                InvoiceAction(
                    code=ActionCode.COMMENT,
                    comment="called",
                    data=ActionData(invoice_number=1001),
                ),
                InvoiceAction(
                    code=ActionCode.DIRECT_PAYMENT,
                    data=ActionData(
                        case_id=record.case_id, amount=Decimal("24.50"), payment_date=TODAY
                    ),
                ),
            ]
        )
    )
    if dialect == "reference":
        assert [q.status for q in queued.actions] == ["PENDING", "PENDING"]
    else:  # 202 with the plain text "Accepted": queued, with no per-action receipts
        assert (queued.actions, queued.raw_body) == ([], b"Accepted")
    assert len(confirma_sandbox.state.actions()) == 2
    confirma_sandbox.advance(timedelta(minutes=1))
    details = await confirma_client.invoices.case(invoice_number=1001)
    assert details.case.balance.capital_amount == Decimal("100.00")
    assert [e.type for e in details.case.events][-2:] == ["COMMENT", "PAYMENT"]
    assert details.case.payments[0].amount == Decimal("24.50")
    by_id = await confirma_client.invoices.case(case_id=record.case_id)
    assert by_id.case.summary.case_id == record.case_id
    with pytest.raises(NotFoundError):
        await confirma_client.invoices.case(case_id=1)


@pytest.mark.usefixtures("dialect")  # both dialects; the alternate one read through the aliases
async def test_payments_and_settlements(
    confirma_client: ConfirmaClient, confirma_sandbox: Sandbox
) -> None:
    await confirma_client.invoices.create(make_invoice(2001, amount="50.00"))
    await confirma_client.invoices.create_actions(
        ActionsRequest(
            actions=[
                InvoiceAction(
                    code=ActionCode.DIRECT_PAYMENT,
                    data=ActionData(
                        invoice_number=2001, amount=Decimal("50.00"), payment_date=TODAY
                    ),
                )
            ]
        )
    )
    confirma_sandbox.advance(timedelta(days=2))
    payments = await confirma_client.payments.payments_window(TODAY, TODAY)
    assert [(p.invoice_number, p.amount) for p in payments] == [("2001", Decimal("50.00"))]
    page = await confirma_client.payments.settlements_window(unfetched_only=True)
    (settlement,) = page.settlements
    assert settlement.settlement_amount == Decimal("50.00")
    assert (
        await confirma_client.payments.settlements_window(unfetched_only=True)
    ).settlements == []
    again = await confirma_client.payments.settlements_window(TODAY, TODAY + timedelta(days=2))
    assert [s.settlement_id for s in again.settlements] == [settlement.settlement_id]
    case = (await confirma_client.invoices.case(invoice_number=2001)).case
    assert case.summary.status == "CLOSED"


async def test_accounting(
    dialect: DialectName, confirma_client: ConfirmaClient, confirma_sandbox: Sandbox
) -> None:
    accepted = await confirma_client.accounting.submit_ledger(ledger("L-1"))
    assert accepted.source_identifier == "L-1"
    if dialect == "reference":
        assert accepted.status == SyncStatus.PENDING
    else:  # the receipt spells its state otherwise: no sync status, an unknown key kept
        assert (accepted.status, accepted.description) == (None, None)
        assert accepted.extra == {"state": "QUEUED"}
    with pytest.raises(ConflictError):
        await confirma_client.accounting.submit_ledger(ledger("L-1"))
    submitted = await confirma_client.accounting.submit_payments(
        AccountingPaymentsSubmission(
            payments=[
                AccountingPayment(
                    payment_identifier="P-1",
                    invoice_number="3001",
                    payment_date=TODAY,
                    amount=Decimal("110.00"),
                    currency="EUR",
                    payment_reference="1337109",
                    source_name="Matti",
                )
            ]
        )
    )
    if dialect == "reference":
        assert [p.source_identifier for p in submitted.payments] == ["P-1"]
    else:  # a bare JSON array of receipts, not an object: a success with no receipts read
        assert submitted.payments == []
        assert json.loads(submitted.raw_body) == [{"paymentIdentifier": "P-1", "state": "QUEUED"}]
    await confirma_client.invoices.create(make_invoice(3001, accounting=True))
    assert [s.status for s in await confirma_client.accounting.ledger_status(TODAY, TODAY)] == [0]
    confirma_sandbox.advance(timedelta(hours=1))
    (ledger_status,) = await confirma_client.accounting.ledger_status(
        TODAY, TODAY, source_identifier="L-1"
    )
    assert (ledger_status.status, ledger_status.sync_date) == (1, TODAY)
    (payment_status,) = await confirma_client.accounting.payment_status(TODAY, TODAY)
    assert payment_status.status == 1
    (invoice_status,) = await confirma_client.accounting.invoice_status(
        TODAY, TODAY, invoice_number=3001
    )
    assert invoice_status.status == 1
    assert await confirma_client.accounting.invoice_status(TODAY, TODAY, invoice_number=9) == []


async def test_streaming_splits_truncated_and_oversized_windows(
    confirma_sandbox: Sandbox,
) -> None:
    config = SandboxConfig(
        generated_records=3_650, generated_payments=730, max_records_per_response=15
    )
    async with (
        Sandbox(config, clock=ManualClock()) as sb,
        ConfirmaClient(api_key=sb.client_token, base_url=sb.base_url, config=FAST) as client,
    ):
        start, end = date(2025, 3, 1), date(2025, 3, 31)
        records = await client.invoices.distributions(
            start, end, window=timedelta(days=31)
        ).to_list()
        assert len(records) == 310
        assert [r.invoice_number for r in records] == sorted(r.invoice_number for r in records)
        payments = await client.payments.list(start, end, window=timedelta(days=31)).to_list()
        assert len(payments) == 62
    with pytest.raises(PayloadTooLargeError):
        async with ConfirmaClient(
            api_key=confirma_sandbox.client_token, base_url=confirma_sandbox.base_url, config=FAST
        ) as client:
            await client.invoices.distribution_window(date(2024, 1, 1), date(2025, 6, 1))
