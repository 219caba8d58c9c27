"""Every example payload of the API reference decodes into typed models."""

# ruff: noqa: E501  (the examples are copied verbatim, one payload a line)

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from confirma_async._core import json as _json
from confirma_async.errors import ResponseDecodeError
from confirma_async.models import (
    AccountingInvoiceStatusList,
    AccountingPaymentsAccepted,
    AccountingPaymentsSubmission,
    AccountingPaymentStatusList,
    ActionCode,
    ActionsQueued,
    ActionsRequest,
    BreakdownType,
    CaseDetails,
    CaseStatus,
    DistributionMethod,
    DistributionPage,
    DistributionStatus,
    InvoiceCreated,
    InvoiceRequest,
    InvoiceType,
    LedgerStatusList,
    LedgerSubmission,
    NewClient,
    NewClientRequest,
    Payment,
    ServiceType,
    SettlementsPage,
    SyncStatus,
    TargetIdentifier,
    TokenValidation,
    from_wire,
)

# --- verbatim examples from shared/api (cut-off payloads closed where the source is cut) ---------

NEW_CLIENT_REQUEST = """{"service":{"type":"LIFECYCLE","partnerCode":"QUICK3"},
 "client":{"name":"Test Customer Oy","businessCode":"123456-7","vatRegNbr":"FI1234567","postalAddress":"Testikuja 7","postalCode":"12345","postalDistrict":"HELSINKI","countryCode":"FI","telephone":"","email":"email@testcustomer.fi","website":"","languageCode":"FI"}}"""
VALIDATE = """{"isValid":true,"message":"Token is valid"}"""
INVOICE_REQUEST = """{"processing":{"paymentControlEnabled":true,"manualApprovalEnabled":false,"accountingInvoiceEnabled":false},
 "distribution":{"method":"EMAIL","enabled":true},
 "invoice":{"header":{"number":251601000,"type":"INVOICE","date":"2025-12-01","dueDate":"2025-12-15","description":null,"additionalInformation":null,"currencyCode":"EUR"}}}"""
ACTIONS_REQUEST = """{"actions":[{"code":"COMMENT","comment":"Customer requested extension","data":{"invoiceNumber":123456789,"caseId":12345}}]}"""
CASE = """{"case":{"summary":{"caseId":0,"status":"string","stage":"string","createdAt":"2019-08-24T14:15:22.123Z","closedAt":"2019-08-24","activeDays":0,"creditor":"string","currency":"string","agency":"string"},
 "balance":{"capitalAmount":0,"interestAmount":0,"costsAmount":0}}}"""
