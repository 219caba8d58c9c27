"""Each documented request rule fails with the full wire path and the offending value."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from confirma_async.errors import RequestValidationError
from confirma_async.models import (
    AccountingPayment,
    AccountingPaymentsSubmission,
    ActionCode,
    ActionData,
    ActionsRequest,
    BuyerParty,
    CalculationMode,
    ClientDetails,
    Contact,
    ContactRole,
    Distribution,
    DistributionMethod,
    Invoice,
    InvoiceAction,
    InvoiceAmounts,
    InvoiceCreated,
    InvoiceHeader,
    InvoiceRequest,
    LedgerDocument,
    LedgerRow,
    LedgerSubmission,
    NewClientRequest,
    Processing,
    ServiceConfig,
    ServiceType,
    from_wire,
    to_wire,
    validate_request,
)


def invoice_request(
    *, header: dict[str, Any] | None = None, buyer: BuyerParty | None = None, **amounts: Any
) -> InvoiceRequest:
    head: dict[str, Any] = {
        "number": 1001,
        "date": date(2025, 12, 1),
        "due_date": date(2025, 12, 15),
        "currency_code": "EUR",
        **(header or {}),
    }
    return InvoiceRequest(
        processing=Processing(payment_control_enabled=True),
        distribution=Distribution(method=DistributionMethod.EMAIL),
        invoice=Invoice(
            header=InvoiceHeader(**head),
            amounts=InvoiceAmounts(**amounts) if amounts else None,
            buyer=buyer,
        ),
    )


def client(**kw: Any) -> NewClientRequest:
    details: dict[str, Any] = {
        "name": "Test Customer Oy",
        "business_code": "123456-7",
        "vat_reg_nbr": "FI1234567",
        "postal_address": "Testikuja 7",
        "postal_code": "12345",
        "postal_district": "HELSINKI",
        "country_code": "FI",
        "email": "email@testcustomer.fi",
        "language_code": "FI",
    }
    contacts = kw.pop("contacts", [])
    return NewClientRequest(
        service=ServiceConfig(type=ServiceType.LIFECYCLE, partner_code="QUICK3"),
        client=ClientDetails(**{**details, **kw}),
        contacts=contacts,
    )


def ledger(description: str = "ok", **row: Any) -> LedgerSubmission:
    base: dict[str, Any] = {
        "booking_date": date(2025, 12, 12),
        "account_number": "1701",
        "vat_percentage": Decimal(0),
        "amount": Decimal("10.00"),
        "net_amount": Decimal("10.00"),
        **row,
    }
    return LedgerSubmission(
        ledgers=LedgerDocument(
            ledger_identifier="l-1",
            company_identifier="123456-7",
            document_type="ML",
            document_name="1001",
            document_date=date(2025, 12, 13),
            document_description=description,
            calculation_mode=CalculationMode.GROSS,
            ledger_rows=[LedgerRow(**base), LedgerRow(**base)],
        )
    )


@contextmanager
def raises(field: str, value: object) -> Iterator[None]:
    with pytest.raises(RequestValidationError) as info:
        yield
    assert info.value.field == field
    assert info.value.value == value or value != value
    assert repr(value) in str(info.value)


def test_valid_requests_build() -> None:
    invoice_request(total_amount=Decimal("12.50"), vat_amount=Decimal("2.50"))
    client(language_code="dk", contacts=[Contact(role=ContactRole.PRIMARY, name="A", email="a@b")])
    ledger()


def test_bad_currency() -> None:
    with raises("invoice.header.currencyCode", "EURO"):
        invoice_request(header={"currency_code": "EURO"})
    with raises("invoice.header.currencyCode", "eur"):
        invoice_request(header={"currency_code": "eur"})


def test_bad_country() -> None:
    with raises("client.countryCode", "XX"):
        client(country_code="XX")
    with raises("invoice.buyer.countryCode", "Finland"):
        invoice_request(buyer=BuyerParty(name="B", country_code="Finland"))


def test_bad_language() -> None:
    with raises("client.languageCode", "XX"):
        client(language_code="XX")
    with raises("invoice.buyer.languageCode", "fin"):
        invoice_request(buyer=BuyerParty(name="B", language_code="fin"))


def test_language_is_case_insensitive_and_accepts_dk() -> None:
    for code in ("FI", "fi", "SV", "EN", "DK", "da"):
        client(language_code=code)


def test_float_amount() -> None:
    with raises("invoice.amounts.totalAmount", 12.5):
        invoice_request(total_amount=12.5)
    with raises("invoice.amounts.vatAmount", True):
        invoice_request(total_amount=Decimal(1), vat_amount=True)


def test_three_decimal_amount() -> None:
    with raises("invoice.amounts.totalAmount", Decimal("12.505")):
        invoice_request(total_amount=Decimal("12.505"))
    with raises("ledgers.ledgerRows[0].netAmount", Decimal("1.001")):
        ledger(net_amount=Decimal("1.001"))
    invoice_request(total_amount=Decimal("12.500"))  # trailing zero is still 2 places


def test_non_finite_amount() -> None:
    with raises("ledgers.ledgerRows[0].amount", Decimal("NaN")):
        ledger(amount=Decimal("NaN"))


def test_bad_email() -> None:
    with raises("client.email", "not-an-email"):
        client(email="not-an-email")
    with raises("contacts[1].email", "a b@c.fi"):
        client(
            contacts=[
                Contact(role=ContactRole.PRIMARY, name="A", email="a@c.fi"),
                Contact(role=ContactRole.ACCOUNTANT, name="B", email="a b@c.fi"),
            ]
        )


def test_bad_website() -> None:
    client(website="https://testcustomer.fi/about")
    with raises("client.website", "not a url"):
        client(website="not a url")


def test_document_description_longer_than_210() -> None:
    ledger("x" * 210)
    with raises("ledgers.documentDescription", "x" * 211):
        ledger("x" * 211)


def test_naive_datetime() -> None:
    naive = datetime(2026, 1, 1, 10, 0)
    with raises("receivedAt", naive):
        to_wire(InvoiceCreated(invoice_number=1, received_at=naive))
    with raises("receivedAt", naive):
        validate_request(InvoiceCreated(invoice_number=1, received_at=naive))
    to_wire(InvoiceCreated(invoice_number=1, received_at=naive.replace(tzinfo=UTC)))


def test_invoice_number_must_be_a_positive_int() -> None:
    with raises("invoice.header.number", 0):
        invoice_request(header={"number": 0})
    with raises("invoice.header.number", True):
        invoice_request(header={"number": True})
    with raises("invoice.header.number", "1001"):
        invoice_request(header={"number": "1001"})


def test_date_must_be_a_date() -> None:
    when = datetime(2025, 12, 1, tzinfo=UTC)
    with raises("invoice.header.date", when):
        invoice_request(header={"date": when})


def test_action_needs_a_target() -> None:
    with raises("actions[0].data", None):
        ActionsRequest(
            actions=[InvoiceAction(code=ActionCode.COMMENT, comment="hi", data=ActionData())]
        )


def test_actions_and_payments_must_not_be_empty() -> None:
    with raises("actions", []):
        ActionsRequest(actions=[])
    with raises("payments", []):
        AccountingPaymentsSubmission(payments=[])


def test_accounting_payment_currency() -> None:
    payment = AccountingPayment(
        payment_identifier="p",
        invoice_number="1",
        payment_date=date(2026, 2, 25),
        amount=Decimal("1.00"),
        currency="XYZ",
        payment_reference="1",
        source_name="M",
    )
    with raises("payments[0].currency", "XYZ"):
        AccountingPaymentsSubmission(payments=[payment])


def test_parts_validate_relative_to_themselves() -> None:
    header = InvoiceHeader(
        number=1, date=date(2025, 1, 1), due_date=date(2025, 1, 2), currency_code="ABC"
    )
    with raises("currencyCode", "ABC"):
        validate_request(header)


def test_decoding_a_request_applies_the_same_rules() -> None:
    body = to_wire(invoice_request())
    body["invoice"]["header"]["currencyCode"] = "EURO"
    with raises("invoice.header.currencyCode", "EURO"):
        from_wire(body, InvoiceRequest)
