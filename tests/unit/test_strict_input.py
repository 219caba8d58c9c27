"""What users send is read strictly; responses keep their documented leniency.

A user's wire-format dict (given to the bulk submitter, or to ``from_wire`` for a request model or
a part of one) takes only the documented JSON types, and every request string is checked for
control and bidirectional-override characters however the model was built. Amounts fit what two
decimals can write exactly, and ``to_wire`` raises nothing but ``RequestValidationError``.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import attrs
import pytest

from confirma_async._core import json as _json
from confirma_async.batch.jobs import as_model
from confirma_async.errors import RequestValidationError, ResponseDecodeError
from confirma_async.models import (
    AccountingPaymentsSubmission,
    ActionsRequest,
    CaseBalance,
    CaseSummary,
    DistributionPage,
    Invoice,
    InvoiceAction,
    InvoiceAmounts,
    InvoiceCreated,
    InvoiceHeader,
    InvoiceRequest,
    LedgerRow,
    LedgerStatus,
    LedgerSubmission,
    NewClientRequest,
    Payment,
    from_wire,
    to_wire,
)
from confirma_async.models._distribution_fast import decode_distribution_page
from confirma_async.models._fields import wire_name
from confirma_async.testing._samples import (
    sample_accounting_payment,
    sample_client,
    sample_invoice,
    sample_ledger,
)

Decode = Callable[[dict[str, Any], type[Any]], Any]
CASE: dict[str, Any] = {"caseId": 12345, "status": "OPEN", "createdAt": "2026-01-05T00:00:00Z"}
FULLWIDTH_123 = "\uff11\uff12\uff13"  # pass str.isdigit(), like Arabic-Indic "١٢٣"

BODIES: dict[type[Any], Callable[[], dict[str, Any]]] = {
    InvoiceRequest: lambda: sample_invoice(1001),
    ActionsRequest: lambda: {
        "actions": [{"code": "COMMENT", "comment": "ok", "data": {"invoiceNumber": 1, "caseId": 2}}]
    },
    LedgerSubmission: lambda: sample_ledger("l-1"),
    NewClientRequest: sample_client,
    AccountingPaymentsSubmission: lambda: {"payments": [sample_accounting_payment("p-1", "1001")]},
}
ENTRY_POINTS = pytest.mark.parametrize(
    "decode",
    [lambda body, cls: as_model(body, cls, "item"), lambda body, cls: from_wire(body, cls)],
    ids=["bulk-submitter", "from_wire"],
)


def steps(path: str) -> list[str | int]:
    """``a.b[2].c`` -> ``["a", "b", 2, "c"]``."""
    return [int(p) if p.isdigit() else p for p in re.findall(r"[^.\[\]]+", path)]


def body_with(cls: type[Any], path: str, value: Any) -> dict[str, Any]:
    """A valid wire body of ``cls`` with the value at the wire ``path`` replaced."""
    body = copy.deepcopy(BODIES[cls]())
    *parents, last = steps(path)
    node: Any = body
    for step in parents:
        node = node[step]
    node[last] = value
    return body


def evolve_at(model: Any, path: list[str | int], value: Any) -> Any:
    """``model`` rebuilt in Python (``attrs.evolve``) with the value at ``path`` replaced."""
    head, *rest = path
    if isinstance(head, int):
        items = list(model)
        items[head] = evolve_at(items[head], rest, value) if rest else value
        return items
    name = next(f.name for f in attrs.fields(type(model)) if wire_name(f) == head)
    new = evolve_at(getattr(model, name), rest, value) if rest else value
    return attrs.evolve(model, **{name: new})


def built(how: str, cls: type[Any], path: str, value: Any) -> Any:
    """The request with ``value`` at ``path``: decoded from a dict, or built in Python."""
    if how == "dict":
        return from_wire(body_with(cls, path, value), cls)
    return evolve_at(from_wire(BODIES[cls](), cls), steps(path), value)


def refused(field: str, value: Any, make: Callable[[], Any]) -> RequestValidationError:
    with pytest.raises(RequestValidationError) as info:
        make()
    assert info.value.field == field
    assert info.value.value == value or value != value  # NaN
    assert repr(value) in str(info.value)
    return info.value


# -- 1. integers -----------------------------------------------------------------------------------

NOT_JSON_INTEGERS = [
    "123",
    "١٢٣",
    FULLWIDTH_123,
    " 123",
    "+123",
    "1E+3",
    Decimal("1E+3"),
    Decimal(123),
]


@ENTRY_POINTS
@pytest.mark.parametrize("bad", [*NOT_JSON_INTEGERS, 123.0, True], ids=repr)
def test_an_invoice_number_is_only_a_json_integer(decode: Decode, bad: Any) -> None:
    body = body_with(InvoiceRequest, "invoice.header.number", bad)
    refused("invoice.header.number", bad, lambda: decode(body, InvoiceRequest))


@pytest.mark.parametrize("bad", NOT_JSON_INTEGERS, ids=repr)
@pytest.mark.parametrize("key", ["invoiceNumber", "caseId"])
def test_an_action_target_is_only_a_json_integer(key: str, bad: Any) -> None:
    item = {"code": "COMMENT", "data": {"invoiceNumber": 1, key: bad}}
    refused(f"data.{key}", bad, lambda: as_model(item, InvoiceAction, "action"))


@ENTRY_POINTS
def test_a_json_integer_is_an_invoice_number(decode: Decode) -> None:
    body = body_with(InvoiceRequest, "invoice.header.number", 123)
    assert decode(body, InvoiceRequest).invoice_number == 123


# -- 2. amounts ------------------------------------------------------------------------------------


@ENTRY_POINTS
@pytest.mark.parametrize("bad", [124.5, 0.1, 124.0, "124.50", "١٢٤", True], ids=repr)
def test_an_amount_is_only_a_json_number_never_a_float(decode: Decode, bad: Any) -> None:
    body = body_with(InvoiceRequest, "invoice.amounts.totalAmount", bad)
    refused("invoice.amounts.totalAmount", bad, lambda: decode(body, InvoiceRequest))


@pytest.mark.parametrize(
    ("cls", "path"),
    [
        (LedgerSubmission, "ledgers.ledgerRows[1].vatPercentage"),
        (AccountingPaymentsSubmission, "payments[0].amount"),
    ],
)
def test_a_float_amount_is_refused_in_every_request(cls: type[Any], path: str) -> None:
    refused(path, 25.5, lambda: from_wire(body_with(cls, path, 25.5), cls))


@ENTRY_POINTS
@pytest.mark.parametrize("good", [124, Decimal("124.50"), Decimal("1E+3")], ids=repr)
def test_an_amount_is_an_integer_or_a_decimal(decode: Decode, good: Any) -> None:
    body = body_with(InvoiceRequest, "invoice.amounts.totalAmount", good)
    amounts = decode(body, InvoiceRequest).invoice.amounts
    assert amounts.total_amount == good


# -- 3./4. dates and datetimes ---------------------------------------------------------------------


@ENTRY_POINTS
@pytest.mark.parametrize(
    "bad",
    [
        "20260105",  # the basic format, which Python 3.11 reads
        "2026-W02-1",  # a week date, also read by Python 3.11
        "2026-1-5",
        "٢٠٢٦-01-05",
        " 2026-01-05",
        "2026-01-05T01:00:00+02:00",  # a datetime is never cut to a date
        "2026-01-05T00:00:00Z",
        "2026-02-30",
        20260105,
    ],
    ids=repr,
)
def test_a_request_date_is_exactly_yyyy_mm_dd(decode: Decode, bad: Any) -> None:
    body = body_with(InvoiceRequest, "invoice.header.date", bad)
    refused("invoice.header.date", bad, lambda: decode(body, InvoiceRequest))


@pytest.mark.parametrize(
    "bad",
    [
        "2026-01-05T01:00:00",  # naive
        "20260105T010000Z",  # the basic format
        "2026-01-05 01:00:00Z",
        "2026-W02-1T00:00Z",
        "2026-01-05",
    ],
)
def test_a_strict_datetime_is_extended_iso_8601_with_an_offset(bad: str) -> None:
    case = {**CASE, "createdAt": bad}
    refused("createdAt", bad, lambda: from_wire(case, CaseSummary, strict=True))


@pytest.mark.parametrize("good", ["2026-01-05T01:00:00Z", "2026-01-05T01:00:00.123+02:00"])
def test_a_strict_datetime_with_an_offset_or_z_is_read(good: str) -> None:
    case = from_wire({**CASE, "createdAt": good}, CaseSummary, strict=True)
    assert case.created_at == datetime.fromisoformat(good)


# -- other JSON types ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "bad"),
    [
        ("invoice.buyer.name", 123),
        ("processing.paymentControlEnabled", 1),
        ("distribution.enabled", "true"),
        ("distribution.method", 1),
    ],
)
def test_a_request_field_takes_only_its_documented_json_type(path: str, bad: Any) -> None:
    refused(path, bad, lambda: from_wire(body_with(InvoiceRequest, path, bad), InvoiceRequest))


@pytest.mark.parametrize("bad", [True, False, 2, "1"], ids=repr)
def test_a_0_1_flag_in_a_request_is_0_or_1(bad: Any) -> None:
    path = "ledgers.ledgerRows[2].isVatRow"
    refused(path, bad, lambda: from_wire(body_with(LedgerSubmission, path, bad), LedgerSubmission))


def test_a_decoding_error_in_a_user_dict_is_a_request_validation_error() -> None:
    body = sample_invoice(1001)
    del body["invoice"]["header"]["number"]
    refused("invoice.header.number", None, lambda: as_model(body, InvoiceRequest, "invoice"))
    broken = body_with(InvoiceRequest, "invoice.header", [1])
    refused("invoice.header", [1], lambda: from_wire(broken, InvoiceRequest))


def test_every_part_of_a_request_is_read_strictly() -> None:
    header = sample_invoice(1001)["invoice"]["header"]
    refused("number", "1001", lambda: from_wire({**header, "number": "1001"}, InvoiceHeader))


@pytest.mark.parametrize("cls", list(BODIES), ids=lambda c: c.__name__)
def test_the_documented_samples_are_still_read(cls: type[Any]) -> None:
    assert from_wire(BODIES[cls](), cls) == as_model(BODIES[cls](), cls, "item")


# -- 5. control and bidirectional characters -------------------------------------------------------

NEVER = ["\x00", "\x1b", "\x1f", "\x7f", "\x85", "\x9f", "\u202a", "\u202e", "\u2066", "\u2069"]
LINE_BREAKS = ["\t", "\n", "\r"]
SINGLE_LINE = [
    (InvoiceRequest, "invoice.buyer.name"),
    (InvoiceRequest, "distribution.method"),  # an open-enum value is a string too
    (NewClientRequest, "client.name"),
    (NewClientRequest, "contacts[0].telephone"),
    (LedgerSubmission, "ledgers.ledgerRows[1].accountNumber"),
    (AccountingPaymentsSubmission, "payments[0].paymentReference"),
    (ActionsRequest, "actions[0].code"),
]
FREE_TEXT = [
    (InvoiceRequest, "invoice.header.description"),
    (InvoiceRequest, "invoice.header.additionalInformation"),
    (ActionsRequest, "actions[0].comment"),
    (LedgerSubmission, "ledgers.documentDescription"),
    (LedgerSubmission, "ledgers.ledgerRows[0].transactionDescription"),
]
HOW = pytest.mark.parametrize("how", ["dict", "python"])


def field_id(case: Any) -> str:
    return case[1] if isinstance(case, tuple) else repr(case)


@HOW
@pytest.mark.parametrize("char", NEVER + LINE_BREAKS, ids=repr)
@pytest.mark.parametrize("case", SINGLE_LINE, ids=field_id)
def test_a_single_line_string_refuses_control_and_bidi_characters(
    how: str, char: str, case: tuple[type[Any], str]
) -> None:
    cls, path = case
    value = f"EMAIL{char}x"
    refused(path, value, lambda: built(how, cls, path, value))


@HOW
@pytest.mark.parametrize("char", NEVER, ids=repr)
@pytest.mark.parametrize("case", FREE_TEXT, ids=field_id)
def test_free_text_refuses_control_characters_other_than_tab_cr_lf(
    how: str, char: str, case: tuple[type[Any], str]
) -> None:
    cls, path = case
    value = f"line one{char}line two"
    refused(path, value, lambda: built(how, cls, path, value))


@HOW
@pytest.mark.parametrize("breaks", ["\t", "\n", "\r\n"], ids=repr)
@pytest.mark.parametrize("case", FREE_TEXT, ids=field_id)
def test_free_text_allows_tab_cr_and_lf(how: str, breaks: str, case: tuple[type[Any], str]) -> None:
    cls, path = case
    value = f"line one{breaks}line two"
    model = built(how, cls, path, value)
    wire: Any = to_wire(model)
    for step in steps(path):
        wire = wire[step]
    assert wire == value


@pytest.mark.parametrize("char", [*NEVER, "\n", "\ud800"], ids=repr)
def test_the_message_shows_the_character_escaped_and_why(char: str) -> None:
    value = f"Matti{char}"
    error = refused("invoice.buyer.name", value, lambda: built("python", *SINGLE_LINE[0], value))
    assert char not in str(error)
    assert f"U+{ord(char):04X}" in error.reason
    assert repr(char) in error.reason


def test_extra_is_sent_as_given() -> None:
    body = body_with(InvoiceRequest, "invoice.rows", [{"text": "a\x00b"}])
    assert to_wire(from_wire(body, InvoiceRequest))["invoice"]["rows"] == [{"text": "a\x00b"}]


# -- 6. amount magnitude and writing ---------------------------------------------------------------

TOO_LARGE = [
    Decimal("1E+98"),
    Decimal("1E+99"),
    Decimal("-1E+99"),
    Decimal("9" * 99),
    Decimal("1E+999"),
]


@HOW
@pytest.mark.parametrize("bad", TOO_LARGE, ids=str)
def test_an_amount_has_at_most_98_digits_before_the_point(how: str, bad: Decimal) -> None:
    path = "invoice.amounts.totalAmount"
    error = refused(path, bad, lambda: built(how, InvoiceRequest, path, bad))
    assert "98 digits" in error.reason


@pytest.mark.parametrize("good", [Decimal("9" * 98 + ".99"), Decimal("-1E+97"), Decimal("0E+200")])
def test_the_largest_amounts_are_written_exactly(good: Decimal) -> None:
    request = built("python", InvoiceRequest, "invoice.amounts.totalAmount", good)
    back = from_wire(_json.loads(_json.dumps(to_wire(request))), InvoiceRequest)
    assert back.invoice.amounts is not None
    assert back.invoice.amounts.total_amount == good


def test_zero_written_with_many_decimals_is_a_valid_amount() -> None:
    request = built("python", InvoiceRequest, "invoice.amounts.totalAmount", Decimal("0.0000"))
    assert to_wire(request)["invoice"]["amounts"]["totalAmount"] == Decimal("0.00")


HEADER = InvoiceHeader(
    number=1, date=date(2026, 1, 5), due_date=date(2026, 1, 19), currency_code="EUR"
)
PAID = datetime(2026, 1, 5, tzinfo=UTC)
ROW: dict[str, Any] = {
    "booking_date": date(2026, 1, 5),
    "account_number": "1701",
    "vat_percentage": Decimal(0),
    "net_amount": Decimal(1),
}


@pytest.mark.parametrize(
    ("model", "field", "value"),
    [
        (InvoiceAmounts(total_amount=Decimal("1E+99")), "totalAmount", Decimal("1E+99")),
        (
            Invoice(header=HEADER, amounts=InvoiceAmounts(total_amount=Decimal("1E+99"))),
            "amounts.totalAmount",
            Decimal("1E+99"),
        ),
        (LedgerRow(**ROW, amount=12.5), "amount", 12.5),
        (Payment(invoice_number="1", payment_date=PAID, amount="12.50"), "amount", "12.50"),
        (
            CaseBalance(capital_amount=Decimal("Infinity"), interest_amount=Decimal(0)),
            "capitalAmount",
            Decimal("Infinity"),
        ),
        (
            CaseBalance(capital_amount=Decimal(1), interest_amount=Decimal("NaN")),
            "interestAmount",
            Decimal("NaN"),
        ),
    ],
    ids=["part", "nested part", "float", "string", "infinity", "nan"],
)
def test_to_wire_raises_only_request_validation_error_naming_the_field(
    model: Any, field: str, value: Any
) -> None:
    error = refused(field, value, lambda: to_wire(model))
    assert "cannot be written" in error.reason


# -- responses keep their documented leniency, with ASCII digits and YYYY-MM-DD --------------------


def test_a_response_takes_a_string_of_ascii_digits_for_an_integer() -> None:
    assert from_wire({**CASE, "caseId": "12345"}, CaseSummary).case_id == 12345


@pytest.mark.parametrize("bad", ["١٢٣", FULLWIDTH_123, "²", "12_3", " 123", "1e3", "--5"])
def test_a_response_integer_is_never_other_digits(bad: str) -> None:
    with pytest.raises(ResponseDecodeError) as info:
        from_wire({**CASE, "caseId": bad}, CaseSummary)
    assert info.value.path == "caseId"


def test_a_guessed_integer_in_other_digits_is_kept_in_extra() -> None:
    created = from_wire({"invoiceNumber": "١٢٣"}, InvoiceCreated)
    assert created.invoice_number is None
    assert created.extra == {"invoiceNumber": "١٢٣"}


@pytest.mark.parametrize("bad", ["١٢٣.٤٥", "1_000", " 1.5", "Infinity"])
def test_a_response_amount_string_is_ascii_digits(bad: str) -> None:
    with pytest.raises(ResponseDecodeError) as info:
        from_wire({"capitalAmount": bad, "interestAmount": 0}, CaseBalance)
    assert info.value.path == "capitalAmount"


def test_a_response_takes_an_integer_for_a_string_id() -> None:
    assert (
        from_wire({"invoiceNumber": 123, "paymentDate": PAID.isoformat()}, Payment).invoice_number
        == "123"
    )


def test_a_response_takes_a_datetime_for_a_date() -> None:
    status = {"sourceIdentifier": "s", "status": 1, "documentDate": "2026-01-05T01:00:00+02:00"}
    assert from_wire(status, LedgerStatus).document_date == date(2026, 1, 5)


@pytest.mark.parametrize("bad", ["20260105", "2026-W02-1", "2026-1-05", "٢٠٢٦-01-05"])
def test_a_response_date_is_exactly_yyyy_mm_dd(bad: str) -> None:
    with pytest.raises(ResponseDecodeError) as info:
        from_wire({"sourceIdentifier": "s", "status": 1, "documentDate": bad}, LedgerStatus)
    assert info.value.path == "documentDate"


@pytest.mark.parametrize("bad", ["2026-W02-1", "20260105", "٢٠٢٦-01-05"])
def test_the_fast_distribution_decoder_refuses_other_date_shapes_too(bad: str) -> None:
    record = {"invoiceNumber": 1, "invoiceDate": bad, "distributionStatus": "DELIVERED"}
    page = {"metaData": {"totalCount": 1}, "distributions": [record]}
    fast = decode_distribution_page(copy.deepcopy(page))
    assert fast == from_wire(page, DistributionPage)
    assert fast.distributions[0].invoice_date is None
    assert fast.distributions[0].extra == {"invoiceDate": bad}
