"""The fast decoders of answers (orjson) give what the general path gives, or step aside.

``decode_created`` (the answer to ``POST /invoice``) returns the general path's
``InvoiceCreated`` or ``None``; ``decode_distribution_bytes`` (a listing page, from its bytes)
returns the page ``decode_distribution_page(loads(raw))`` returns, or raises the same error.
"""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from confirma_async import ResponseDecodeError, WireAliases
from confirma_async._core.json import dumps, loads
from confirma_async._core.responses import RawAnswer, decode_body
from confirma_async.models import InvoiceCreated, from_wire
from confirma_async.models._created_fast import decode_created
from confirma_async.models._distribution_fast import (
    decode_distribution_bytes,
    decode_distribution_page,
)
from confirma_async.resources._base import Resource
from confirma_async.testing._generator import Generator
from tests.property import strategies as s

from .fast_decoding import value_type

# -- the answer to POST /invoice ---------------------------------------------------------------


class _Quiet:
    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kw: None


class _Transport:
    logger = _Quiet()


def general_created(raw: bytes, aliases: WireAliases | None = None) -> InvoiceCreated:
    resource = Resource(_Transport(), aliases or WireAliases())  # type: ignore[arg-type]
    return resource._post_result(RawAnswer(201, raw), InvoiceCreated, "/invoice")


def same_created(raw: bytes, aliases: WireAliases | None = None) -> InvoiceCreated | None:
    fast = decode_created(raw, aliases)
    if fast is not None:
        slow = general_created(raw, aliases)
        assert fast == slow
        assert fast.raw_body == slow.raw_body == raw
        for name in ("invoice_number", "status", "received_at", "extra"):
            assert type(getattr(fast, name)) is type(getattr(slow, name)), name
    return fast


def test_the_usual_answer_is_decoded_fast() -> None:
    raw = b'{"invoiceNumber":1,"status":"RECEIVED","receivedAt":"2026-01-05T09:00:00.000Z"}'
    created = same_created(raw)
    assert created is not None
    assert created.invoice_number == 1


@pytest.mark.parametrize(
    "raw",
    [
        b'{"invoiceNumber":"1"}',  # a numeric string: read leniently by the general path
        b'{"invoiceNumber":1.0}',  # a fraction: orjson would read a float
        b'{"invoiceNumber":true}',
        b'{"receivedAt":"yesterday"}',
        b'{"receivedAt":5}',
        b'{"status":5}',
        b'{"other":1}',  # an unknown key: kept in extra, with a warning
        b"[]",
        b"",
        b"not json",
        b'{"invoiceNumber":123456789012345678901234567890}',
    ],
)
def test_an_unusual_answer_is_left_to_the_general_path(raw: bytes) -> None:
    assert decode_created(raw, None) is None


def test_aliases_for_the_answer_leave_it_to_the_general_path() -> None:
    aliases = WireAliases(["InvoiceCreated.status=state"])
    assert decode_created(b'{"status":"RECEIVED"}', aliases) is None


answer_values = (
    st.none()
    | st.integers()
    | s.text
    | st.booleans()
    | s.utc_datetimes.map(lambda d: d.isoformat().replace("+00:00", "Z"))
)


@settings(max_examples=300)
@given(
    st.dictionaries(
        st.sampled_from(["invoiceNumber", "status", "receivedAt", "other"]), answer_values
    )
)
def test_any_answer_decodes_fast_as_the_general_path_or_not_at_all(body: dict[str, Any]) -> None:
    same_created(dumps(body))


# -- distribution pages from bytes -------------------------------------------------------------


def page_bytes(n: int = 50) -> bytes:
    gen = Generator(seed=5, records=n, payments=0, days=1, end=date(2026, 1, 4), failure_rate=0.3)
    rows = b",".join(gen.distribution_record(0, i) for i in range(n))
    return b'{"metaData":{"totalCount":%d},"distributions":[%s]}' % (n, rows)


def outcome(decode: Any) -> Any:
    try:
        return decode()
    except ResponseDecodeError as exc:
        return ("error", exc.path, str(exc))


def same_page(raw: bytes, aliases: WireAliases | None = None) -> Any:
    fast = outcome(lambda: decode_distribution_bytes(raw, aliases))
    slow = outcome(lambda: before(raw, aliases))
    assert fast == slow
    if not isinstance(fast, tuple):
        for a, b in zip(fast.distributions, slow.distributions, strict=True):
            for name in a.__slots__:
                if name != "__weakref__":
                    assert value_type(getattr(a, name)) is value_type(getattr(b, name)), name
        assert fast == from_wire(loads(raw), type(fast), aliases)
    return fast


def before(raw: bytes, aliases: WireAliases | None) -> Any:
    """What the transport and the resource did with a page's bytes: exact parse, then decode."""
    body = decode_body(raw)
    if isinstance(body, str):
        raise ResponseDecodeError("response is not JSON", path="$", body=body)
    return decode_distribution_page(copy.deepcopy(body), aliases)


def test_a_generated_page_decodes_from_bytes_as_from_the_exact_parse() -> None:
    page = same_page(page_bytes())
    assert len(page.distributions) == 50


def edit(raw: bytes, old: bytes, new: bytes) -> bytes:
    assert old in raw
    return raw.replace(old, new, 1)


@pytest.mark.parametrize(
    "change",
    [
        lambda r: edit(r, b'"metaData":{', b'"metaData":{"ratio":0.5,'),
        lambda r: edit(r, b'"metaData":{', b'"metaData":{"big":123456789012345678901234567890,'),
        lambda r: edit(r, b'"distributions":[{', b'"distributions":[{"fee":12.30,'),
        lambda r: edit(r, b'"distributions":[{', b'"distributions":[{"fee":1e3,'),
        lambda r: edit(r, b'"distributions":[{', b'"distributions":[{"nested":[{"x":-0.0}],'),
        lambda r: edit(r, b'"distributions":[{', b'"distributions":[{"invoiceNumber":7.0,'),
        lambda r: edit(r, b'"distributions":[{', b'"distributions":[{"caseId":1.5,'),
        lambda r: edit(r, b'"distributions":[{', b'"distributions":[{"odd":NaN,'),
        lambda r: edit(r, b'"distributions":[{', b'"distributions":[{"s":"\\ud800",'),
        lambda r: r[:-1] + b',"total":99.99}',
        lambda r: r[:-1] + b',"note":"x"}',
        lambda r: r[:-10],  # cut short: not JSON
        lambda r: b"",
        lambda r: b"[]",
        lambda r: b'{"metaData":{"totalCount":0}}',
        lambda r: b'{"metaData":{"totalCount":0},"distributions":{}}',
    ],
)
def test_an_unusual_page_decodes_from_bytes_as_from_the_exact_parse(change: Any) -> None:
    same_page(change(page_bytes(5)))


def test_runtime_aliases_apply_on_the_bytes_path() -> None:
    aliases = WireAliases(["DistributionRecord.distribution_status=state"])
    raw = page_bytes(5).replace(b'"distributionStatus"', b'"state"')
    page = same_page(raw, aliases)
    assert all(r.distribution_status is not None for r in page.distributions)


@settings(max_examples=100)
@given(s.json_values | st.decimals(allow_nan=False, allow_infinity=False), st.integers(0, 4))
def test_any_value_anywhere_in_a_page_decodes_as_from_the_exact_parse(
    value: Any, where: int
) -> None:
    data = loads(page_bytes(3))
    target = [data, data["metaData"], *data["distributions"]][where]
    target["added"] = value
    same_page(dumps(data))
