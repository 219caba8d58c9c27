"""State that evolves on the injectable clock: distribution, cases, actions, money, accounting."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from confirma_async.testing import (
    ManualClock,
    Sandbox,
    SandboxConfig,
    sample_accounting_payment,
    sample_invoice,
    sample_ledger,
)
from confirma_async.testing._accounting import SyncItem
from confirma_async.testing._schemas import check_invoice

from .conftest import Api

TODAY = "2026-01-05"  # ManualClock's default start date


@pytest.fixture
def confirma_sandbox_config() -> SandboxConfig:
    return SandboxConfig(distribution_failure_rate=0, debtor_payment_rate=0, sync_failure_rate=0)


async def _distribution(api: Api, number: int) -> dict[str, Any]:
    reply = await api.get("/invoice/distribution", invoiceNumber=str(number))
    assert reply.status == 200
    assert reply.body["metaData"]["totalCount"] == 1
    record: dict[str, Any] = reply.body["distributions"][0]
    return record


async def _case(api: Api, **query: str) -> dict[str, Any]:
    reply = await api.get("/invoice/case", **query)
    assert reply.status == 200, reply.body
    case: dict[str, Any] = reply.body["case"]
    return case


async def _actions(api: Api, *actions: dict[str, Any]) -> list[dict[str, Any]]:
    reply = await api.post("/invoice/action", {"actions": list(actions)})
    assert reply.status == 202, reply.body
    receipts: list[dict[str, Any]] = reply.body["actions"]
    return receipts


async def test_create_invoice_answers_201_received(api: Api) -> None:
    reply = await api.post("/invoice", sample_invoice(1))
    assert reply.status == 201
    assert reply.body == {
        "invoiceNumber": 1,
        "status": "RECEIVED",
        "receivedAt": "2026-01-05T09:00:00.000Z",
    }
    assert reply.headers["X-Request-Id"].startswith("sbx-")


async def test_distribution_moves_from_queued_to_delivered_on_the_clock(
    api: Api, confirma_sandbox: Sandbox
) -> None:
    await api.post("/invoice", sample_invoice(10))
    record = await _distribution(api, 10)
    assert record["distributionStatus"] == "QUEUED"
    assert record["deliveredAt"] is None
    assert record["paymentControlStatus"] == "ACTIVE"
    assert isinstance(record["caseId"], int)
    confirma_sandbox.advance(confirma_sandbox.config.distribution_delay - timedelta(seconds=1))
    assert (await _distribution(api, 10))["distributionStatus"] == "QUEUED"
    confirma_sandbox.advance(timedelta(seconds=1))
    record = await _distribution(api, 10)
    assert record["distributionStatus"] == "DELIVERED"
    assert record["deliveredAt"] == "2026-01-05T09:05:00.000Z"


async def test_email_distribution_without_an_address_fails(
    api: Api, confirma_sandbox: Sandbox
) -> None:
    await api.post("/invoice", sample_invoice(11, email=None))
    confirma_sandbox.advance(timedelta(hours=1))
    record = await _distribution(api, 11)
    assert record["distributionStatus"] == "FAILED"
    page = await api.get("/invoice/distribution", fromInvDate=TODAY, toInvDate=TODAY)
    assert page.body["metaData"]["failedCount"] == 1


def _store(sandbox: Sandbox, body: dict[str, Any]) -> None:
    sandbox.state.create_invoice(sandbox.client_id, check_invoice(body), body)


async def test_failures_follow_the_seeded_rate() -> None:
    config = SandboxConfig(distribution_failure_rate=0.3, debtor_payment_rate=0)
    outcomes = []
    for _ in range(2):
        sandbox = Sandbox(config, clock=ManualClock())
        for n in range(1, 201):
            _store(sandbox, sample_invoice(n))
        sandbox.advance(timedelta(hours=1))
        outcomes.append([i.status for i in sandbox.state.invoices()])
    assert outcomes[0] == outcomes[1]
    assert 30 < outcomes[0].count("FAILED") < 90


async def test_invoice_without_payment_control_has_no_case(api: Api) -> None:
    await api.post("/invoice", sample_invoice(12, payment_control=False))
    record = await _distribution(api, 12)
    assert (record["caseId"], record["paymentControlStatus"]) == (None, "NONE")
    assert (await api.get("/invoice/case", invoiceNumber="12")).status == 404


async def test_case_details_by_case_id_and_invoice_number(api: Api) -> None:
    await api.post("/invoice", sample_invoice(13, amount=Decimal("250.00")))
    case_id = (await _distribution(api, 13))["caseId"]
    by_id = await _case(api, caseId=str(case_id))
    by_number = await _case(api, invoiceNumber="13")
    assert by_id == by_number
    assert by_id["summary"]["status"] == "ACTIVE"
    assert by_id["summary"]["currency"] == "EUR"
    assert by_id["balance"] == {
        "capitalAmount": Decimal("250.00"),
        "interestAmount": Decimal("0.00"),
        "costsAmount": Decimal("0.00"),
        "totalAmount": Decimal("250.00"),
    }
    assert [e["type"] for e in by_id["events"]] == ["CASE_CREATED"]
    assert (await api.get("/invoice/case", caseId="999999")).status == 404


async def test_invoice_without_amount_gets_a_seeded_balance(api: Api) -> None:
    await api.post("/invoice", sample_invoice(14, amount=None))
    balance = (await _case(api, invoiceNumber="14"))["balance"]["capitalAmount"]
    assert Decimal("1.00") <= balance <= Decimal("2000.00")


async def test_actions_are_pending_then_applied(api: Api, confirma_sandbox: Sandbox) -> None:
    await api.post("/invoice", sample_invoice(20))
    receipts = await _actions(
        api, {"code": "COMMENT", "comment": "called the buyer", "data": {"invoiceNumber": 20}}
    )
    assert receipts == [
        {"index": 0, "code": "COMMENT", "status": "PENDING", "actionId": "act-00000001"}
    ]
    assert "COMMENT" not in [e["type"] for e in (await _case(api, invoiceNumber="20"))["events"]]
    confirma_sandbox.advance(confirma_sandbox.config.action_delay)
    events = (await _case(api, invoiceNumber="20"))["events"]
    assert events[-1]["type"] == "COMMENT"
    assert events[-1]["description"] == "called the buyer"
    assert [a.status for a in confirma_sandbox.state.actions()] == ["APPLIED"]


async def test_extend_due_date_moves_the_due_date(api: Api, confirma_sandbox: Sandbox) -> None:
    await api.post("/invoice", sample_invoice(21, due_in_days=14))
    await _actions(
        api, {"code": "EXTEND_DUE_DATE", "data": {"invoiceNumber": 21, "newDueDate": "2026-02-28"}}
    )
    confirma_sandbox.advance(timedelta(minutes=1))
    case = await _case(api, invoiceNumber="21")
    assert case["invoice"]["dueDate"] == "2026-02-28"
    assert case["events"][-1]["type"] == "DUE_DATE_EXTENDED"
    # The original due date passes without a reminder; the new one does not.
    confirma_sandbox.advance(timedelta(days=20))
    assert (await _case(api, invoiceNumber="21"))["summary"]["stage"] == "PAYMENT_CONTROL"
    confirma_sandbox.advance(timedelta(days=40))
    assert (await _case(api, invoiceNumber="21"))["summary"]["stage"] == "REMINDER"


async def test_unpaid_case_gets_a_reminder_fee_and_interest_after_its_due_date(
    api: Api, confirma_sandbox: Sandbox
) -> None:
    await api.post("/invoice", sample_invoice(22, amount=Decimal("100.00"), due_in_days=10))
    confirma_sandbox.advance(timedelta(days=11))
    case = await _case(api, invoiceNumber="22")
    assert case["summary"]["stage"] == "REMINDER"
    assert case["balance"]["costsAmount"] == Decimal("5.00")
    assert case["balance"]["interestAmount"] == Decimal("1.00")
    assert case["balance"]["totalAmount"] == Decimal("106.00")


@pytest.mark.parametrize(
    "setting",
    [
        {"reminder_fee": Decimal("1E+30")},
        {"reminder_fee": Decimal("NaN")},
        {"reminder_fee": Decimal("-5.00")},
        {"reminder_interest_rate": Decimal("1E+40")},
        {"reminder_interest_rate": Decimal("sNaN")},
    ],
    ids=["huge-fee", "nan-fee", "negative-fee", "huge-rate", "snan-rate"],
)
def test_reminder_costs_the_sandbox_cannot_compute_are_refused_by_the_config(
    setting: dict[str, Decimal],
) -> None:
    with pytest.raises(ValueError, match=next(iter(setting))):
        SandboxConfig(**setting)


@pytest.mark.parametrize(
    "setting",
    [
        {"max_records_per_response": 1.5},
        {"generated_days": True},
        {"seed": "7"},
        {"distribution_delay": timedelta(days=10**8)},
        {"settlement_delay": timedelta(seconds=-1)},
        {"token_lifetime": timedelta(days=-1)},
        {"expire_tokens_after": 60},
        {"shutdown_timeout": float("nan")},
    ],
    ids=["fractional-count", "bool-days", "string-seed", "huge-delay", "negative-delay",
         "negative-lifetime", "seconds-not-timedelta", "nan-timeout"],
)  # fmt: skip
def test_settings_the_sandbox_would_crash_on_are_refused_naming_them(
    setting: dict[str, object],
) -> None:
    name, value = next(iter(setting.items()))
    with pytest.raises(ValueError, match=name) as caught:
        SandboxConfig(**setting)  # type: ignore[arg-type]
    assert repr(value) in str(caught.value)


async def test_withdraw_closes_the_case(api: Api, confirma_sandbox: Sandbox) -> None:
    await api.post("/invoice", sample_invoice(23))
    case_id = (await _distribution(api, 23))["caseId"]
    await _actions(api, {"code": "WITHDRAW_CASE", "data": {"caseId": case_id}})
    confirma_sandbox.advance(timedelta(minutes=1))
    summary = (await _case(api, caseId=str(case_id)))["summary"]
    assert (summary["status"], summary["stage"], summary["closedAt"]) == (
        "CLOSED",
        "WITHDRAWN",
        TODAY,
    )
    assert (await _distribution(api, 23))["paymentControlStatus"] == "CLOSED"
    # A second withdrawal is accepted but rejected when it comes due.
    await _actions(api, {"code": "WITHDRAW_CASE", "data": {"caseId": case_id}})
    confirma_sandbox.advance(timedelta(minutes=1))
    assert [a.status for a in confirma_sandbox.state.actions()] == ["APPLIED", "REJECTED"]


async def test_direct_payment_lowers_the_balance_and_adds_payments_and_settlements(
    api: Api, confirma_sandbox: Sandbox
) -> None:
    await api.post("/invoice", sample_invoice(24, amount=Decimal("100.00"), due_in_days=1))
    confirma_sandbox.advance(timedelta(days=2))  # reminder: 5.00 costs + 1.00 interest
    await _actions(
        api,
        {
            "code": "DIRECT_PAYMENT",
            "data": {"invoiceNumber": 24, "amount": Decimal("40.00"), "paymentDate": "2026-01-07"},
        },
    )
    confirma_sandbox.advance(timedelta(minutes=1))
    case = await _case(api, invoiceNumber="24")
    assert case["balance"]["totalAmount"] == Decimal("66.00")
    assert case["balance"]["costsAmount"] == Decimal("0.00")
    assert case["payments"][0]["amount"] == Decimal("40.00")
    payments = await api.get("/payments", fromDate="2026-01-07", toDate="2026-01-07")
    assert payments.status == 200
    assert len(payments.body) == 1
    assert payments.body[0]["invoiceNumber"] == "24"
    assert payments.body[0]["amount"] == Decimal("40.00")
    assert payments.body[0]["paymentDate"] == "2026-01-07T00:00:00Z"
    assert (await api.get("/settlements")).body["settlements"] == []
    confirma_sandbox.advance(confirma_sandbox.config.settlement_delay)
    settlements = (await api.get("/settlements")).body["settlements"]
    assert len(settlements) == 1
    (allocation,) = settlements[0]["allocations"]
    assert settlements[0]["settlementAmount"] == allocation["allocatedTotalAmount"] == 40
    breakdown = {b["type"]: b["amount"] for b in allocation["breakdown"]}
    assert breakdown == {
        "CAPITAL": Decimal("34.00"),
        "INTEREST": Decimal("1.00"),
        "FEES": Decimal("5.00"),
    }


async def test_settlements_are_consistent_with_payments(
    api: Api, confirma_sandbox: Sandbox
) -> None:
    for n in range(30, 36):
        await api.post("/invoice", sample_invoice(n, amount=Decimal(f"{n}.55")))
    for n in range(30, 36):
        data = {"invoiceNumber": n, "amount": Decimal("10.10"), "paymentDate": TODAY}
        await _actions(api, {"code": "DIRECT_PAYMENT", "data": data})
    confirma_sandbox.advance(timedelta(days=30))
    settlements = (await api.get("/settlements")).body["settlements"]
    payments = (await api.get("/payments")).body
    allocations = [a for s in settlements for a in s["allocations"]]
    assert len(allocations) == len(payments) == 6
    for s in settlements:
        assert s["settlementAmount"] == sum(a["allocatedTotalAmount"] for a in s["allocations"])
    for a in allocations:
        assert a["allocatedTotalAmount"] == sum(b["amount"] for b in a["breakdown"])
    assert sum(a["allocatedTotalAmount"] for a in allocations) == sum(p["amount"] for p in payments)


async def test_debtors_pay_by_themselves_at_the_seeded_rate() -> None:
    config = SandboxConfig(debtor_payment_rate=1, distribution_failure_rate=0)
    sandbox = Sandbox(config, clock=ManualClock())
    _store(sandbox, sample_invoice(40, amount=Decimal("80.00")))
    sandbox.advance(timedelta(days=4))
    (case,) = sandbox.state.cases()
    assert (case.status, case.stage) == ("CLOSED", "PAID")
    assert [p.amount for p in sandbox.state.payments()] == [Decimal("80.00")]


async def test_unfetched_only_returns_each_settlement_once(
    api: Api, confirma_sandbox: Sandbox
) -> None:
    await api.post("/invoice", sample_invoice(50))
    data = {"invoiceNumber": 50, "amount": Decimal("5.00"), "paymentDate": TODAY}
    await _actions(api, {"code": "DIRECT_PAYMENT", "data": data})
    confirma_sandbox.advance(timedelta(days=2))
    first = (await api.get("/settlements", unfetchedOnly="true")).body["settlements"]
    assert len(first) == 1
    assert first[0]["apiFetchDate"] is not None
    assert (await api.get("/settlements", unfetchedOnly="true")).body["settlements"] == []
    again = (await api.get("/settlements")).body["settlements"]
    assert [s["settlementId"] for s in again] == [first[0]["settlementId"]]


async def test_actions_on_unknown_targets_are_404_and_queue_nothing(
    api: Api, confirma_sandbox: Sandbox
) -> None:
    await api.post("/invoice", sample_invoice(60))
    reply = await api.post(
        "/invoice/action",
        {
            "actions": [
                {"code": "COMMENT", "comment": "ok", "data": {"invoiceNumber": 60}},
                {"code": "COMMENT", "comment": "no", "data": {"invoiceNumber": 61}},
            ]
        },
    )
    assert reply.status == 404
    assert confirma_sandbox.state.actions() == []


async def test_action_with_mismatched_case_is_400(api: Api) -> None:
    await api.post("/invoice", sample_invoice(62))
    await api.post("/invoice", sample_invoice(63))
    case_63 = (await _distribution(api, 63))["caseId"]
    reply = await api.post(
        "/invoice/action",
        {
            "actions": [
                {
                    "code": "COMMENT",
                    "comment": "x",
                    "data": {"invoiceNumber": 62, "caseId": case_63},
                }
            ]
        },
    )
    assert reply.status == 400


async def test_accounting_sync_moves_from_pending_to_synced(
    api: Api, confirma_sandbox: Sandbox
) -> None:
    assert (await api.get("/accounting/ledger")).status == 204
    reply = await api.post("/accounting/ledger", sample_ledger("L-9", date(2026, 1, 2)))
    assert (reply.status, reply.body) == (
        202,
        {"sourceIdentifier": "L-9", "status": 0, "description": "Pending"},
    )
    assert (await api.post("/accounting/ledger", sample_ledger("L-9"))).status == 409
    pending = (await api.get("/accounting/ledger")).body["ledgers"][0]
    assert (pending["status"], pending["syncDate"]) == (0, None)
    confirma_sandbox.advance(confirma_sandbox.config.sync_delay)
    synced = (await api.get("/accounting/ledger", sourceIdentifier="L-9")).body["ledgers"][0]
    assert (synced["status"], synced["description"], synced["syncDate"]) == (
        1,
        "Successfully synced",
        TODAY,
    )


async def test_accounting_payments_and_invoice_status(api: Api, confirma_sandbox: Sandbox) -> None:
    items = [sample_accounting_payment(f"P-{i}", "500", date(2026, 1, 3)) for i in range(3)]
    reply = await api.post("/accounting/payment", {"payments": items})
    assert reply.status == 202
    assert [p["sourceIdentifier"] for p in reply.body["payments"]] == ["P-0", "P-1", "P-2"]
    assert (await api.post("/accounting/payment", {"payments": items[:1]})).status == 409
    await api.post("/invoice", sample_invoice(70, accounting=True))
    confirma_sandbox.advance(timedelta(hours=1))
    statuses = (await api.get("/accounting/payment")).body["payments"]
    assert {p["status"] for p in statuses} == {1}
    invoices = (await api.get("/accounting/invoice", invoiceNumber="70")).body["invoices"]
    assert invoices[0]["invoiceNumber"] == "70"
    assert invoices[0]["status"] == 1
    assert (await api.get("/accounting/invoice", invoiceNumber="71")).status == 204


async def test_sync_failures_are_deterministic() -> None:
    results = []
    for _ in range(2):
        sandbox = Sandbox(SandboxConfig(sync_failure_rate=0.5), clock=ManualClock())
        now = sandbox.clock.now()
        for i in range(40):
            item = SyncItem("ledger", sandbox.client_id, f"L{i}", now.date(), "", "", now)
            sandbox.state.accounting.submit(item)
        sandbox.advance(timedelta(hours=1))
        results.append([i.status for i in sandbox.state.accounting_items("ledger")])
    assert results[0] == results[1]
    assert set(results[0]) == {1, 2}


async def test_listing_without_dates_uses_the_last_30_days(api: Api) -> None:
    reply = await api.get("/invoice/distribution")
    filters = reply.body["metaData"]["filtersApplied"]
    assert filters["defaultLast30Days"] is True
    assert (filters["fromInvDate"], filters["toInvDate"]) == ("2025-12-06", TODAY)
