"""The sandbox rejects what the real API would, with A3 field errors (it never trusts clients)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from confirma_async._core.json import dumps
from confirma_async.testing import sample_accounting_payment, sample_invoice, sample_ledger

from .conftest import Api


def _with(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    node = body
    *parents, last = path.split(".")
    for key in parents:
        node = node[key]
    if value is _DELETE:
        del node[last]
    else:
        node[last] = value
    return body


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("invoice.header.number", "251601000", "must be an integer"),
        ("invoice.header.number", Decimal("251601000.5"), "must be an integer"),
        ("invoice.header.number", True, "must be an integer"),
        ("invoice.header.number", _DELETE, "is required"),
        ("invoice.header.date", "05.01.2026", "YYYY-MM-DD"),
        ("invoice.header.date", "2026-02-30", "YYYY-MM-DD"),
        ("invoice.header.dueDate", "2026-1-5", "YYYY-MM-DD"),
        ("invoice.header.currencyCode", "EURO", "not a valid code"),
        ("invoice.header.currencyCode", "eur", "not a valid code"),
        ("invoice.header.currencyCode", "XYZ", "not a valid code"),
        ("invoice.header.currencyCode", _DELETE, "is required"),
        ("invoice.amounts.totalAmount", Decimal("124.505"), "at most 2 decimals"),
        ("invoice.amounts.totalAmount", "124.50", "number"),
        ("invoice.amounts.vatAmount", Decimal("1.001"), "at most 2 decimals"),
        ("invoice.buyer.countryCode", "FIN", "not a valid code"),
        ("invoice.buyer.languageCode", "XX", "not a valid code"),
        ("invoice.buyer.email", "not-an-email", "e-mail"),
        ("invoice.buyer.postalCode", "ABC", "postal code"),
        ("processing.paymentControlEnabled", "yes", "boolean"),
        ("distribution.enabled", 1, "boolean"),
        ("distribution.method", 5, "string"),
    ],
)
async def test_invalid_invoice_fields_answer_400_with_the_wire_path(
    api: Api, path: str, value: Any, message: str
) -> None:
    reply = await api.post("/invoice", _with(sample_invoice(5001), path, value))
    assert reply.status == 400
    assert reply.body["code"] == "VALIDATION_ERROR"
    assert path in reply.fields
    assert message in reply.fields[path]
    assert api.sandbox.state.accepted_count(5001) == 0


async def test_every_field_error_is_reported_at_once(api: Api) -> None:
    body = sample_invoice(5002)
    body["invoice"]["header"]["currencyCode"] = "???"
    body["invoice"]["header"]["date"] = "tomorrow"
    body["invoice"]["amounts"]["totalAmount"] = Decimal("0.001")
    reply = await api.post("/invoice", body)
    assert set(reply.fields) == {
        "invoice.header.currencyCode",
        "invoice.header.date",
        "invoice.amounts.totalAmount",
    }


async def test_two_decimal_amounts_and_trailing_zeros_are_accepted(api: Api) -> None:
    body = sample_invoice(5003)
    body["invoice"]["amounts"]["totalAmount"] = Decimal("100.250")  # the value has 2 decimals
    assert (await api.post("/invoice", body)).status == 201


async def test_not_json_and_not_an_object_are_400(api: Api) -> None:
    assert (await api.call("POST", "/invoice", raw=b"{nope")).status == 400
    assert (await api.call("POST", "/invoice", raw=b"[1, 2]")).status == 400
    assert (await api.call("POST", "/invoice", raw=b"{}")).fields == {"invoice": "is required"}


async def test_nan_is_not_an_amount(api: Api) -> None:
    raw = (
        b'{"invoice":{"header":{"number":9,"date":"2026-01-05","dueDate":"2026-01-06",'
        b'"currencyCode":"EUR"},"amounts":{"totalAmount":NaN}}}'
    )
    reply = await api.call("POST", "/invoice", raw=raw)
    assert reply.status == 400
    assert "invoice.amounts.totalAmount" in reply.fields


async def test_duplicate_invoice_number_is_409(api: Api) -> None:
    assert (await api.post("/invoice", sample_invoice(42))).status == 201
    reply = await api.post("/invoice", sample_invoice(42))
    assert reply.status == 409
    assert reply.body["code"] == "DUPLICATE_INVOICE"
    assert api.sandbox.state.accepted_count(42) == 1
    assert api.sandbox.state.submission_count(42) == 2


async def test_unknown_paths_are_404_json(api: Api) -> None:
    for path in ("/nope", "/invoice/nope", "/payment"):
        reply = await api.get(path)
        assert reply.status == 404
        assert reply.body["code"] == "NOT_FOUND"
    async with api.session.get(api.sandbox.url + "/elsewhere") as resp:
        assert resp.status == 404
        assert resp.content_type == "application/json"


async def test_wrong_method_is_405_with_allow(api: Api) -> None:
    reply = await api.call("DELETE", "/invoice")
    assert reply.status == 405
    assert "POST" in reply.headers["Allow"]
    assert (await api.call("PUT", "/payments")).status == 405


@pytest.mark.parametrize(
    ("action", "field", "message"),
    [
        (
            {"code": "COMMENT", "comment": 5, "data": {"invoiceNumber": 1}},
            "actions[0].comment",
            "string",
        ),
        ({"code": "COMMENT", "comment": "x", "data": {}}, "actions[0].data", "invoiceNumber"),
        ({"code": "COMMENT", "comment": "x"}, "actions[0].data", "required"),
        (
            {"code": "COMMENT", "comment": "x", "data": {"invoiceNumber": "1"}},
            "actions[0].data.invoiceNumber",
            "integer",
        ),
        (
            {"code": "EXTEND_DUE_DATE", "data": {"invoiceNumber": 1}},
            "actions[0].data.newDueDate",
            "required",
        ),
        (
            {
                "code": "DIRECT_PAYMENT",
                "data": {
                    "invoiceNumber": 1,
                    "amount": Decimal("1.005"),
                    "paymentDate": "2026-01-05",
                },
            },
            "actions[0].data.amount",
            "2 decimals",
        ),
        (
            {"code": "DIRECT_PAYMENT", "data": {"invoiceNumber": 1, "amount": Decimal("5.00")}},
            "actions[0].data.paymentDate",
            "required",
        ),
    ],
)
async def test_invalid_actions_are_400(
    api: Api, action: dict[str, Any], field: str, message: str
) -> None:
    reply = await api.post("/invoice/action", {"actions": [action]})
    assert reply.status == 400
    assert message in reply.fields[field]


async def test_empty_action_list_is_400(api: Api) -> None:
    assert (await api.post("/invoice/action", {"actions": []})).status == 400


async def test_ledger_rules(api: Api) -> None:
    body = sample_ledger("L-1")
    body["ledgers"]["documentDescription"] = "x" * 211
    body["ledgers"]["ledgerRows"][0]["amount"] = Decimal("1.234")
    body["ledgers"]["ledgerRows"][1]["isVatRow"] = 2
    reply = await api.post("/accounting/ledger", body)
    assert reply.status == 400
    assert set(reply.fields) == {
        "ledgers.documentDescription",
        "ledgers.ledgerRows[0].amount",
        "ledgers.ledgerRows[1].isVatRow",
    }


async def test_accounting_payment_invoice_number_must_be_a_string(api: Api) -> None:
    item = sample_accounting_payment("P-1", "123")
    item["invoiceNumber"] = 123
    reply = await api.post("/accounting/payment", {"payments": [item]})
    assert reply.status == 400
    assert "payments[0].invoiceNumber" in reply.fields


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/invoice/distribution", {"fromInvDate": "2026-13-01"}, "fromInvDate"),
        ("/invoice/distribution", {"invoiceNumber": "abc"}, "invoiceNumber"),
        ("/payments", {"fromDate": "2026-01-10", "toDate": "2026-01-01"}, "fromDate"),
        ("/settlements", {"unfetchedOnly": "maybe"}, "unfetchedOnly"),
        ("/invoice/case", {}, "caseId"),
        ("/invoice/case", {"caseId": "\u00b2"}, "caseId"),  # a digit to isdigit(), not to int()
        ("/invoice/case", {"caseId": "9" * 5000}, "caseId"),  # beyond int()'s digit limit
    ],
)
async def test_bad_query_parameters_are_400(
    api: Api, path: str, params: dict[str, str], field: str
) -> None:
    reply = await api.get(path, **params)
    assert reply.status == 400
    assert field in reply.fields


_MARK = b"424242.42"  # stands for the amount under test in a body, replaced on the wire


def _invoice_total(number: int) -> dict[str, Any]:
    body = sample_invoice(number)
    body["invoice"]["amounts"]["totalAmount"] = Decimal(_MARK.decode())
    return body


def _invoice_vat(number: int) -> dict[str, Any]:
    body = sample_invoice(number)
    body["invoice"]["amounts"]["vatAmount"] = Decimal(_MARK.decode())
    return body


def _direct_payment(number: int) -> dict[str, Any]:
    data = {"invoiceNumber": number, "amount": Decimal(_MARK.decode()), "paymentDate": "2026-01-06"}
    return {"actions": [{"code": "DIRECT_PAYMENT", "data": data}]}


def _ledger_row(key: str) -> Any:
    def body(number: int) -> dict[str, Any]:
        doc = sample_ledger(f"L-{number}")
        doc["ledgers"]["ledgerRows"][1][key] = Decimal(_MARK.decode())
        return doc

    return body


def _accounting_payment(number: int) -> dict[str, Any]:
    item = sample_accounting_payment(f"P-{number}", str(number))
    item["amount"] = Decimal(_MARK.decode())
    return {"payments": [item]}


_AMOUNT_FIELDS = [
    pytest.param("/invoice", _invoice_total, "invoice.amounts.totalAmount", id="totalAmount"),
    pytest.param("/invoice", _invoice_vat, "invoice.amounts.vatAmount", id="vatAmount"),
    pytest.param("/invoice/action", _direct_payment, "actions[0].data.amount", id="action"),
    pytest.param(
        "/accounting/ledger", _ledger_row("amount"), "ledgers.ledgerRows[1].amount", id="ledger"
    ),
    pytest.param(
        "/accounting/ledger",
        _ledger_row("netAmount"),
        "ledgers.ledgerRows[1].netAmount",
        id="ledger-net",
    ),
    pytest.param("/accounting/payment", _accounting_payment, "payments[0].amount", id="payment"),
]


@pytest.mark.parametrize(("endpoint", "build", "field"), _AMOUNT_FIELDS)
@pytest.mark.parametrize(
    "wire",
    [
        pytest.param(b"1E+99", id="1E+99"),
        pytest.param(b"1234567890123456789012345678901234567890", id="40-digit-integer"),
        pytest.param(b"-12345678901234567890123456789012345678.90", id="40-digit-negative"),
        pytest.param(b"10000000000000", id="one-past-the-largest"),
    ],
)
async def test_an_amount_the_sandbox_cannot_represent_is_a_400_naming_its_field(
    api: Api, endpoint: str, build: Any, field: str, wire: bytes
) -> None:
    raw = dumps(build(6001))
    assert raw.count(_MARK) == 1
    reply = await api.call("POST", endpoint, raw=raw.replace(_MARK, wire))
    assert reply.status == 400
    assert reply.body["code"] == "VALIDATION_ERROR"
    assert reply.fields == {field: "must be between -9999999999999.99 and 9999999999999.99"}


async def test_the_largest_amount_goes_through_reminders_payments_and_settlements(
    api: Api,
) -> None:
    largest = Decimal("9999999999999.99")
    body = sample_invoice(6002, due_in_days=1)
    body["invoice"]["amounts"] = {"totalAmount": largest}
    assert (await api.post("/invoice", body)).status == 201
    api.sandbox.advance(timedelta(days=2))  # past the due date: a 5.00 fee and 1 % interest
    payment = _direct_payment(6002)
    payment["actions"][0]["data"]["amount"] = largest
    assert (await api.post("/invoice/action", payment)).status == 202
    api.sandbox.advance(timedelta(days=1, minutes=2))  # the payment applies, its settlement runs
    case = await api.get("/invoice/case", invoiceNumber="6002")
    assert case.status == 200
    assert case.body["case"]["balance"]["totalAmount"] == Decimal("100000000005.00")
    settlements = await api.get("/settlements")
    assert settlements.status == 200
    assert [s["settlementAmount"] for s in settlements.body["settlements"]] == [largest]


async def test_a_window_reaching_before_the_year_1_starts_on_its_first_day(api: Api) -> None:
    reply = await api.get("/payments", toDate="0001-01-10")  # from = to - 30 days
    assert (reply.status, reply.body) == (200, [])