DISTRIBUTION = """{"metaData":{"totalCount":0,"successfulCount":0,"failedCount":0,"filtersApplied":{"invoiceNumber":null,"fromInvDate":"string","toInvDate":"string","fetchType":null}}}"""
PAYMENTS = """[{"caseId":481920,"invoiceNumber":"202600145","invoicePaymentReference":"RF71234567890123456789","originalPaymentReference":"RF71999999999999999999","accountName":"ACME Oy","bookingDate":"2026-03-27T00:00:00Z","paymentDate":"2026-03-27T00:00:00Z"}]"""
SETTLEMENTS = """{"createdAt":"2026-04-01T09:34:12.123Z","settlements":[{"settlementId":202603280001,"settlementDate":"2026-03-28","agency":"CASH-IN","remittanceReference":"8090801781763","beneficiary":{"name":"Partner Test Customer","iban":"","bic":""},"settlementAmount":1240.50,"currency":"EUR","apiFetchDate":null,"allocations":[{"allocationId":9001001,"allocatedTotalAmount":1000.00,"allocationDate":"2026-03-28","currency":"EUR","caseId":null,"originalInvoiceNumber":"202600145","originalPaymentReference":"","breakdown":[{"type":"CAPITAL","amount":900.00},{"type":"INTEREST","amount":75.00},{"type":"FEES","amount":25.00}]},{"allocationId":9001002,"allocatedTotalAmount":240.50,"allocationDate":"2026-03-28","currency":"EUR","caseId":null,"originalInvoiceNumber":"202600146","originalPaymentReference":"","breakdown":[{"type":"CAPITAL","amount":200.00},{"type":"INTEREST","amount":30.00},{"type":"FEES","amount":10.50}]}]}]}"""
# The older crawl: agency "CashIn", nulls, no apiFetchDate/caseId/originalPaymentReference, "events".
SETTLEMENTS_OLD = """{"createdAt":"2026-04-01T09:34:12.123Z","settlements":[{"settlementId":202603280001,"settlementDate":"2026-03-28","agency":"CashIn","remittanceReference":null,"beneficiary":null,"settlementAmount":1240.50,"currency":"EUR","allocations":[{"allocationId":9001001,"allocatedTotalAmount":1000.00,"allocationDate":"2026-03-28","currency":"EUR","originalInvoiceNumber":"202600145","events":[{"type":"CAPITAL","amount":900.00},{"type":"INTEREST","amount":75.00},{"type":"FEES","amount":25.00}]}]}]}"""
LEDGER = """{"ledgers":{"ledgerIdentifier":"abc-123-def-456","companyIdentifier":"123456-7","documentType":"ML","documentName":"1001","documentDate":"2025-12-13","documentDescription":"Here comes the description, max 210 chars long","calculationMode":"GROSS","ledgerRows":[{"bookingDate":"2025-12-12","accountNumber":"1701","vatAccountNumber":null,"vatType":null,"vatPercentage":0,"vatCode":"","amount":2990.0,"netAmount":2990.0,"isVatRow":0,"projectNumber":"PN12345","transactionType":null,"transactionDescription":"1763","ledgerDimensions":[{"dimensionType":"COST_CENTER","dimensionValue":"1000"}]},{"bookingDate":"2025-12-12","accountNumber":"3000","vatAccountNumber":null,"vatType":null,"vatPercentage":25.5,"vatCode":"20","amount":-2990.0,"netAmount":-2382.47,"isVatRow":0,"projectNumber":"PN12345","transactionType":null,"transactionDescription":"1763","ledgerDimensions":[]},{"bookingDate":"2025-12-12","accountNumber":"2939","vatAccountNumber":null,"vatType":null,"vatPercentage":0,"vatCode":"","amount":-607.53,"netAmount":-607.53,"isVatRow":1,"projectNumber":"PN12345","transactionType":null,"transactionDescription":"1763","ledgerDimensions":[]}]}}"""
LEDGER_STATUS = """{"ledgers":[{"sourceIdentifier":"360f2c84-3b28-4915-a93f-20397b9e00ec","documentDate":"2025-10-15","documentName":"Ledger1234","documentStatus":"Approved","syncDate":"2025-10-16","status":1,"description":"Successfully synced"}]}"""
ACCOUNTING_PAYMENTS = """{"payments":[{"paymentIdentifier":"abc-123-def-456","invoiceNumber":"133720800","paymentDate":"2026-02-25","bookingDate":null,"amount":110.0,"currency":"EUR","targetIdentifier":"invoicenumber","paymentReference":"1337109","sourceName":"Matti Meikäläinen"}]}"""
PAYMENT_STATUS = """{"payments":[{"sourceIdentifier":"abc-123-def-456","invoiceNumber":"12345","paymentDate":"2025-10-15","syncDate":null,"status":0,"description":"Pending"},{"sourceIdentifier":"abc-123-def-457","invoiceNumber":"12346","paymentDate":"2025-10-14","syncDate":"2025-10-15","status":2,"description":"Failed"}]}"""

# --- our assumed shapes (docs/api-assumptions.md) ---------------------------------------------------

NEW_CLIENT = """{"clientId":"c-1","customerCode":"CC1","paymentReferencePrefix":"1234","accessToken":"s3cret-token","expiresAt":null}"""
INVOICE_CREATED = (
    """{"invoiceNumber":251601000,"status":"RECEIVED","receivedAt":"2026-01-01T10:00:00.000Z"}"""
)
ACTIONS_QUEUED = (
    """{"actions":[{"index":0,"code":"COMMENT","status":"PENDING","actionId":"act-1"}]}"""
)
LEDGER_ACCEPTED = (
    """{"payments":[{"sourceIdentifier":"abc-123-def-456","status":0,"description":"Pending"}]}"""
)
ACCOUNTING_INVOICES = """{"invoices":[{"sourceIdentifier":"s-1","invoiceNumber":"251601000","invoiceDate":"2025-12-01","syncDate":null,"status":0,"description":"Pending"}]}"""
DISTRIBUTION_FULL = """{"metaData":{"totalCount":1,"successfulCount":1,"failedCount":0,"filtersApplied":{"invoiceNumber":null,"fromInvDate":"2025-12-01","toInvDate":"2025-12-31","fetchType":null,"defaultLast30Days":false}},"distributions":[{"invoiceNumber":251601000,"invoiceDate":"2025-12-01","caseId":481920,"distributionMethod":"EMAIL","distributionStatus":"DELIVERED","paymentControlStatus":"ACTIVE","createdAt":"2025-12-01T10:00:00.000Z","updatedAt":"2025-12-01T10:05:00Z","deliveredAt":"2025-12-01T12:05:00+02:00","channelRef":"x-9"}]}"""


