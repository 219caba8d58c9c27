"""Every endpoint: method, path, X-Api-Key header, wire field names, and typed decoding."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from aioresponses import aioresponses
from yarl import URL

from confirma_async import ConfirmaClient, RequestValidationError
from confirma_async.models import (
    AccountingPayment,
    AccountingPaymentsSubmission,
    ActionData,
    ActionsRequest,
    ClientDetails,
    Contact,
    Distribution,
    Invoice,
    InvoiceAction,
    InvoiceAmounts,
    InvoiceHeader,
    InvoiceRequest,
    LedgerDimension,
    LedgerDocument,
    LedgerRow,
    LedgerSubmission,
    NewClientRequest,
    Processing,
    ServiceConfig,
    SyncStatus,
)

from .conftest import BASE, TOKEN, calls, url

PARTNER_TOKEN = "partner-PLANTED-88aa"


def only_call(mocked: aioresponses, method: str, path: str) -> Any:
    (call,) = calls(mocked, method, path)
    return call


def sent_json(call: Any) -> Any:
    return json.loads(call.kwargs["data"])


def sent_query(mocked: aioresponses, method: str, path: str) -> dict[str, str]:
    for (m, u), _ in mocked.requests.items():
        if m == method and URL(u).path == URL(BASE + path).path:
            return dict(URL(u).query)
    raise AssertionError("no call")


def invoice_request() -> InvoiceRequest:
    return InvoiceRequest(
        processing=Processing(
            payment_control_enabled=True,
            manual_approval_enabled=False,
            accounting_invoice_enabled=False,
        ),
        distribution=Distribution(method="EMAIL", enabled=True),
        invoice=Invoice(
            header=InvoiceHeader(
                number=251601000,
                type="INVOICE",
                date=date(2025, 12, 1),
                due_date=date(2025, 12, 15),
                description=None,
                additional_information=None,
                currency_code="EUR",
            ),
            amounts=InvoiceAmounts(total_amount=Decimal("100.50")),
        ),
    )


async def test_create_client_sends_partner_token_and_documented_fields(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    mocked.post(
        url("/client"),
        status=201,
        payload={
            "clientId": "c-1",
            "customerCode": "CC1",
            "paymentReferencePrefix": "1234",
            "accessToken": "tok-new-client",
            "expiresAt": None,
        },
    )
    request = NewClientRequest(
        service=ServiceConfig(type="LIFECYCLE", partner_code="QUICK3"),
        client=ClientDetails(
            name="Test Customer Oy",
            business_code="123456-7",
            vat_reg_nbr="FI1234567",
            postal_address="Testikuja 7",
            postal_code="12345",
            postal_district="HELSINKI",
            country_code="FI",
            telephone="",
            email="email@testcustomer.fi",
            website="",
            language_code="FI",
        ),
        contacts=[Contact(role="PRIMARY", name="Maija", email="maija@testcustomer.fi")],
    )

    created = await client.onboarding.create_client(request, partner_token=PARTNER_TOKEN)

    call = only_call(mocked, "POST", "/client")
    assert call.kwargs["headers"]["X-Api-Key"] == PARTNER_TOKEN
    assert call.kwargs["headers"]["Content-Type"] == "application/json"
    body = sent_json(call)
    assert body["service"] == {"type": "LIFECYCLE", "partnerCode": "QUICK3"}
    assert body["client"] == {
        "name": "Test Customer Oy",
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
    }
    assert body["contacts"][0]["role"] == "PRIMARY"
    assert created.client_id == "c-1"
    assert created.access_token == "tok-new-client"
    assert "tok-new-client" not in repr(created)


async def test_validate_token_is_get_validate(mocked: aioresponses, client: ConfirmaClient) -> None:
    mocked.get(url("/validate"), payload={"isValid": True, "message": "Token is valid"})

    result = await client.onboarding.validate_token()

    assert only_call(mocked, "GET", "/validate").kwargs["headers"]["X-Api-Key"] == TOKEN
    assert result.is_valid is True


async def test_renew_token_is_get_renew_with_current_token(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    mocked.get(url("/renew"), payload={"Message": "tok-2"})

    await client.onboarding.renew_token()

    call = only_call(mocked, "GET", "/renew")
    assert call.kwargs["headers"]["X-Api-Key"] == TOKEN
    assert call.kwargs.get("data") is None


async def test_create_invoice_sends_documented_wire_names(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    mocked.post(
        url("/invoice"),
        status=201,
        payload={
            "invoiceNumber": 251601000,
            "status": "RECEIVED",
            "receivedAt": "2026-01-01T10:00:00.000Z",
        },
    )

    created = await client.invoices.create(invoice_request())

    call = only_call(mocked, "POST", "/invoice")
    assert call.kwargs["headers"]["X-Api-Key"] == TOKEN
    raw = call.kwargs["data"].decode()
    assert '"totalAmount":100.50' in raw  # exact two-decimal number, never a float repr
    body = sent_json(call)
    assert body["processing"] == {
        "paymentControlEnabled": True,
        "manualApprovalEnabled": False,
        "accountingInvoiceEnabled": False,
    }
    assert body["distribution"] == {"method": "EMAIL", "enabled": True}
    assert body["invoice"]["header"] == {
        "number": 251601000,
        "type": "INVOICE",
        "date": "2025-12-01",
        "dueDate": "2025-12-15",
        "description": None,
        "additionalInformation": None,
        "currencyCode": "EUR",
    }
    assert created.invoice_number == 251601000
    assert created.received_at == datetime(2026, 1, 1, 10, tzinfo=UTC)


async def test_create_actions_sends_documented_wire_names(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    mocked.post(
        url("/invoice/action"),
        status=202,
        payload={
            "actions": [{"index": 0, "code": "COMMENT", "status": "PENDING", "actionId": "a1"}]
        },
    )
    request = ActionsRequest(
        actions=[
            InvoiceAction(
                code="COMMENT",
                comment="Customer requested extension",
                data=ActionData(invoice_number=123456789, case_id=12345),
            )
        ]
    )

    queued = await client.invoices.create_actions(request)

    body = sent_json(only_call(mocked, "POST", "/invoice/action"))
    assert body["actions"][0]["code"] == "COMMENT"
    assert body["actions"][0]["comment"] == "Customer requested extension"
    assert body["actions"][0]["data"]["invoiceNumber"] == 123456789
    assert body["actions"][0]["data"]["caseId"] == 12345
    assert queued.actions[0].action_id == "a1"
    assert queued.actions[0].status == "PENDING"


CASE_EXAMPLE = {
    "case": {
        "summary": {
            "caseId": 0,
            "status": "string",
            "stage": "string",
            "createdAt": "2019-08-24T14:15:22.123Z",
            "closedAt": "2019-08-24",
            "activeDays": 0,
            "creditor": "string",
            "currency": "string",
            "agency": "string",
        },
        "balance": {"capitalAmount": 0, "interestAmount": 0, "costsAmount": 0},
    }
}


@pytest.mark.parametrize(
    ("kwargs", "query"),
    [({"case_id": 12345}, {"caseId": "12345"}), ({"invoice_number": 77}, {"invoiceNumber": "77"})],
)
async def test_case_details_is_get_invoice_case(
    mocked: aioresponses, client: ConfirmaClient, kwargs: dict[str, int], query: dict[str, str]
) -> None:
    mocked.get(url("/invoice/case"), payload=CASE_EXAMPLE)

    details = await client.invoices.case(**kwargs)

    assert sent_query(mocked, "GET", "/invoice/case") == query
    assert details.case.summary.created_at == datetime(2019, 8, 24, 14, 15, 22, 123000, tzinfo=UTC)
    assert details.case.summary.closed_at == date(2019, 8, 24)
    assert details.case.balance.capital_amount == Decimal(0)


async def test_case_details_needs_exactly_one_key(client: ConfirmaClient) -> None:
    with pytest.raises(RequestValidationError):
        await client.invoices.case()
    with pytest.raises(RequestValidationError):
        await client.invoices.case(case_id=1, invoice_number=2)


async def test_distribution_window_always_sends_both_dates(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    mocked.get(
        url("/invoice/distribution"),
        payload={
            "metaData": {
                "totalCount": 1,
                "successfulCount": 1,
                "failedCount": 0,
                "filtersApplied": {
                    "invoiceNumber": None,
                    "fromInvDate": "2026-01-01",
                    "toInvDate": "2026-01-02",
                    "fetchType": None,
                    "defaultLast30Days": False,
                },
            },
            "distributions": [
                {
                    "invoiceNumber": 5,
                    "invoiceDate": "2026-01-01",
                    "caseId": None,
                    "distributionMethod": "EMAIL",
                    "distributionStatus": "DELIVERED",
                    "paymentControlStatus": "NONE",
                    "createdAt": "2026-01-01T10:00:00Z",
                    "updatedAt": "2026-01-01T10:05:00.5Z",
                    "deliveredAt": "2026-01-01T10:05:00Z",
                }
            ],
        },
    )

    page = await client.invoices.distribution_window(date(2026, 1, 1), date(2026, 1, 2))

    assert sent_query(mocked, "GET", "/invoice/distribution") == {
        "fromInvDate": "2026-01-01",
        "toInvDate": "2026-01-02",
    }
    assert page.meta_data.total_count == 1
    assert page.distributions[0].invoice_number == 5
    assert page.distributions[0].distribution_status == "DELIVERED"


async def test_distribution_window_rejects_reversed_dates(client: ConfirmaClient) -> None:
    with pytest.raises(RequestValidationError) as info:
        await client.invoices.distribution_window(date(2026, 1, 2), date(2026, 1, 1))
    assert info.value.field == "toInvDate"


PAYMENTS_EXAMPLE = [
    {
        "caseId": 481920,
        "invoiceNumber": "202600145",
        "invoicePaymentReference": "RF71234567890123456789",
        "originalPaymentReference": "RF71999999999999999999",
        "accountName": "ACME Oy",
        "bookingDate": "2026-03-27T00:00:00Z",
        "paymentDate": "2026-03-27T00:00:00Z",
        "amount": 10.5,
    }
]


async def test_payments_window_is_get_payments_with_from_and_to(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    mocked.get(url("/payments"), payload=PAYMENTS_EXAMPLE)

    payments = await client.payments.payments_window(date(2026, 3, 1), date(2026, 3, 31))

    assert sent_query(mocked, "GET", "/payments") == {
        "fromDate": "2026-03-01",
        "toDate": "2026-03-31",
    }
    assert payments[0].case_id == 481920
    assert payments[0].amount == Decimal("10.5")
    assert payments[0].payment_date == datetime(2026, 3, 27, tzinfo=UTC)


SETTLEMENTS_EXAMPLE = (
    '{"createdAt":"2026-04-01T09:34:12.123Z","settlements":[{"settlementId":202603280001,'
    '"settlementDate":"2026-03-28","agency":"CASH-IN","remittanceReference":"8090801781763",'
    '"beneficiary":{"name":"Partner Test Customer","iban":"","bic":""},"settlementAmount":1240.50,'
    '"currency":"EUR","apiFetchDate":null,"allocations":[{"allocationId":9001001,'
    '"allocatedTotalAmount":1000.00,"allocationDate":"2026-03-28","currency":"EUR","caseId":null,'
    '"originalInvoiceNumber":"202600145","originalPaymentReference":"","breakdown":[{"type":"CAPITAL",'
    '"amount":900.00},{"type":"INTEREST","amount":75.00},{"type":"FEES","amount":25.00}]}]}]}'
)


@pytest.mark.parametrize(
    ("kwargs", "query"),
    [
        (
            {"from_date": date(2026, 3, 1), "to_date": date(2026, 3, 31)},
            {"fromDate": "2026-03-01", "toDate": "2026-03-31"},
        ),
        ({"unfetched_only": True}, {"unfetchedOnly": "true"}),
    ],
)
async def test_settlements_window_is_get_settlements(
    mocked: aioresponses, client: ConfirmaClient, kwargs: dict[str, Any], query: dict[str, str]
) -> None:
    mocked.get(url("/settlements"), body=SETTLEMENTS_EXAMPLE, content_type="application/json")

    page = await client.payments.settlements_window(**kwargs)

    assert sent_query(mocked, "GET", "/settlements") == query
    settlement = page.settlements[0]
    assert settlement.settlement_id == 202603280001
    assert settlement.settlement_amount == Decimal("1240.50")
    assert [b.amount for b in settlement.allocations[0].breakdown] == [
        Decimal("900.00"),
        Decimal("75.00"),
        Decimal("25.00"),
    ]


async def test_settlements_without_window_need_unfetched_only(client: ConfirmaClient) -> None:
    with pytest.raises(RequestValidationError):
        await client.payments.settlements_window()


def ledger_submission() -> LedgerSubmission:
    return LedgerSubmission(
        ledgers=LedgerDocument(
            ledger_identifier="abc-123-def-456",
            company_identifier="123456-7",
            document_type="ML",
            document_name="1001",
            document_date=date(2025, 12, 13),
            document_description="Here comes the description, max 210 chars long",
            calculation_mode="GROSS",
            ledger_rows=[
                LedgerRow(
                    booking_date=date(2025, 12, 12),
                    account_number="1701",
                    vat_percentage=Decimal("0"),
                    vat_code="",
                    amount=Decimal("2990.00"),
                    net_amount=Decimal("2990.00"),
                    is_vat_row=False,
                    project_number="PN12345",
                    transaction_description="1763",
                    ledger_dimensions=[
                        LedgerDimension(dimension_type="COST_CENTER", dimension_value="1000")
                    ],
                )
            ],
        )
    )


async def test_submit_ledger_sends_documented_wire_names(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    mocked.post(
        url("/accounting/ledger"),
        status=202,
        payload={"sourceIdentifier": "abc-123-def-456", "status": 0, "description": "Pending"},
    )

    status = await client.accounting.submit_ledger(ledger_submission())

    body = sent_json(only_call(mocked, "POST", "/accounting/ledger"))
    doc = body["ledgers"]
    assert doc["ledgerIdentifier"] == "abc-123-def-456"
    assert doc["documentDate"] == "2025-12-13"
    row = doc["ledgerRows"][0]
    assert row["accountNumber"] == "1701"
    assert row["isVatRow"] == 0
    assert row["ledgerDimensions"] == [{"dimensionType": "COST_CENTER", "dimensionValue": "1000"}]
    assert status.status == SyncStatus.PENDING


async def test_ledger_status_is_get_with_window(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    mocked.get(
        url("/accounting/ledger"),
        payload={
            "ledgers": [
                {
                    "sourceIdentifier": "360f2c84-3b28-4915-a93f-20397b9e00ec",
                    "documentDate": "2025-10-15",
                    "documentName": "Ledger1234",
                    "documentStatus": "Approved",
                    "syncDate": "2025-10-16",
                    "status": 1,
                    "description": "Successfully synced",
                }
            ]
        },
    )

    statuses = await client.accounting.ledger_status(date(2025, 10, 1), date(2025, 10, 31))

    assert sent_query(mocked, "GET", "/accounting/ledger") == {
        "fromDate": "2025-10-01",
        "toDate": "2025-10-31",
    }
    assert statuses[0].status == SyncStatus.SYNCED
    assert statuses[0].sync_date == date(2025, 10, 16)


async def test_submit_payments_sends_documented_wire_names(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    mocked.post(
        url("/accounting/payment"),
        status=202,
        payload={
            "payments": [
                {"sourceIdentifier": "abc-123-def-456", "status": 0, "description": "Pending"}
            ]
        },
    )
    submission = AccountingPaymentsSubmission(
        payments=[
            AccountingPayment(
                payment_identifier="abc-123-def-456",
                invoice_number="133720800",
                payment_date=date(2026, 2, 25),
                booking_date=None,
                amount=Decimal("110.00"),
                currency="EUR",
                target_identifier="invoicenumber",
                payment_reference="1337109",
                source_name="Matti Meikäläinen",
            )
        ]
    )

    accepted = await client.accounting.submit_payments(submission)

    call = only_call(mocked, "POST", "/accounting/payment")
    assert '"amount":110.00' in call.kwargs["data"].decode()
    assert sent_json(call)["payments"][0] == {
        "paymentIdentifier": "abc-123-def-456",
        "invoiceNumber": "133720800",
        "paymentDate": "2026-02-25",
        "bookingDate": None,
        "amount": 110.0,
        "currency": "EUR",
        "targetIdentifier": "invoicenumber",
        "paymentReference": "1337109",
        "sourceName": "Matti Meikäläinen",
    }
    assert accepted.payments[0].status == SyncStatus.PENDING


async def test_payment_status_is_get_with_window_and_identifier(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    mocked.get(
        url("/accounting/payment"),
        payload={
            "payments": [
                {
                    "sourceIdentifier": "abc-123-def-456",
                    "invoiceNumber": "12345",
                    "paymentDate": "2025-10-15",
                    "syncDate": None,
                    "status": 0,
                    "description": "Pending",
                }
            ]
        },
    )

    statuses = await client.accounting.payment_status(
        date(2025, 10, 1), date(2025, 10, 31), source_identifier="abc-123-def-456"
    )

    assert sent_query(mocked, "GET", "/accounting/payment") == {
        "fromDate": "2025-10-01",
        "toDate": "2025-10-31",
        "sourceIdentifier": "abc-123-def-456",
    }
    assert statuses[0].sync_date is None


async def test_accounting_invoice_status_uses_the_assumed_endpoint(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    mocked.get(
        url("/accounting/invoice"),
        payload={
            "invoices": [
                {
                    "sourceIdentifier": "inv-1",
                    "invoiceNumber": "77",
                    "invoiceDate": "2026-01-01",
                    "syncDate": None,
                    "status": 7,
                    "description": "Something new",
                }
            ]
        },
    )

    statuses = await client.accounting.invoice_status(
        date(2026, 1, 1), date(2026, 1, 31), invoice_number=77
    )

    assert sent_query(mocked, "GET", "/accounting/invoice")["invoiceNumber"] == "77"
    assert statuses[0].status == 7  # an unknown status code is kept, not rejected


@pytest.mark.parametrize(
    "path", ["/accounting/ledger", "/accounting/payment", "/accounting/invoice"]
)
async def test_status_endpoints_treat_204_as_empty(
    mocked: aioresponses, client: ConfirmaClient, path: str
) -> None:
    mocked.get(url(path), status=204)
    method = {
        "/accounting/ledger": client.accounting.ledger_status,
        "/accounting/payment": client.accounting.payment_status,
        "/accounting/invoice": client.accounting.invoice_status,
    }[path]

    assert await method(date(2026, 1, 1), date(2026, 1, 2)) == []


async def test_invalid_request_sends_nothing(mocked: aioresponses, client: ConfirmaClient) -> None:
    with pytest.raises(RequestValidationError):
        await client.invoices.create({"invoice": {}})  # type: ignore[arg-type]

    assert mocked.requests == {}
