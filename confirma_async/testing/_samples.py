"""Valid raw request bodies (plain JSON dicts) for tests, benchmarks and the demo."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any


def sample_invoice(
    number: int,
    *,
    invoice_date: date | None = None,
    due_in_days: int = 14,
    amount: Decimal | None = Decimal("124.50"),
    payment_control: bool = True,
    accounting: bool = False,
    method: str = "EMAIL",
    email: str | None = "buyer@example.com",
) -> dict[str, Any]:
    """A create-invoice body (A7/A8) that the sandbox accepts."""
    day = invoice_date or date(2026, 1, 5)
    invoice: dict[str, Any] = {
        "header": {
            "number": number,
            "type": "INVOICE",
            "date": day.isoformat(),
            "dueDate": (day + timedelta(days=due_in_days)).isoformat(),
            "description": None,
            "additionalInformation": None,
            "currencyCode": "EUR",
        },
        "buyer": {
            "name": "Matti Meikäläinen",
            "email": email,
            "countryCode": "FI",
            "languageCode": "FI",
            "postalAddress": "Testikuja 7",
            "postalCode": "00100",
            "postalDistrict": "HELSINKI",
        },
    }
    if amount is not None:
        invoice["amounts"] = {
            "totalAmount": amount,
            "vatAmount": (amount * 255 / 1255).quantize(Decimal("0.01")),
        }
    return {
        "processing": {
            "paymentControlEnabled": payment_control,
            "manualApprovalEnabled": False,
            "accountingInvoiceEnabled": accounting,
        },
        "distribution": {"method": method, "enabled": True},
        "invoice": invoice,
    }


def sample_client(name: str = "Test Customer Oy") -> dict[str, Any]:
    """A create-client body (A21) that the sandbox accepts."""
    return {
        "service": {"type": "LIFECYCLE", "partnerCode": "QUICK3"},
        "client": {
            "name": name,
            "businessCode": "123456-7",
            "vatRegNbr": "FI1234567",
            "postalAddress": "Testikuja 7",
            "postalCode": "12345",
            "postalDistrict": "HELSINKI",
            "countryCode": "FI",
            "telephone": "",
            "email": "email@testcustomer.fi",
            "website": "",
            "languageCode": "FI",
        },
        "contacts": [
            {"role": "PRIMARY", "name": "Maija", "email": "maija@testcustomer.fi", "telephone": ""}
        ],
    }


def sample_ledger(identifier: str, document_date: date | None = None) -> dict[str, Any]:
    """A ledger submission body (A14, the documented example) that the sandbox accepts."""
    day = (document_date or date(2025, 12, 13)).isoformat()

    def row(
        account: str, amount: str, net: str, vat: str, code: str, is_vat: int
    ) -> dict[str, Any]:
        return {
            "bookingDate": day,
            "accountNumber": account,
            "vatAccountNumber": None,
            "vatType": None,
            "vatPercentage": Decimal(vat),
            "vatCode": code,
            "amount": Decimal(amount),
            "netAmount": Decimal(net),
            "isVatRow": is_vat,
            "projectNumber": "PN12345",
            "transactionType": None,
            "transactionDescription": "1763",
            "ledgerDimensions": [],
        }

    return {
        "ledgers": {
            "ledgerIdentifier": identifier,
            "companyIdentifier": "123456-7",
            "documentType": "ML",
            "documentName": "1001",
            "documentDate": day,
            "documentDescription": "Sales of December",
            "calculationMode": "GROSS",
            "ledgerRows": [
                row("1701", "2990.00", "2990.00", "0", "", 0),
                row("3000", "-2990.00", "-2382.47", "25.5", "20", 0),
                row("2939", "-607.53", "-607.53", "0", "", 1),
            ],
        }
    }


def sample_accounting_payment(
    identifier: str, invoice_number: str, payment_date: date | None = None
) -> dict[str, Any]:
    """One item of an accounting payment submission (A16)."""
    return {
        "paymentIdentifier": identifier,
        "invoiceNumber": invoice_number,
        "paymentDate": (payment_date or date(2026, 2, 25)).isoformat(),
        "bookingDate": None,
        "amount": Decimal("110.00"),
        "currency": "EUR",
        "targetIdentifier": "invoicenumber",
        "paymentReference": "1337109",
        "sourceName": "Matti Meikäläinen",
    }