def test_new_client_request_example() -> None:
    req = from_wire(_json.loads(NEW_CLIENT_REQUEST), NewClientRequest)
    assert req.service.type is ServiceType.LIFECYCLE
    assert req.service.partner_code == "QUICK3"
    assert req.client.business_code == "123456-7"
    assert req.client.vat_reg_nbr == "FI1234567"
    assert req.client.telephone == ""
    assert req.client.language_code == "FI"
    assert req.contacts == []


def test_validate_example() -> None:
    v = from_wire(_json.loads(VALIDATE), TokenValidation)
    assert v.is_valid is True
    assert v.message == "Token is valid"


def test_renew_example_message_is_kept_in_extra_when_not_a_model_field() -> None:
    v = from_wire(_json.loads('{"isValid":false,"Message":"x"}'), TokenValidation)
    assert v.message is None
    assert v.extra == {"Message": "x"}


def test_new_client_response_hides_token_in_repr() -> None:
    nc = from_wire(_json.loads(NEW_CLIENT), NewClient)
    assert nc.access_token == "s3cret-token"
    assert nc.expires_at is None
    assert "s3cret-token" not in repr(nc)


def test_invoice_request_example() -> None:
    req = from_wire(_json.loads(INVOICE_REQUEST), InvoiceRequest)
    assert req.processing.payment_control_enabled is True
    assert req.distribution.method is DistributionMethod.EMAIL
    header = req.invoice.header
    assert header.number == 251601000
    assert header.type is InvoiceType.INVOICE
    assert header.date == date(2025, 12, 1)
    assert header.due_date == date(2025, 12, 15)
    assert header.description is None
    assert header.currency_code == "EUR"
    assert req.invoice_number == 251601000


def test_actions_request_example() -> None:
    req = from_wire(_json.loads(ACTIONS_REQUEST), ActionsRequest)
    action = req.actions[0]
    assert action.code is ActionCode.COMMENT
    assert action.comment == "Customer requested extension"
    assert action.data.invoice_number == 123456789
    assert action.data.case_id == 12345


def test_case_example_with_unknown_status() -> None:
    details = from_wire(_json.loads(CASE), CaseDetails)
    summary = details.case.summary
    assert summary.case_id == 0
    assert summary.status == "string"  # not a listed status: kept as a pseudo-member
    assert isinstance(summary.status, CaseStatus)
    assert not summary.status.is_known
    assert summary.created_at == datetime(2019, 8, 24, 14, 15, 22, 123000, tzinfo=UTC)
    assert summary.closed_at == date(2019, 8, 24)
    balance = details.case.balance
    assert balance.capital_amount == Decimal(0)
    assert isinstance(balance.capital_amount, Decimal)
    assert balance.total_amount is None
    assert details.case.payments == []


def test_distribution_example() -> None:
    page = from_wire(_json.loads(DISTRIBUTION), DistributionPage)
    assert page.meta_data.total_count == 0
    filters = page.meta_data.filters_applied
    assert filters.invoice_number is None
    assert filters.from_inv_date == "string"
    assert filters.default_last30_days is None  # cut off on the page: not in the example
    assert page.distributions == []


def test_distribution_records_and_unknown_field_in_extra() -> None:
    page = from_wire(_json.loads(DISTRIBUTION_FULL), DistributionPage)
    assert page.meta_data.filters_applied.default_last30_days is False
    record = page.distributions[0]
    assert record.invoice_date == date(2025, 12, 1)
    assert record.distribution_status is DistributionStatus.DELIVERED
    assert record.created_at.tzinfo is not None
    assert record.updated_at == datetime(2025, 12, 1, 10, 5, tzinfo=UTC)
    assert record.delivered_at == datetime(2025, 12, 1, 10, 5, tzinfo=UTC)
    assert record.extra == {"channelRef": "x-9"}


