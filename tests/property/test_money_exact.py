"""Money stays exact on every fast path and on every fallback.

Every amount the API allows (a finite number with at most 2 decimals, however many trailing
zeros, at most ``MAX_AMOUNT_DIGITS`` digits before the point) goes in and out bit for bit: read
from a JSON line into a model (compiled path and general path), written to the request body with
exactly two decimals (also straight from the dict, as the batch writes it), and read back from a
response, where a fraction makes the orjson fast decoders step aside for the exact (``Decimal``)
parse.
"""

from __future__ import annotations

import copy
from decimal import Context, Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from confirma_async._core.json import dumps, loads
from confirma_async.batch.invoices import _from_dict
from confirma_async.errors import RequestValidationError
from confirma_async.models import InvoiceCreated, InvoiceRequest, _convert, from_wire
from confirma_async.models._created_fast import decode_created
from confirma_async.models._distribution_fast import decode_distribution_bytes
from confirma_async.models._scalars import MAX_AMOUNT_DIGITS
from confirma_async.models._validate import amount as amount_rule
from confirma_async.resources.invoices import encode_invoice
from confirma_async.testing import sample_invoice

CENTS = Decimal("0.01")


@st.composite
def decimals(draw: st.DrawFn) -> Decimal:
    """Any finite Decimal near the limits of the rule: digits, exponent and sign all vary."""
    digits = draw(st.lists(st.integers(0, 9), min_size=1, max_size=MAX_AMOUNT_DIGITS + 4))
    exponent = draw(st.integers(-6, 4))
    return Decimal((draw(st.integers(0, 1)), tuple(digits), exponent))


def allowed(value: Decimal) -> bool:
    try:
        amount_rule("amount", value)
    except RequestValidationError:
        return False
    return True


amounts = decimals().filter(allowed) | st.decimals(
    min_value=Decimal("-1e15"), max_value=Decimal("1e15"), places=2, allow_nan=False
)


def general(data: Any) -> InvoiceRequest:
    saved = _convert._FAST.get(InvoiceRequest)
    _convert._FAST[InvoiceRequest] = None
    try:
        return from_wire(data, InvoiceRequest)
    finally:
        _convert._FAST[InvoiceRequest] = saved


def as_written(value: Decimal) -> Decimal:
    """The amount a reader gets from the JSON number written for ``value`` (-0 is the integer 0)."""
    read = loads(dumps(value))
    return read if isinstance(read, Decimal) else Decimal(read)


def line_with(total: Decimal, vat: Decimal | None) -> bytes:
    body = sample_invoice(1001)
    body["invoice"]["amounts"] = {"totalAmount": total, "vatAmount": vat}
    return dumps(body)  # the digits exactly as given (a JSON line a user wrote)


def same_bits(a: Any, b: Any) -> bool:
    """The same JSON number: both ``int`` and equal, or both ``Decimal`` with the same digits."""
    if type(a) is not type(b):
        return False
    return bool(a.as_tuple() == b.as_tuple()) if type(a) is Decimal else bool(a == b)


@settings(max_examples=300)
@given(amounts, st.none() | amounts)
def test_an_allowed_amount_round_trips_bit_for_bit_through_a_request(
    total: Decimal, vat: Decimal | None
) -> None:
    data = loads(line_with(total, vat))  # as confirma submit reads a line
    # The number as its digits stand in the line (an integer such as 12 is read as an int).
    total, vat = as_written(total), None if vat is None else as_written(vat)
    fast = from_wire(copy.deepcopy(data), InvoiceRequest)
    slow = general(copy.deepcopy(data))
    for model in (fast, slow):
        amounts = model.invoice.amounts
        assert amounts is not None
        assert same_bits(amounts.total_amount, total)
        assert vat is None or same_bits(amounts.vat_amount, vat)
        sent = loads(encode_invoice(model))["invoice"]["amounts"]
        # Written with exactly two decimals: the same number, digit for digit.
        assert same_bits(sent["totalAmount"], total.quantize(CENTS, context=_ctx()))
        assert vat is None or same_bits(sent["vatAmount"], vat.quantize(CENTS, context=_ctx()))
    # The batch writes a dict's body with no model in between: the very same bytes.
    written = _from_dict(copy.deepcopy(data))
    assert written is not None
    assert written[0] == encode_invoice(fast)


def _ctx() -> Context:
    return Context(prec=MAX_AMOUNT_DIGITS + 2)


@settings(max_examples=200)
@given(decimals().filter(lambda d: not allowed(d)))
def test_an_amount_the_api_does_not_allow_is_refused_by_both_paths_alike(value: Decimal) -> None:
    data = loads(line_with(value, None))
    with pytest.raises(RequestValidationError) as fast:
        from_wire(copy.deepcopy(data), InvoiceRequest)
    with pytest.raises(RequestValidationError) as slow:
        general(copy.deepcopy(data))
    assert (fast.value.field, str(fast.value)) == (slow.value.field, str(slow.value))
    assert _from_dict(copy.deepcopy(data)) is None  # the batch's dict path never writes it


RECORD = (
    b'{"invoiceNumber":7,"invoiceDate":"2026-01-05","caseId":9,"distributionMethod":"EMAIL",'
    b'"distributionStatus":"DELIVERED","paymentControlStatus":"NOT_ENABLED",'
    b'"createdAt":"2026-01-05T09:00:00.000Z","updatedAt":"2026-01-05T09:00:00.000Z",'
    b'"deliveredAt":null%s}'
)


@settings(max_examples=200)
@given(amounts, st.sampled_from(["record", "meta", "page"]))
def test_an_amount_in_a_listing_answer_is_read_exactly_past_the_orjson_path(
    value: Decimal, where: str
) -> None:
    text = dumps(value)
    record = RECORD % (b',"amount":' + text if where == "record" else b"")
    meta = b'{"totalCount":1%s}' % (b',"sum":' + text if where == "meta" else b"")
    tail = b',"sum":' + text if where == "page" else b""
    page = decode_distribution_bytes(
        b'{"metaData":%s,"distributions":[%s]%s}' % (meta, record, tail)
    )
    if where == "record":
        kept = page.distributions[0].extra["amount"]
    elif where == "meta":
        kept = page.meta_data.extra["sum"]
    else:
        kept = page.extra["sum"]
    assert same_bits(kept, loads(text))  # what the exact reader reads from the same digits


@settings(max_examples=200)
@given(amounts)
def test_an_amount_in_the_answer_to_a_post_is_read_exactly_past_the_orjson_path(
    value: Decimal,
) -> None:
    raw = b'{"invoiceNumber":1,"status":"RECEIVED","fee":%s}' % dumps(value)
    assert decode_created(raw, None) is None  # not the fast path's case: the general one reads it
    created = from_wire(loads(raw), InvoiceCreated)
    assert same_bits(created.extra["fee"], loads(dumps(value)))
