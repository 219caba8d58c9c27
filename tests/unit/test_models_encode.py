"""Request models encode to the documented wire JSON."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

from confirma_async._core import json as _json
from confirma_async.models import (
    AccountingPayment,
    AccountingPaymentsSubmission,
    ActionCode,
    ActionData,
    ActionsRequest,
    CalculationMode,
    ClientDetails,
    Contact,
    ContactRole,
    DimensionType,
    Distribution,
    DistributionMethod,
    Invoice,
    InvoiceAction,
    InvoiceAmounts,
    InvoiceCreated,
    InvoiceHeader,
    InvoiceRequest,
    LedgerDimension,
    LedgerDocument,
    LedgerRow,
    LedgerSubmission,
    NewClientRequest,
    Processing,
    ServiceConfig,
    ServiceType,
    SyncStatus,
    TargetIdentifier,
    from_wire,
    to_wire,
)
from confirma_async.models import SubmissionStatus as Status

from .test_models_decode import (
    ACCOUNTING_PAYMENTS,
    ACTIONS_REQUEST,
    INVOICE_REQUEST,
    LEDGER,
    NEW_CLIENT_REQUEST,
)


def _invoice_request(**invoice: object) -> InvoiceRequest:
    return InvoiceRequest(
        processing=Processing(payment_control_enabled=True),
        distribution=Distribution(method=DistributionMethod.EMAIL),
        invoice=Invoice(
            header=InvoiceHeader(
                number=251601000,
                date=date(2025, 12, 1),
                due_date=date(2025, 12, 15),
                currency_code="EUR",
            ),
            **invoice,  # type: ignore[arg-type]
        ),
    )


def _ledger_row(**kw: object) -> LedgerRow:
    base: dict[str, object] = {
        "booking_date": date(2025, 12, 12),
        "account_number": "1701",
        "vat_percentage": Decimal(0),
        "amount": Decimal("2990.0"),
        "net_amount": Decimal("2990.0"),
        "project_number": "PN12345",
        "transaction_description": "1763",
    }
    return LedgerRow(**{**base, **kw})  # type: ignore[arg-type]


def test_new_client_request_encodes_to_the_example() -> None:
    req = NewClientRequest(
        service=ServiceConfig(type=ServiceType.LIFECYCLE, partner_code="QUICK3"),
        client=ClientDetails(
            name="Test Customer Oy",
            business_code="123456-7",
            vat_reg_nbr="FI1234567",
            postal_address="Testikuja 7",
            postal_code="12345",
            postal_district="HELSINKI",
            country_code="FI",
            email="email@testcustomer.fi",
            language_code="FI",
        ),
    )
    assert to_wire(req) == {**_json.loads(NEW_CLIENT_REQUEST), "contacts": []}


def test_contacts_encode_as_an_array_of_objects() -> None:
    client = from_wire(_json.loads(NEW_CLIENT_REQUEST), NewClientRequest).client
    req = NewClientRequest(
        service=ServiceConfig(type=ServiceType("CO_OP"), partner_code="P"),
        client=client,
        contacts=[Contact(role=ContactRole.TECHNICAL, name="Tea", email="tea@example.fi")],
    )
    assert to_wire(req)["contacts"] == [
        {"role": "TECHNICAL", "name": "Tea", "email": "tea@example.fi", "telephone": ""}
    ]


def test_invoice_request_encodes_to_the_example() -> None:
    wire = to_wire(_invoice_request())
    assert wire == _json.loads(INVOICE_REQUEST)
    assert list(wire["invoice"]["header"]) == [
        "number",
        "type",
        "date",
        "dueDate",
        "description",
        "additionalInformation",
        "currencyCode",
    ]


def test_enum_values_are_plain_json_values() -> None:
    wire = to_wire(_invoice_request())
    assert type(wire["distribution"]["method"]) is str
    assert type(to_wire(Status(source_identifier="x", status=SyncStatus.SYNCED))["status"]) is int


def test_amounts_are_written_with_two_decimals() -> None:
    req = _invoice_request(amounts=InvoiceAmounts(total_amount=Decimal("12.5")))
    body = _json.dumps(to_wire(req)).decode()
    assert '"amounts":{"totalAmount":12.50,"vatAmount":null}' in body


def test_extra_is_merged_at_its_level() -> None:
    req = InvoiceRequest(
        processing=Processing(payment_control_enabled=False),
        distribution=Distribution(method=DistributionMethod("PRINT"), extra={"copies": 2}),
        invoice=Invoice(
            header=InvoiceHeader(
                number=1,
                date=date(2025, 12, 1),
                due_date=date(2025, 12, 15),
                currency_code="SEK",
                extra={"referenceNumber": "1337"},
            ),
            extra={"rows": [{"description": "Work", "amount": Decimal("100.25")}]},
        ),
        extra={"schemaVersion": 2},
    )
    wire = to_wire(req)
    assert wire["schemaVersion"] == 2
    assert wire["distribution"] == {"method": "PRINT", "enabled": True, "copies": 2}
    assert wire["invoice"]["header"]["referenceNumber"] == "1337"
    assert wire["invoice"]["rows"][0]["amount"] == Decimal("100.25")
    assert b'"amount":100.25' in _json.dumps(wire)
    assert from_wire(wire, InvoiceRequest) == req


def test_extra_overrides_a_documented_key() -> None:
    processing = Processing(payment_control_enabled=True, extra={"manualApprovalEnabled": "yes"})
    assert to_wire(processing)["manualApprovalEnabled"] == "yes"


def test_actions_request_encodes_to_the_example() -> None:
    req = ActionsRequest(
        actions=[
            InvoiceAction(
                code=ActionCode.COMMENT,
                comment="Customer requested extension",
                data=ActionData(invoice_number=123456789, case_id=12345),
            )
        ]
    )
    assert to_wire(req) == _json.loads(ACTIONS_REQUEST)


def test_assumed_action_parameters_are_sent_only_when_set() -> None:
    data = ActionData(case_id=5, amount=Decimal("10"), payment_date=date(2026, 1, 2))
    assert to_wire(data) == {
        "invoiceNumber": None,
        "caseId": 5,
        "amount": Decimal("10.00"),
        "paymentDate": "2026-01-02",
    }


def test_ledger_submission_encodes_to_the_example() -> None:
    req = LedgerSubmission(
        ledgers=LedgerDocument(
            ledger_identifier="abc-123-def-456",
            company_identifier="123456-7",
            document_type="ML",
            document_name="1001",
            document_date=date(2025, 12, 13),
            document_description="Here comes the description, max 210 chars long",
            calculation_mode=CalculationMode.GROSS,
            ledger_rows=[
                _ledger_row(
                    ledger_dimensions=[
                        LedgerDimension(
                            dimension_type=DimensionType.COST_CENTER, dimension_value="1000"
                        )
                    ]
                ),
                _ledger_row(
                    account_number="3000",
                    vat_percentage=Decimal("25.5"),
                    vat_code="20",
                    amount=Decimal("-2990.0"),
                    net_amount=Decimal("-2382.47"),
                ),
                _ledger_row(
                    account_number="2939",
                    amount=Decimal("-607.53"),
                    net_amount=Decimal("-607.53"),
                    is_vat_row=True,
                ),
            ],
        )
    )
    wire = to_wire(req)
    assert wire == _json.loads(LEDGER)
    rows = wire["ledgers"]["ledgerRows"]
    assert [type(r["isVatRow"]) for r in rows] == [int, int, int]
    assert [r["isVatRow"] for r in rows] == [0, 0, 1]
    body = _json.dumps(wire)
    assert b'"vatPercentage":25.50' in body
    assert b'"netAmount":-2382.47' in body


def test_accounting_payments_encode_to_the_example() -> None:
    req = AccountingPaymentsSubmission(
        payments=[
            AccountingPayment(
                payment_identifier="abc-123-def-456",
                invoice_number="133720800",
                payment_date=date(2026, 2, 25),
                amount=Decimal("110.0"),
                currency="EUR",
                target_identifier=TargetIdentifier.INVOICE_NUMBER,
                payment_reference="1337109",
                source_name="Matti Meikäläinen",
            )
        ]
    )
    wire = to_wire(req)
    assert wire == _json.loads(ACCOUNTING_PAYMENTS)
    assert "Matti Meikäläinen".encode() in _json.dumps(wire)


def test_datetimes_are_written_in_utc_with_milliseconds() -> None:
    helsinki = timezone(timedelta(hours=2))
    created = InvoiceCreated(
        invoice_number=1, received_at=datetime(2026, 1, 1, 12, 0, 0, 123456, tzinfo=helsinki)
    )
    assert to_wire(created)["receivedAt"] == "2026-01-01T10:00:00.123Z"
    created = InvoiceCreated(invoice_number=1, received_at=datetime(2026, 1, 1, tzinfo=UTC))
    assert to_wire(created)["receivedAt"] == "2026-01-01T00:00:00.000Z"


def test_a_plain_string_for_an_enum_field_is_written_as_is() -> None:
    config = ServiceConfig(type="LIFECYCLE", partner_code="P")  # type: ignore[arg-type]
    assert to_wire(config) == {"type": "LIFECYCLE", "partnerCode": "P"}