def test_payments_example_is_a_top_level_list() -> None:
    payments = from_wire(_json.loads(PAYMENTS), list[Payment])
    (p,) = payments
    assert p.case_id == 481920
    assert p.invoice_number == "202600145"
    assert p.account_name == "ACME Oy"
    assert p.booking_date == datetime(2026, 3, 27, tzinfo=UTC)
    assert p.amount is None


def test_settlements_example() -> None:
    page = from_wire(_json.loads(SETTLEMENTS), SettlementsPage)
    assert page.created_at == datetime(2026, 4, 1, 9, 34, 12, 123000, tzinfo=UTC)
    (s,) = page.settlements
    assert s.settlement_id == 202603280001
    assert s.settlement_id > 2**31
    assert s.settlement_date == date(2026, 3, 28)
    assert s.settlement_amount == Decimal("1240.50")
    assert isinstance(s.settlement_amount, Decimal)
    assert s.beneficiary is not None
    assert s.beneficiary.iban == ""
    assert s.api_fetch_date is None
    first, second = s.allocations
    assert first.allocated_total_amount == Decimal("1000.00")
    assert first.case_id is None
    assert [b.type for b in first.breakdown] == [
        BreakdownType.CAPITAL,
        BreakdownType.INTEREST,
        BreakdownType.FEES,
    ]
    assert sum(b.amount for b in second.breakdown) == second.allocated_total_amount
    assert sum(a.allocated_total_amount for a in s.allocations) == s.settlement_amount


def test_settlements_older_crawl_reads_events_as_breakdown() -> None:
    page = from_wire(_json.loads(SETTLEMENTS_OLD), SettlementsPage)
    (s,) = page.settlements
    assert s.agency == "CashIn"
    assert s.beneficiary is None
    allocation = s.allocations[0]
    assert [b.amount for b in allocation.breakdown] == [Decimal(900), Decimal(75), Decimal(25)]
    assert allocation.extra == {}


def test_ledger_submission_example() -> None:
    sub = from_wire(_json.loads(LEDGER), LedgerSubmission)
    doc = sub.ledgers
    assert doc.calculation_mode == "GROSS"
    sales, vat_row = doc.ledger_rows[1], doc.ledger_rows[2]
    assert sales.vat_percentage == Decimal("25.5")
    assert sales.net_amount == Decimal("-2382.47")
    assert sales.is_vat_row is False
    assert vat_row.is_vat_row is True
    assert doc.ledger_rows[0].ledger_dimensions[0].dimension_value == "1000"
    assert sum(r.net_amount for r in doc.ledger_rows) == 0


def test_ledger_status_example() -> None:
    statuses = from_wire(_json.loads(LEDGER_STATUS), LedgerStatusList)
    (s,) = statuses.ledgers
    assert s.status is SyncStatus.SYNCED
    assert s.sync_date == date(2025, 10, 16)
    assert s.document_status == "Approved"


def test_accounting_payments_example() -> None:
    sub = from_wire(_json.loads(ACCOUNTING_PAYMENTS), AccountingPaymentsSubmission)
    (p,) = sub.payments
    assert p.target_identifier is TargetIdentifier.INVOICE_NUMBER
    assert p.amount == Decimal("110.0")
    assert p.booking_date is None
    assert p.source_name == "Matti Meikäläinen"


def test_payment_status_example() -> None:
    statuses = from_wire(_json.loads(PAYMENT_STATUS), AccountingPaymentStatusList)
    pending, failed = statuses.payments
    assert pending.status is SyncStatus.PENDING
    assert pending.status == 0
    assert pending.sync_date is None
    assert failed.status is SyncStatus.FAILED


def test_assumed_answers_decode() -> None:
    created = from_wire(_json.loads(INVOICE_CREATED), InvoiceCreated)
    assert created.received_at == datetime(2026, 1, 1, 10, tzinfo=UTC)
    queued = from_wire(_json.loads(ACTIONS_QUEUED), ActionsQueued)
    assert queued.actions[0].action_id == "act-1"
    accepted = from_wire(_json.loads(LEDGER_ACCEPTED), AccountingPaymentsAccepted)
    assert accepted.payments[0].status is SyncStatus.PENDING
    invoices = from_wire(_json.loads(ACCOUNTING_INVOICES), AccountingInvoiceStatusList)
    assert invoices.invoices[0].invoice_date == date(2025, 12, 1)


