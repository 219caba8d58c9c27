"""The ``extra`` that records decoded in bulk share: empty, read-only, and a plain ``{}`` elsewhere.

Both fast decoders (msgspec and orjson tiers) give every record without unknown keys one shared
empty mapping. A write into one record's ``extra`` must fail rather than reach every other record.
"""

from __future__ import annotations

import copy
import json
import pickle
from typing import Any

import orjson
import pytest

from confirma_async._core.empty import EMPTY_EXTRA
from confirma_async.models import to_wire
from confirma_async.models._distribution_fast import decode_distribution_page
from confirma_async.models._distribution_struct import decode_records

from .fast_decoding import RECORD

CHANGES = [
    lambda e: e.__setitem__("note", 1),
    lambda e: e.__delitem__("note"),
    lambda e: e.update(note=1),
    lambda e: e.setdefault("note", 1),
    lambda e: e.pop("note", None),
    lambda e: e.popitem(),
    lambda e: e.clear(),
    lambda e: e.__ior__({"note": 1}),
]


def rows(n: int = 3) -> list[dict[str, Any]]:
    """``n`` usual distribution records (documented keys only), as the server writes them."""
    return [{**RECORD, "invoiceNumber": RECORD["invoiceNumber"] + i} for i in range(n)]


def page(records: list[dict[str, Any]]) -> dict[str, Any]:
    return {"metaData": {"totalCount": len(records)}, "distributions": records}


def test_the_msgspec_tier_gives_records_the_shared_empty_extra() -> None:
    decoded = decode_records(json.dumps(page(rows())).encode())
    assert decoded is not None
    assert all(record.extra is EMPTY_EXTRA for record in decoded[0])


def test_the_orjson_tier_gives_records_the_shared_empty_extra() -> None:
    records = decode_distribution_page(page(rows())).distributions
    assert all(record.extra is EMPTY_EXTRA for record in records)


@pytest.mark.parametrize("change", CHANGES)
def test_every_change_to_the_shared_extra_is_refused_and_says_how_to_copy(change: Any) -> None:
    with pytest.raises(TypeError, match=r"read-only .* dict\(record.extra\)"):
        change(EMPTY_EXTRA)
    assert EMPTY_EXTRA == {}


def test_a_refused_change_leaves_every_other_record_untouched() -> None:
    first, second = decode_distribution_page(page(rows(2))).distributions
    with pytest.raises(TypeError):
        first.extra["note"] = "x"  # type: ignore[index]
    assert second.extra == {}


@pytest.mark.parametrize(
    "duplicate",
    [copy.copy, copy.deepcopy, lambda e: e.copy(), lambda e: pickle.loads(pickle.dumps(e)), dict],
)
def test_copies_are_plain_changeable_empty_dicts(duplicate: Any) -> None:
    copied = duplicate(EMPTY_EXTRA)
    assert type(copied) is dict
    assert copied == {}
    copied["note"] = 1
    assert EMPTY_EXTRA == {}


def test_a_record_with_the_shared_extra_pickles_and_writes_as_an_empty_object() -> None:
    record = decode_distribution_page(page(rows(1))).distributions[0]
    again = pickle.loads(pickle.dumps(record))
    assert again == record
    assert type(again.extra) is dict
    assert orjson.dumps(EMPTY_EXTRA) == b"{}"
    wire = to_wire(record)
    assert "extra" not in wire
    assert set(wire) == set(rows(1)[0])
