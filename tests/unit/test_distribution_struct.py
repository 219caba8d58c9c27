"""The msgspec decoder of distribution pages gives exactly the general path's page, or steps aside.

The reference is the general path: the exact parse (``Decimal`` fractions) and
``from_wire(data, DistributionPage, aliases)``. ``decode_records`` (msgspec) either builds the same
records or returns ``None``; ``decode_distribution_bytes`` (what the client calls) always gives the
reference's page or raises the reference's error. "The same" is strict here: equal models, the same
type and ``repr`` of every field (so the same enum member and the same ``tzinfo``, which ``==`` on
datetimes would not tell apart).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from confirma_async import DistributionPage, DistributionRecord, ResponseDecodeError, WireAliases
from confirma_async._core.responses import decode_body
from confirma_async.models import from_wire
from confirma_async.models._distribution_fast import decode_distribution_bytes
from confirma_async.models._distribution_struct import decode_records
from confirma_async.testing._generator import Generator

from .fast_decoding import RECORD, value_type

META = b'{"totalCount":%d,"filtersApplied":{"fromInvDate":"2026-01-04","fetchType":"ALL"}}'


def page_of(*records: bytes) -> bytes:
    return b'{"metaData":%s,"distributions":[%s]}' % (META % len(records), b",".join(records))


def generated(n: int = 40) -> bytes:
    gen = Generator(seed=11, records=n, payments=0, days=1, end=date(2026, 1, 4), failure_rate=0.3)
    return page_of(*(gen.distribution_record(0, i) for i in range(n)))


def record(**changes: Any) -> bytes:
    """``RECORD`` with ``changes`` (a value ``...`` drops the key), as JSON bytes."""
    fields = {**RECORD, **changes}
    return json.dumps({k: v for k, v in fields.items() if v is not ...}).encode()


def general(raw: bytes, aliases: WireAliases | None = None) -> DistributionPage:
    """The reference: the exact parse and the general converter."""
    body = decode_body(raw)
    if isinstance(body, str):
        raise ResponseDecodeError("response is not JSON", path="$", body=body)
    page: DistributionPage = from_wire(body, DistributionPage, aliases)
    return page


def outcome(decode: Any) -> Any:
    try:
        return decode()
    except ResponseDecodeError as exc:
        return ("error", exc.path, str(exc))


def assert_same_records(
    fast: list[DistributionRecord] | None, slow: list[DistributionRecord] | None
) -> None:
    assert fast == slow
    if fast is None or slow is None:
        return
    for a, b in zip(fast, slow, strict=True):
        assert repr(a) == repr(b)
        for field in a.__slots__:
            if field != "__weakref__":
                x, y = getattr(a, field), getattr(b, field)
                assert value_type(x) is value_type(y), field
                assert repr(x) == repr(y), field
                assert getattr(x, "tzinfo", None) == getattr(y, "tzinfo", None), field


def same(raw: bytes, aliases: WireAliases | None = None) -> bool:
    """Check both decoders against the reference; whether the msgspec path took the page."""
    slow = outcome(lambda: general(raw, aliases))
    fast = outcome(lambda: decode_distribution_bytes(raw, aliases))
    if isinstance(slow, tuple):
        assert fast == slow
    else:
        assert fast == slow
        assert_same_records(fast.distributions, slow.distributions)
    decoded = decode_records(raw)
    if decoded is not None:
        if isinstance(slow, tuple):  # only the metaData, decoded after the records, may be bad
            assert slow[1].startswith("metaData"), slow
        else:
            assert_same_records(decoded[0], slow.distributions)
    return decoded is not None and not isinstance(slow, tuple)


def test_a_generated_page_takes_the_msgspec_path_and_decodes_as_the_general_path() -> None:
    assert same(generated())


def test_records_of_the_msgspec_path_share_one_empty_extra_and_are_the_public_class() -> None:
    decoded = decode_records(generated(3))
    assert decoded is not None
    records, meta = decoded
    assert {type(r) for r in records} == {DistributionRecord}
    assert records[0].extra == {}
    assert records[0].extra is records[1].extra
    assert json.loads(meta)["totalCount"] == 3


@pytest.mark.parametrize(
    "changes",
    [
        {"distributionStatus": "ON_HOLD", "distributionMethod": "FAX"},  # unlisted: pseudo-members
        {"paymentControlStatus": "\u00c9T\u00c9"},
        {"caseId": 5000000000001, "deliveredAt": None},
        {"caseId": ..., "deliveredAt": ..., "invoiceDate": ...},  # absent: None, as there
        {"invoiceNumber": 2**80},  # beyond 64 bits, still an int to both
        {"createdAt": "2026-01-04T08:00:00+02:00", "updatedAt": "2026-01-04T08:00:00-00:00"},
        {"createdAt": "2026-01-04T08:00:00+0230"},
        {"createdAt": "2026-01-04 08:00:00Z", "updatedAt": "2026-01-04t08:00:00Z"},
        {"createdAt": "2026-01-04T08:00:00.123456Z", "updatedAt": "2026-01-04T08:00:00.1Z"},
        {"createdAt": "0001-01-01T00:00:00+01:00", "updatedAt": "9999-12-31T23:59:59Z"},
    ],
)
def test_usual_variants_take_the_msgspec_path(changes: dict[str, Any]) -> None:
    assert same(page_of(record(), record(**changes)))


@pytest.mark.parametrize(
    "changes",
    [
        {"other": 1},  # an unknown key: the general path keeps it in extra
        {"invoiceNumber": "8000000000001"},  # a numeric string: read leniently there
        {"invoiceNumber": 1.0},
        {"caseId": 1.5},
        {"caseId": True},
        {"distributionStatus": 5},
        {"invoiceDate": "2026-01-04T10:00:00Z"},  # a timestamp for a date: read leniently there
        {"invoiceDate": "2026-W01-1"},
        {"invoiceDate": "2026-02-30"},
        {"createdAt": "2026-01-04T08:00:00"},  # naive: taken as UTC by the general path
        {"createdAt": "2026-01-04T08:00:00.1234567Z"},  # msgspec would round, Python truncates
        {"createdAt": "2026-01-04T23:59:59.9999999Z"},
        {"createdAt": "2026-01-04T08:00:00z"},  # msgspec reads a lowercase z, Python does not
        {"createdAt": "2026-01-04T23:59:60Z"},  # a leap second
        {"createdAt": "2026-01-04T24:00:00Z"},
        {"createdAt": "2026-01-04T08:00Z"},  # no seconds: Python reads it, RFC 3339 does not
        {"createdAt": "20260104T080000Z"},
        {"createdAt": "2026-01-04T08:00:00+01"},
        {"createdAt": "2026-01-04T08:00:00,5Z"},
        {"createdAt": 1767513600},
        {"updatedAt": "yesterday"},
    ],
)
def test_unusual_records_leave_the_msgspec_path_and_decode_as_the_general_path(
    changes: dict[str, Any],
) -> None:
    assert not same(page_of(record(), record(**changes)))


@pytest.mark.parametrize(
    "raw",
    [
        page_of(record()).replace(b'"caseId":null', b'"caseId":1,"caseId":2'),  # last one wins
        page_of(record()).replace(b'"caseId":null', b'"caseId":-0'),
        b'{"metaData":{"totalCount":0}}',  # no record list: none
        b' {"distributions":[],"metaData":{"totalCount":0}} ',
    ],
)
def test_odd_but_equal_json_takes_the_msgspec_path(raw: bytes) -> None:
    assert same(raw)


@pytest.mark.parametrize(
    "raw",
    [
        page_of(record()).replace(b'"invoiceNumber":', b'"invoiceNumber":1' + b"1" * 5000),
        page_of(record()).replace(b"[", b"[null,", 1),
        page_of(record()).replace(b'"metaData":{', b'"metaData":{"ratio":0.5,'),
        page_of(record()).replace(b'"metaData":{', b'"metaData":{"big":1' + b"0" * 30 + b","),
        page_of(record())[:-1] + b',"note":"x"}',  # an unknown page key: the page's extra
        page_of(record())[:-2],  # cut short
        b"\xef\xbb\xbf" + page_of(record()),
        b'{"metaData":null,"distributions":[]}',
        b'{"distributions":[]}',
        b'{"metaData":{"totalCount":0},"distributions":null}',
        b"[]",
        b"",
        b"not json",
        page_of(record()).replace(b'"EMAIL"', b'"\\ud800"'),
        page_of(record()).replace(b'"EMAIL"', b'"\\u0045MAIL"'),
    ],
)
def test_unusual_pages_decode_as_the_general_path(raw: bytes) -> None:
    same(raw)


def test_wire_aliases_for_records_leave_the_msgspec_path_and_apply() -> None:
    aliases = WireAliases(["DistributionRecord.distribution_status=state"])
    raw = generated(5).replace(b'"distributionStatus"', b'"state"')
    same(raw, aliases)
    page = decode_distribution_bytes(raw, aliases)
    assert all(r.distribution_status is not None for r in page.distributions)


def test_wire_aliases_for_the_record_list_apply() -> None:
    aliases = WireAliases(["DistributionPage.distributions=records"])
    raw = generated(5).replace(b'"distributions"', b'"records"')
    same(raw, aliases)
    assert len(decode_distribution_bytes(raw, aliases).distributions) == 5


def test_aliases_for_other_models_keep_the_msgspec_path() -> None:
    aliases = WireAliases(["DistributionMeta.total_count=total"])
    raw = generated(5).replace(b'"totalCount"', b'"total"')
    assert same(raw, aliases)


# -- generated records ---------------------------------------------------------------------------

digits = st.text("0123456789", min_size=1, max_size=9)
zones = st.sampled_from(["Z", "z", "+00:00", "-00:00", "+05:30", "-11:00", "+0100", "+01", ""])
stamps = st.builds(
    lambda day, sep, h, m, s, fraction, zone: (
        f"{day.isoformat()}{sep}{h:02d}:{m:02d}:{s:02d}{fraction}{zone}"
    ),
    st.dates(min_value=date(1, 1, 2), max_value=date(9999, 12, 30)),
    st.sampled_from(["T", "T", "t", " "]),
    st.integers(0, 24),
    st.integers(0, 59),
    st.integers(0, 60),
    st.none().map(lambda _: "") | digits.map(lambda d: "." + d),
    zones,
)
usual_stamps = st.builds(
    lambda day, sep, h, m, s, fraction, zone: (
        f"{day.isoformat()}{sep}{h:02d}:{m:02d}:{s:02d}{fraction}{zone}"
    ),
    st.dates(min_value=date(1, 1, 2), max_value=date(9999, 12, 30)),
    st.sampled_from(["T", "t", " "]),
    st.integers(0, 23),
    st.integers(0, 59),
    st.integers(0, 59),
    st.none().map(lambda _: "") | st.text("0123456789", min_size=1, max_size=6).map(".".__add__),
    st.sampled_from(["Z", "+00:00", "-00:00", "+05:30", "-11:00", "+0100"]),
)
ints = st.integers(-(2**70), 2**70) | st.integers(0, 2**53)
enum_values = st.sampled_from(["EMAIL", "DELIVERED", "FAILED", "NONE", "ACTIVE"]) | st.text(
    max_size=6
).filter(lambda t: "z" not in t)  # a z before a closing quote stops the msgspec path
odd = st.floats(allow_nan=False) | st.booleans() | st.text(max_size=4) | st.integers()


def fields(stamp: st.SearchStrategy[str], unusual: bool) -> st.SearchStrategy[dict[str, Any]]:
    def maybe(value: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        return (value | st.none() | st.just(...) | odd) if unusual else value | st.none()

    return st.fixed_dictionaries(
        {
            "invoiceNumber": maybe(ints),
            "invoiceDate": maybe(st.dates().map(date.isoformat)),
            "caseId": maybe(ints),
            "distributionMethod": maybe(enum_values),
            "distributionStatus": maybe(enum_values),
            "paymentControlStatus": maybe(enum_values),
            "createdAt": maybe(stamp),
            "updatedAt": maybe(stamp),
            "deliveredAt": maybe(stamp),
        }
    )


@settings(max_examples=300, deadline=None)
@given(st.lists(fields(usual_stamps, unusual=False), min_size=1, max_size=4))
def test_any_usual_page_takes_the_msgspec_path_and_decodes_as_the_general_path(
    rows: list[dict[str, Any]],
) -> None:
    assert same(page_of(*(record(**row) for row in rows)))


@settings(max_examples=500, deadline=None)
@given(st.lists(fields(stamps, unusual=True), min_size=1, max_size=3))
def test_any_page_decodes_as_the_general_path(rows: list[dict[str, Any]]) -> None:
    same(page_of(*(record(**row) for row in rows)))


@settings(max_examples=300, deadline=None)
@given(st.lists(fields(stamps, unusual=False), min_size=1, max_size=3))
def test_any_timestamp_decodes_as_the_general_path(rows: list[dict[str, Any]]) -> None:
    same(page_of(*(record(**row) for row in rows)))


alias_specs = st.sampled_from(
    [
        ("DistributionRecord.distribution_status=state", "distributionStatus", "state"),
        ("DistributionRecord.invoice_number=number,invoiceNo", "invoiceNumber", "invoiceNo"),
        ("DistributionPage.distributions=records", "distributions", "records"),
        ("DistributionMeta.total_count=total", "totalCount", "total"),
        ("DistributionFilters.fetch_type=kind", "fetchType", "kind"),
    ]
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(fields(usual_stamps, unusual=False), min_size=1, max_size=3), alias_specs, st.data()
)
def test_any_page_with_wire_aliases_decodes_as_the_general_path(
    rows: list[dict[str, Any]], alias: tuple[str, str, str], data: st.DataObject
) -> None:
    spec, name, renamed = alias  # the alias is in use (the key renamed) or not
    raw = page_of(*(record(**row) for row in rows))
    if data.draw(st.booleans(), label="rename"):
        raw = raw.replace(b'"%s"' % name.encode(), b'"%s"' % renamed.encode())
    same(raw, WireAliases([spec]))