def test_unknown_enum_values_are_accepted_and_kept() -> None:
    data = _json.loads(LEDGER_STATUS)
    data["ledgers"][0]["status"] = 7
    s = from_wire(data, LedgerStatusList).ledgers[0]
    assert s.status == 7
    assert isinstance(s.status, SyncStatus)
    data = _json.loads(SETTLEMENTS)
    data["settlements"][0]["allocations"][0]["breakdown"][0]["type"] = "PENALTY"
    item = from_wire(data, SettlementsPage).settlements[0].allocations[0].breakdown[0]
    assert item.type == "PENALTY"


def test_datetime_forms_are_accepted() -> None:
    base = {"invoiceNumber": 1}
    for text in ("2026-01-01T10:00:00Z", "2026-01-01T10:00:00.000Z", "2026-01-01T12:00:00+02:00"):
        created = from_wire({**base, "receivedAt": text}, InvoiceCreated)
        assert created.received_at == datetime(2026, 1, 1, 10, tzinfo=UTC)
    naive = from_wire({**base, "receivedAt": "2026-01-01T10:00:00"}, InvoiceCreated)
    assert naive.received_at == datetime(2026, 1, 1, 10, tzinfo=UTC)


def test_date_field_accepts_a_datetime_string() -> None:
    data = _json.loads(LEDGER_STATUS)
    data["ledgers"][0]["syncDate"] = "2025-10-16T08:00:00Z"
    assert from_wire(data, LedgerStatusList).ledgers[0].sync_date == date(2025, 10, 16)


def test_missing_required_field_names_its_path() -> None:
    data = _json.loads(SETTLEMENTS)
    del data["settlements"][0]["allocations"][1]["allocatedTotalAmount"]
    with pytest.raises(ResponseDecodeError) as info:
        from_wire(data, SettlementsPage)
    assert info.value.path == "settlements[0].allocations[1].allocatedTotalAmount"
    assert "missing" in str(info.value)


def test_wrong_type_names_its_path_and_value() -> None:
    data = _json.loads(SETTLEMENTS)
    data["settlements"][0]["allocations"][0]["breakdown"][2]["amount"] = "lots"
    with pytest.raises(ResponseDecodeError) as info:
        from_wire(data, SettlementsPage)
    assert info.value.path == "settlements[0].allocations[0].breakdown[2].amount"
    assert "'lots'" in str(info.value)


@pytest.mark.parametrize(
    ("data", "path"),
    [
        ([], ""),
        ({"createdAt": "2026-04-01T09:34:12Z", "settlements": {}}, "settlements"),
        ({"createdAt": "yesterday", "settlements": []}, "createdAt"),
        ({"createdAt": "2026-04-01T09:34:12Z", "settlements": [5]}, "settlements[0]"),
    ],
)
def test_shape_errors_raise_decode_error(data: object, path: str) -> None:
    with pytest.raises(ResponseDecodeError) as info:
        from_wire(data, SettlementsPage)
    assert info.value.path == path


def test_bool_is_not_a_number() -> None:
    with pytest.raises(ResponseDecodeError) as info:
        from_wire({"capitalAmount": True, "interestAmount": 0, "costsAmount": 0}, _balance())
    assert info.value.path == "capitalAmount"


def _balance() -> type:
    from confirma_async.models import CaseBalance

    return CaseBalance


def test_flat_records_are_hashable_for_deduplication() -> None:
    page = from_wire(_json.loads(DISTRIBUTION_FULL), DistributionPage)
    record = page.distributions[0]
    assert (
        len({record, from_wire(_json.loads(DISTRIBUTION_FULL), DistributionPage).distributions[0]})
        == 1
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [("caseId", True), ("invoiceNumber", {"a": 1}), ("accountName", ["x"])],
)
def test_wrong_json_types_are_rejected_not_coerced(field: str, value: object) -> None:
    from confirma_async.models import Payment

    data = {
        "caseId": 1,
        "invoiceNumber": "202600145",
        "invoicePaymentReference": "RF1",
        "originalPaymentReference": "RF2",
        "accountName": "ACME Oy",
        "bookingDate": "2026-03-27T00:00:00Z",
        "paymentDate": "2026-03-27T00:00:00Z",
        field: value,
    }
    with pytest.raises(ResponseDecodeError) as info:
        from_wire(data, Payment)
    assert info.value.path == field
