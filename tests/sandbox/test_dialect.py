"""The alternate dialect's success answers: guessed keys respelt, documented facts kept."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import date, timedelta
from decimal import Decimal

import pytest

from confirma_async.testing import (
    sample_accounting_payment,
    sample_client,
    sample_invoice,
    sample_ledger,
)

from ._dialect_pair import CONFIG, TODAY, Pair, open_pair, paid_case, renamed


@pytest.fixture
async def pair() -> AsyncIterator[Pair]:
    async with open_pair() as opened:
        yield opened


# --- 1. distribution ------------------------------------------------------------------------

DISTRIBUTION_NAMES = {
    "invoiceNumber": "invoiceNo",
    "invoiceDate": "invoiceDay",
    "caseId": "agencyCaseId",
    "distributionMethod": "channel",
    "distributionStatus": "deliveryState",
    "paymentControlStatus": "paymentControlState",
    "createdAt": "created",
    "updatedAt": "lastModified",
    "deliveredAt": "deliveryTime",
}


async def test_distribution_records_move_to_records_with_renamed_fields(pair: Pair) -> None:
    await pair.both("POST", "/invoice", sample_invoice(1))
    await pair.both("POST", "/invoice", sample_invoice(2, payment_control=False))
    pair.advance(timedelta(minutes=10))
    ref, alt = await pair.both(
        "GET", "/invoice/distribution", fromInvDate="2026-01-03", toInvDate=TODAY
    )
    assert (ref.status, alt.status) == (200, 200)
    assert list(alt.body) == ["metaData", "records", "apiVersion"]
    assert alt.body["apiVersion"] == "alt-1"
    records = alt.body["records"]
    assert records == [
        renamed(r, DISTRIBUTION_NAMES, source="CFIS-ALT") for r in ref.body["distributions"]
    ]
    # Stored and generated records alike, every key renamed.
    assert [r["invoiceNo"] for r in records] == [
        8_000_000_000_000,
        8_000_000_000_001,
        8_000_001_000_000,
        8_000_001_000_001,
        1,
        2,
    ]
    assert list(records[-2]) == [
        "invoiceNo",
        "invoiceDay",
        "agencyCaseId",
        "channel",
        "deliveryState",
        "paymentControlState",
        "created",
        "lastModified",
        "deliveryTime",
        "source",
    ]


async def test_distribution_metadata_keeps_documented_counts_and_renames_the_default_flag(
    pair: Pair,
) -> None:
    ref, alt = await pair.both("GET", "/invoice/distribution")
    meta = ref.body["metaData"]
    filters = renamed(meta["filtersApplied"], {"defaultLast30Days": "defaultLast30DaysApplied"})
    assert alt.body["metaData"] == renamed(meta, {}, filtersApplied=filters, pageSize=10_000)
    assert list(alt.body["metaData"]) == [
        "totalCount",
        "successfulCount",
        "failedCount",
        "filtersApplied",
        "pageSize",
    ]
    assert alt.body["metaData"]["filtersApplied"]["defaultLast30DaysApplied"] is True
    assert "defaultLast30Days" not in alt.body["metaData"]["filtersApplied"]


async def test_distribution_page_size_is_the_server_maximum_and_truncation_is_unchanged() -> None:
    async with open_pair(dataclasses.replace(CONFIG, max_records_per_response=3)) as pair:
        ref, alt = await pair.both(
            "GET", "/invoice/distribution", fromInvDate="2026-01-03", toInvDate="2026-01-04"
        )
    assert alt.body["metaData"]["pageSize"] == 3
    assert alt.body["metaData"]["totalCount"] == ref.body["metaData"]["totalCount"] == 4
    assert len(alt.body["records"]) == len(ref.body["distributions"]) == 3


# --- 2. case details ------------------------------------------------------------------------


async def test_case_details_keep_the_summary_and_respell_balance_payments_and_events(
    pair: Pair,
) -> None:
    await paid_case(pair)
    ref, alt = await pair.both("GET", "/invoice/case", invoiceNumber="24")
    assert (ref.status, alt.status) == (200, 200)
    case, expected = alt.body["case"], ref.body["case"]
    assert list(alt.body) == ["case"]
    assert list(case) == ["summary", "balance", "paymentHistory", "timeline", "invoice"]
    summary = expected["summary"]
    assert case["summary"] == renamed(summary, {}, caseReference=f"C-{summary['caseId']}")
    assert case["balance"] == {
        "capitalAmount": expected["balance"]["capitalAmount"],
        "interestAmount": expected["balance"]["interestAmount"],
        "costsAmountOpen": expected["balance"]["costsAmount"],
        "openAmount": expected["balance"]["totalAmount"],
    }
    payment_names = {"paymentDate": "date", "amount": "sum", "reference": "ref"}
    assert case["paymentHistory"] == [renamed(p, payment_names) for p in expected["payments"]]
    assert [p["sum"] for p in case["paymentHistory"]] == [Decimal("40.00")]
    event_names = {"eventDate": "timestamp", "type": "eventType", "description": "text"}
    assert case["timeline"] == [renamed(e, event_names) for e in expected["events"]]
    assert len(case["timeline"]) >= 3
    assert case["invoice"] == expected["invoice"]
    assert b'"sum":40.00' in alt.raw
    assert b'"openAmount":66.00' in alt.raw


# --- 3. payments ----------------------------------------------------------------------------


async def test_payments_rename_amount_and_currency_and_add_an_allocation_state(
    pair: Pair,
) -> None:
    await paid_case(pair)
    ref, alt = await pair.both("GET", "/payments", fromDate="2026-01-03", toDate="2026-01-07")
    assert (ref.status, alt.status) == (200, 200)
    names = {"amount": "paidAmount", "currency": "currencyCode"}
    assert alt.body == [renamed(p, names, allocationState="PROVISIONAL") for p in ref.body]
    assert len(alt.body) == 5  # four generated, one stored
    assert list(alt.body[-1]) == [
        "caseId",
        "invoiceNumber",
        "invoicePaymentReference",
        "originalPaymentReference",
        "accountName",
        "bookingDate",
        "paymentDate",
        "paidAmount",
        "currencyCode",
        "allocationState",
    ]
    assert b'"paidAmount":40.00,"currencyCode":"EUR"' in alt.raw


# --- 4. settlements -------------------------------------------------------------------------


async def test_settlements_gain_count_and_type_and_a_fetch_date_becomes_a_plain_date(
    pair: Pair,
) -> None:
    await paid_case(pair)
    pair.advance(timedelta(days=1))
    ref, alt = await pair.both("GET", "/settlements")
    assert alt.body == renamed(
        ref.body,
        {},
        settlements=[renamed(s, {}, settlementType="REGULAR") for s in ref.body["settlements"]],
        count=1,
    )
    assert list(alt.body) == ["createdAt", "settlements", "count"]
    assert alt.body["settlements"][0]["apiFetchDate"] is None
    assert b'"settlementAmount":40.00' in alt.raw

    ref, alt = await pair.both("GET", "/settlements", unfetchedOnly="true")
    (fetched,) = ref.body["settlements"]
    assert fetched["apiFetchDate"] == "2026-01-08T09:01:00.000Z"
    assert alt.body["settlements"] == [
        renamed(fetched, {}, apiFetchDate="2026-01-08", settlementType="REGULAR")
    ]
    assert alt.body["count"] == 1
    ref, alt = await pair.both("GET", "/settlements", unfetchedOnly="true")
    assert alt.body == renamed(ref.body, {}, count=0) == {**ref.body, "count": 0}


# --- 5. and 6. accounting status ------------------------------------------------------------


async def test_ledger_and_payment_status_items_gain_a_target_system(pair: Pair) -> None:
    await pair.both("POST", "/accounting/ledger", sample_ledger("L-1", date(2026, 1, 5)))
    payments = [sample_accounting_payment(f"P-{i}", "500", date(2026, 1, 4)) for i in range(2)]
    await pair.both("POST", "/accounting/payment", {"payments": payments})
    pair.advance(timedelta(hours=1))
    for path, key in (("/accounting/ledger", "ledgers"), ("/accounting/payment", "payments")):
        ref, alt = await pair.both("GET", path)
        assert (ref.status, alt.status) == (200, 200)
        assert list(alt.body) == [key]
        assert alt.body[key] == [renamed(i, {}, targetSystem="NETVISOR") for i in ref.body[key]]
        assert alt.body[key]


async def test_empty_ledger_status_stays_204_but_empty_payment_status_is_an_empty_list(
    pair: Pair,
) -> None:
    ref, alt = await pair.both("GET", "/accounting/ledger")
    assert (ref.status, alt.status) == (204, 204)
    assert alt.raw == b""
    ref, alt = await pair.both("GET", "/accounting/payment")
    assert (ref.status, alt.status) == (204, 200)
    assert alt.content_type == "application/json"
    assert alt.raw == b'{"payments":[]}'


async def test_accounting_invoice_status_moves_to_items_with_renamed_fields(pair: Pair) -> None:
    await pair.both("POST", "/invoice", sample_invoice(70, accounting=True))
    pair.advance(timedelta(hours=1))
    ref, alt = await pair.both("GET", "/accounting/invoice", invoiceNumber="70")
    names = {
        "sourceIdentifier": "identifier",
        "invoiceNumber": "invoiceNo",
        "invoiceDate": "invoiceDay",
        "syncDate": "syncedOn",
        "status": "syncStatus",
        "description": "statusText",
    }
    assert (ref.status, alt.status) == (200, 200)
    assert alt.body == {"items": [renamed(i, names) for i in ref.body["invoices"]]}
    (item,) = alt.body["items"]
    assert sorted(item) == sorted(names.values())
    assert (item["invoiceNo"], item["syncStatus"], item["syncedOn"]) == ("70", 1, TODAY)


async def test_empty_accounting_invoice_status_is_an_empty_list_instead_of_204(
    pair: Pair,
) -> None:
    ref, alt = await pair.both("GET", "/accounting/invoice", invoiceNumber="71")
    assert (ref.status, alt.status) == (204, 200)
    assert alt.content_type == "application/json"
    assert alt.raw == b'{"items":[]}'


# --- 7. to 12. POST answers, renew, validate --------------------------------------------------


async def test_create_invoice_answers_201_with_an_empty_body(pair: Pair) -> None:
    ref, alt = await pair.both("POST", "/invoice", sample_invoice(1))
    assert (ref.status, alt.status) == (201, 201)
    assert alt.raw == b""
    assert alt.headers["Content-Length"] == "0"
    assert "Content-Type" not in alt.headers
    assert pair.alt.sandbox.state.accepted_count(1) == 1


async def test_invoice_actions_answer_202_with_plain_text_accepted(pair: Pair) -> None:
    await pair.both("POST", "/invoice", sample_invoice(20))
    action = {"code": "COMMENT", "comment": "called the buyer", "data": {"invoiceNumber": 20}}
    ref, alt = await pair.both("POST", "/invoice/action", {"actions": [action]})
    assert (ref.status, alt.status) == (202, 202)
    assert alt.raw == b"Accepted"
    assert alt.headers["Content-Type"] == "text/plain"
    assert [a.status for a in pair.alt.sandbox.state.actions()] == ["PENDING"]


async def test_ledger_submission_answers_its_identifier_and_a_queued_state(pair: Pair) -> None:
    ref, alt = await pair.both("POST", "/accounting/ledger", sample_ledger("L-9"))
    assert (ref.status, alt.status) == (202, 202)
    assert ref.body["sourceIdentifier"] == "L-9"
    assert alt.body == {"ledgerIdentifier": "L-9", "state": "QUEUED"}


async def test_payment_submission_answers_a_top_level_array_of_queued_receipts(
    pair: Pair,
) -> None:
    items = [sample_accounting_payment(f"P-{i}", "500") for i in range(3)]
    ref, alt = await pair.both("POST", "/accounting/payment", {"payments": items})
    assert (ref.status, alt.status) == (202, 202)
    assert [r["sourceIdentifier"] for r in ref.body["payments"]] == ["P-0", "P-1", "P-2"]
    assert alt.body == [
        {"paymentIdentifier": "P-0", "state": "QUEUED"},
        {"paymentIdentifier": "P-1", "state": "QUEUED"},
        {"paymentIdentifier": "P-2", "state": "QUEUED"},
    ]


async def test_create_client_answers_id_customer_number_prefix_api_key_and_valid_until() -> None:
    async with open_pair(dataclasses.replace(CONFIG, token_lifetime=timedelta(hours=1))) as pair:
        ref, alt = await pair.both("POST", "/client", sample_client(), partner=True)
        assert (ref.status, alt.status) == (201, 201)
        created = ref.body
        assert alt.body == {
            "id": created["clientId"],
            "customerNumber": created["customerCode"],
            "referencePrefix": created["paymentReferencePrefix"],
            "apiKey": created["accessToken"],
            "validUntil": created["expiresAt"],
        }
        assert alt.body["validUntil"] == "2026-01-05T10:00:00.000Z"
        check = await pair.alt.call("GET", "/validate", token=alt.body["apiKey"])
        assert (check.status, check.body["isValid"]) == (200, True)


async def test_renew_keeps_the_token_in_message_and_renames_expires_at() -> None:
    async with open_pair(dataclasses.replace(CONFIG, token_lifetime=timedelta(hours=1))) as pair:
        ref, alt = await pair.both("GET", "/renew")
        assert (ref.status, alt.status) == (200, 200)
        assert alt.body == {"Message": ref.body["Message"], "validUntil": ref.body["expiresAt"]}
        assert alt.body["validUntil"] == "2026-01-05T10:00:00.000Z"
        check = await pair.alt.call("GET", "/validate", token=alt.body["Message"])
        assert check.status == 200


async def test_validate_is_unchanged(pair: Pair) -> None:
    ref, alt = await pair.both("GET", "/validate")
    assert (ref.status, alt.status) == (200, 200)
    assert alt.raw == ref.raw == b'{"isValid":true,"message":"Token is valid"}'
    assert alt.content_type == "application/json"
