"""The fast distribution decoder builds exactly what the generic converter builds, or defers."""

from __future__ import annotations

import copy
import json
from datetime import date
from typing import Any

import pytest

from confirma_async import DistributionPage, ResponseDecodeError
from confirma_async._core.json import loads
from confirma_async.models._convert import from_wire
from confirma_async.models._distribution_fast import decode_distribution_page
from confirma_async.models._distribution_struct import _build, _init_build
from confirma_async.testing._generator import Generator

from .fast_decoding import value_type


def generated_page(n: int = 300) -> dict[str, Any]:
    gen = Generator(seed=3, records=n, payments=0, days=1, end=date(2026, 1, 4), failure_rate=0.2)
    rows = b",".join(gen.distribution_record(0, i) for i in range(n))
    page: dict[str, Any] = loads(b'{"metaData":{"totalCount":%d},"distributions":[%s]}' % (n, rows))
    return page


def same(data: Any) -> DistributionPage:
    fast = decode_distribution_page(copy.deepcopy(data))
    slow = from_wire(copy.deepcopy(data), DistributionPage)
    assert fast == slow
    for a, b in zip(fast.distributions, slow.distributions, strict=True):
        for name in a.__slots__:
            if name != "__weakref__":
                assert value_type(getattr(a, name)) is value_type(getattr(b, name)), name
                assert getattr(a, name) == getattr(b, name), name
    return fast


def test_generated_pages_decode_identically() -> None:
    page = same(generated_page())
    assert len(page.distributions) == 300
    statuses = {str(r.distribution_status) for r in page.distributions}
    assert statuses == {"DELIVERED", "FAILED"}
    assert _build is not _init_build  # the slot-filling builder is in use


def variant(change: Any) -> dict[str, Any]:
    page = generated_page(3)
    change(page["distributions"][1])
    return page


@pytest.mark.parametrize(
    "change",
    [
        lambda r: r.update(distributionStatus="ON_HOLD"),  # unlisted open-enum value
        lambda r: r.update(paymentControlStatus="SUSPENDED", distributionMethod="FAX"),
        lambda r: r.update(caseId=None, deliveredAt=None),
        lambda r: r.pop("caseId"),
        lambda r: r.pop("deliveredAt"),
        lambda r: r.update(createdAt="2026-01-04T08:00:00+02:00"),  # an offset
        lambda r: r.update(updatedAt="2026-01-04T08:00:00"),  # naive: taken as UTC
        lambda r: r.update(deliveredAt="2026-01-04T09:00:00Z"),
        lambda r: r.update(newField={"x": 1}),  # kept in extra
        lambda r: r.update(invoiceNumber="8000000000001"),  # lenient: digits as a string
        lambda r: r.update(invoiceDate="2026-01-04T00:00:00Z"),  # a datetime where a date is
    ],
)
def test_unusual_records_decode_identically(change: Any) -> None:
    same(variant(change))


def test_page_level_extras_and_empty_pages() -> None:
    same({"metaData": {"totalCount": 0}, "distributions": [], "note": "hi"})
    same({"metaData": {"totalCount": 0}})


@pytest.mark.parametrize(
    ("change", "field", "wire"),
    [
        (lambda r: r.update(caseId="x"), "case_id", "caseId"),
        (lambda r: r.update(invoiceDate="04.01.2026"), "invoice_date", "invoiceDate"),
        (lambda r: r.update(createdAt=12), "created_at", "createdAt"),
        (lambda r: r.update(updatedAt="yesterday"), "updated_at", "updatedAt"),
        (lambda r: r.update(distributionStatus=["X"]), "distribution_status", "distributionStatus"),
        (lambda r: r.update(distributionMethod=5), "distribution_method", "distributionMethod"),
        (lambda r: r.update(invoiceNumber=True), "invoice_number", "invoiceNumber"),  # not an int
        (lambda r: r.update(invoiceNumber={"a": 1}), "invoice_number", "invoiceNumber"),
    ],
)
def test_a_guessed_field_of_another_type_is_none_with_its_value_in_extra(
    change: Any, field: str, wire: str
) -> None:
    data = variant(change)
    bad = data["distributions"][1][wire]
    record = same(data).distributions[1]
    assert getattr(record, field) is None
    assert record.extra == {wire: bad}


def test_a_record_without_any_known_field_decodes_to_nones_and_extra() -> None:
    page = same({"metaData": {"totalCount": 1}, "distributions": [{"invoiceNo": 7}]})
    (record,) = page.distributions
    assert record.invoice_number is None
    assert record.extra == {"invoiceNo": 7}


@pytest.mark.parametrize(
    "change",
    [lambda r: r.pop("invoiceNumber"), lambda r: r.clear(), lambda r: r.pop("createdAt")],
)
def test_missing_guessed_record_fields_decode_to_none(change: Any) -> None:
    page = same(variant(change))
    assert len(page.distributions) == 3


@pytest.mark.parametrize("data", [None, [], {"distributions": []}, {"metaData": {}}])
def test_bad_pages_raise_the_generic_error(data: Any) -> None:
    with pytest.raises(ResponseDecodeError) as slow:
        from_wire(data, DistributionPage)
    with pytest.raises(ResponseDecodeError) as fast:
        decode_distribution_page(data)
    assert str(fast.value) == str(slow.value)


def test_records_stay_frozen_and_hashable() -> None:
    import attrs

    record = decode_distribution_page(generated_page(1)).distributions[0]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        record.invoice_number = 5  # type: ignore[misc]
    assert hash(record) == hash(
        from_wire(json.loads(json.dumps(generated_page(1))), DistributionPage).distributions[0]
    )
