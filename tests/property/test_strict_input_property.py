"""Hypothesis: strict input, ASCII digits and YYYY-MM-DD everywhere, text and amount limits.

Each property states its rule with an oracle written independently of the library (``unicodedata``
categories, a regular expression, exact ``Decimal`` comparison).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from confirma_async._core import json as _json
from confirma_async.errors import RequestValidationError, ResponseDecodeError
from confirma_async.models import (
    BuyerParty,
    CaseSummary,
    InvoiceAmounts,
    InvoiceRequest,
    LedgerStatus,
    Payment,
    from_wire,
    to_wire,
)
from confirma_async.testing._samples import sample_invoice

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
WHEN = datetime(2026, 1, 5, tzinfo=UTC).isoformat()
REQUEST = from_wire(sample_invoice(1001), InvoiceRequest)
interesting = st.sampled_from(
    ["a", "é", "\x00", "\t", "\n", "\r", "\x85", "\u202e", "\u2066", "\ud800"]
)
texts = st.text(interesting, max_size=6) | st.text(st.characters(exclude_categories=()), max_size=8)


def never_sent(char: str, *, free: bool) -> bool:
    """The oracle: a control character (bar tab/CR/LF in free text), bidi override, surrogate."""
    if free and char in "\t\r\n":
        return False
    return unicodedata.category(char) in ("Cc", "Cs") or char in BIDI


def with_buyer(name: str) -> InvoiceRequest:
    """The sample request rebuilt in Python (validated again) with the buyer's ``name``."""
    invoice = attrs.evolve(REQUEST.invoice, buyer=BuyerParty(name=name))
    return attrs.evolve(REQUEST, invoice=invoice)


@FAST
@given(texts)
def test_a_request_string_is_accepted_unless_it_holds_a_character_never_sent(name: str) -> None:
    if any(never_sent(c, free=False) for c in name):
        with pytest.raises(RequestValidationError) as info:
            with_buyer(name)
        assert info.value.field == "invoice.buyer.name"
    else:
        assert with_buyer(name).invoice.buyer is not None


@FAST
@given(texts)
def test_free_text_is_accepted_unless_it_holds_a_character_never_sent(text: str) -> None:
    body = sample_invoice(1001)
    body["invoice"]["header"]["description"] = text
    if any(never_sent(c, free=True) for c in text):
        with pytest.raises(RequestValidationError) as info:
            from_wire(body, InvoiceRequest)
        assert info.value.field == "invoice.header.description"
    else:
        assert from_wire(body, InvoiceRequest).invoice.header.description == text


@FAST
@given(texts)
def test_a_response_string_is_kept_as_sent_whatever_it_holds(text: str) -> None:
    payment = from_wire({"invoiceNumber": "1", "accountName": text, "paymentDate": WHEN}, Payment)
    assert payment.account_name == text
    assert to_wire(payment)["accountName"] == text


dates_and_near_misses = (
    st.dates().map(date.isoformat)
    | st.text(st.sampled_from("0123456789-W+:T "), max_size=10)
    | st.text(st.characters(codec=None), max_size=10)
)


@FAST
@given(dates_and_near_misses)
def test_a_response_date_is_read_exactly_when_it_is_yyyy_mm_dd(text: str) -> None:
    status = {"sourceIdentifier": "s", "status": 1, "documentDate": text}
    shaped = re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text) is not None
    try:
        expected: date | None = date.fromisoformat(text) if shaped else None
    except ValueError:
        expected = None
    if expected is None:
        with pytest.raises(ResponseDecodeError):
            from_wire(status, LedgerStatus)
    else:
        assert from_wire(status, LedgerStatus).document_date == expected


integer_strings = (
    st.integers(-(10**30), 10**30).map(str)
    | st.text(st.sampled_from("0123456789-+ _.e\u0661\u0662\uff11\u00b2"), min_size=1, max_size=6)
    | st.text(st.characters(codec=None), min_size=1, max_size=4)
)


@FAST
@given(integer_strings)
def test_a_response_integer_string_is_read_exactly_when_it_is_ascii_digits(text: str) -> None:
    case = {"caseId": text, "status": "OPEN", "createdAt": WHEN}
    if re.fullmatch(r"-?[0-9]+", text):
        assert from_wire(case, CaseSummary).case_id == int(text)
    else:
        with pytest.raises(ResponseDecodeError):
            from_wire(case, CaseSummary)


json_scalars: Any = (
    st.integers(-5, 10**20)
    | st.booleans()
    | st.none()
    | st.text(max_size=5)
    | st.floats()
    | st.decimals(allow_nan=False, allow_infinity=False)
)


@FAST
@given(json_scalars)
def test_a_user_invoice_number_is_read_exactly_when_it_is_a_positive_json_integer(
    value: Any,
) -> None:
    body = sample_invoice(1001)
    body["invoice"]["header"]["number"] = value
    if type(value) is int and value > 0:
        assert from_wire(body, InvoiceRequest).invoice_number == value
    else:
        with pytest.raises(RequestValidationError) as info:
            from_wire(body, InvoiceRequest)
        assert info.value.field == "invoice.header.number"


amounts = st.builds(
    lambda digits, exponent: Decimal(f"{digits}E{exponent}"),
    st.integers(-(10**6), 10**6),
    st.integers(-2, 120),
)


@FAST
@given(amounts)
def test_an_amount_is_accepted_exactly_when_two_decimals_can_write_it(value: Decimal) -> None:
    body = sample_invoice(1001)
    body["invoice"]["amounts"]["totalAmount"] = value
    if abs(value) < Decimal(10) ** 98:
        request = from_wire(body, InvoiceRequest)
        back = from_wire(_json.loads(_json.dumps(to_wire(request))), InvoiceRequest)
        assert back.invoice.amounts is not None
        assert back.invoice.amounts.total_amount == value
    else:
        with pytest.raises(RequestValidationError) as info:
            from_wire(body, InvoiceRequest)
        assert info.value.field == "invoice.amounts.totalAmount"


def written(part: Any) -> dict[str, Any] | RequestValidationError:
    """What ``to_wire`` gives, or the ``RequestValidationError`` it raises (others propagate)."""
    try:
        return to_wire(part)
    except RequestValidationError as error:
        return error


@FAST
@given(amounts | st.decimals() | st.floats() | st.integers() | st.text(max_size=4))
def test_to_wire_raises_nothing_but_request_validation_error(value: Any) -> None:
    result = written(InvoiceAmounts(total_amount=value))  # a part: not validated when built
    if isinstance(result, RequestValidationError):
        assert result.field == "totalAmount"
    else:
        assert isinstance(result["totalAmount"], Decimal)
        assert result["totalAmount"].as_tuple().exponent == -2
