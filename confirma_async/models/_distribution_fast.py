"""A fast decoder for distribution pages, the hot path of streaming (millions of records).

The generic converter spends most of a record's cost in per-field dispatch and detailed-validation
bookkeeping. A distribution record is flat, so this module decodes the common, well-formed case
directly and builds exactly the objects ``from_wire(data, DistributionPage, aliases)`` would (same
types, same open-enum members, same ``extra``, the same runtime wire aliases). Every record field
is a guess (A11), so a missing one is ``None`` here as there. Anything unusual (a value of another
type, a lenient conversion such as a numeric string, a malformed date) falls back to the generic
converter for the whole page, which decodes it leniently or names the bad documented field.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import attrs
import orjson

from .._core.empty import EMPTY_EXTRA
from .._core.responses import decode_body
from ..errors import ConfirmaError, ResponseDecodeError
from ._aliases import WireAliases
from ._convert import from_wire
from ._distribution_struct import (
    _build,
    build_records,
    decode_struct_page,
    decode_struct_window,
    has_float,
)
from ._fields import wire_name
from ._scalars import DATE_PATTERN
from .distribution import (
    DistributionMeta,
    DistributionPage,
    DistributionRecord,
    DistributionStatus,
    PaymentControlStatus,
)
from .invoices import DistributionMethod

__all__ = ["decode_distribution_bytes", "decode_distribution_page", "decode_distribution_window"]

Builder = Callable[[list[Any]], list[DistributionRecord]]

_RECORD_KEYS = frozenset(
    wire_name(f) for f in attrs.fields(DistributionRecord) if f.name != "extra"
)
_META_KEY = wire_name(attrs.fields(DistributionPage).meta_data)
_RECORDS_KEY = wire_name(attrs.fields(DistributionPage).distributions)


class _Unusual(Exception):
    """Internal: this page needs the generic converter."""


def decode_distribution_page(data: Any, aliases: WireAliases | None = None) -> DistributionPage:
    """Decode a distribution listing answer exactly as ``from_wire(data, DistributionPage)``."""
    page = _fast_page(data, aliases, floats=False)
    return page if page is not None else from_wire(data, DistributionPage, aliases)


def decode_distribution_bytes(raw: bytes, aliases: WireAliases | None = None) -> DistributionPage:
    """Decode a distribution listing answer from its bytes, exactly as the general path would.

    Three tiers, each stepping aside for the next on anything it does not take: msgspec into
    typed structs (``_distribution_struct``: the usual page, about half the cost of the next);
    orjson into dicts and the hand-written decoder below; the exact parse and the general
    converter. orjson reads a fraction as a binary float, so its tier takes only integers and
    strings in the fields it knows and refuses a page with a float anywhere else (``extra``, the
    metadata): such a page, or bytes orjson refuses, are parsed again exactly (``Decimal``).
    """
    if not _aliased(aliases):  # msgspec knows the wire names the models declare, not aliases
        page = decode_struct_page(raw, aliases)
        if page is not None:
            return page
    return _decode_dicts(raw, aliases)


def decode_distribution_window(
    raw: bytes, aliases: WireAliases | None = None
) -> tuple[DistributionMeta, list[Any], Builder | None]:
    """For the pager: the page's metadata and records, the records not built yet if possible.

    With a builder, the records are msgspec structs that ``builder(structs)`` turns into the
    records :func:`decode_distribution_bytes` would give (built as the consumer reaches them);
    without one, they are the records.
    """
    if not _aliased(aliases):
        window = decode_struct_window(raw, aliases)
        if window is not None:
            return window[1], window[0], build_records
    page = _decode_dicts(raw, aliases)
    return page.meta_data, page.distributions, None


def _aliased(aliases: WireAliases | None) -> bool:
    return aliases is not None and bool(
        aliases.pairs(DistributionRecord) or aliases.pairs(DistributionPage)
    )


def _decode_dicts(raw: bytes, aliases: WireAliases | None) -> DistributionPage:
    """The tiers after msgspec's: orjson and the hand-written decoder, then the general path."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        pass
    else:
        page = _fast_page(data, aliases, floats=True)
        if page is not None:
            return page
    body = decode_body(raw)
    if isinstance(body, str):
        raise ResponseDecodeError("response is not JSON", path="$", body=body)
    return decode_distribution_page(body, aliases)


def _fast_page(data: Any, aliases: WireAliases | None, floats: bool) -> DistributionPage | None:
    """The page, or ``None`` if anything is unusual (a float anywhere, if ``floats``)."""
    if type(data) is not dict or _META_KEY not in data:
        return None
    records_key = _RECORDS_KEY
    if records_key not in data and aliases is not None:
        for alias, _ in aliases.pairs(DistributionPage):
            if alias in data:
                records_key = alias
                break
    rows = data.get(records_key, [])
    if type(rows) is not list:
        return None
    pairs = aliases.pairs(DistributionRecord) if aliases is not None else ()
    extra: dict[str, Any] = (
        {}
        if len(data) <= 1 + (records_key in data)
        else {k: v for k, v in data.items() if k != _META_KEY and k != records_key}
    )
    if floats and (has_float(data[_META_KEY]) or has_float(extra)):
        return None
    try:
        records = _records(rows, pairs, floats)
        meta = from_wire(data[_META_KEY], DistributionMeta, aliases)
    except (_Unusual, ConfirmaError, KeyError, TypeError, ValueError):
        return None  # the generic converter decides, with its precise error paths
    return DistributionPage(meta_data=meta, distributions=records, extra=extra)


def _renamed(row: dict[str, Any], pairs: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    """``row`` with every aliased key moved to its field's wire name (a copy when any moves)."""
    out = row
    for alias, name in pairs:
        if alias in out and name not in out:
            if out is row:
                out = dict(row)
            out[name] = out.pop(alias)
    return out


def _records(
    rows: list[Any], pairs: tuple[tuple[str, str], ...], floats: bool = False
) -> list[DistributionRecord]:
    dates: dict[str, date] = {}  # a window repeats a handful of invoice dates: share the objects
    methods = DistributionMethod._value2member_map_
    statuses = DistributionStatus._value2member_map_
    controls = PaymentControlStatus._value2member_map_
    parse, utc, known, build = datetime.fromisoformat, UTC, _RECORD_KEYS, _build
    n_known = len(known)
    is_date = DATE_PATTERN.fullmatch
    out: list[DistributionRecord] = []
    append = out.append
    if floats:
        # The rows were parsed here (and are parsed again if this page falls back): free each
        # as it is read, so the collector's young generation counts one new object a record,
        # not two.
        rows.reverse()
        take = rows.pop
        rows_iter: Any = (take() for _ in range(len(rows)))
    else:
        rows_iter = rows
    for row in rows_iter:
        if type(row) is not dict:
            raise _Unusual
        if pairs:
            row = _renamed(row, pairs)
        try:  # every key present (the usual case): subscripts are cheaper than get()
            number, case_id, raw_day = row["invoiceNumber"], row["caseId"], row["invoiceDate"]
            raw_method, raw_status = row["distributionMethod"], row["distributionStatus"]
            raw_control, raw_created = row["paymentControlStatus"], row["createdAt"]
            raw_updated, raw_delivered = row["updatedAt"], row["deliveredAt"]
            only_known = len(row) == n_known  # every known key is there, so no other one
        except KeyError:
            only_known = row.keys() <= known
            get = row.get
            number, case_id, raw_day = get("invoiceNumber"), get("caseId"), get("invoiceDate")
            raw_method, raw_status = get("distributionMethod"), get("distributionStatus")
            raw_control, raw_created = get("paymentControlStatus"), get("createdAt")
            raw_updated, raw_delivered = get("updatedAt"), get("deliveredAt")
        if (type(number) is not int and number is not None) or (
            case_id is not None and type(case_id) is not int
        ):
            raise _Unusual
        if type(raw_day) is str and len(raw_day) == 10:
            day = dates.get(raw_day)
            if day is None:
                if not is_date(raw_day):  # fromisoformat also takes 2026-W01-1
                    raise _Unusual
                day = dates[raw_day] = date.fromisoformat(raw_day)
        elif raw_day is None:
            day = None
        else:
            raise _Unusual
        # A miss (an unlisted value, not a string, or absent) takes the careful path.
        method = methods.get(raw_method) or (
            None if raw_method is None else _member(DistributionMethod, raw_method)
        )
        status = statuses.get(raw_status) or (
            None if raw_status is None else _member(DistributionStatus, raw_status)
        )
        control = controls.get(raw_control) or (
            None if raw_control is None else _member(PaymentControlStatus, raw_control)
        )
        # fromisoformat raises TypeError for a non-string: the generic converter then handles it.
        if raw_created is None:
            created = None
        else:
            created = parse(raw_created)
            if created.tzinfo is None:
                created = created.replace(tzinfo=utc)
        if raw_updated is None:
            updated = None
        else:
            updated = parse(raw_updated)
            if updated.tzinfo is None:
                updated = updated.replace(tzinfo=utc)
        if raw_delivered is None:
            delivered = None
        elif raw_delivered == raw_updated:
            delivered = updated  # equal immutable values: share the object
        else:
            delivered = parse(raw_delivered)
            if delivered.tzinfo is None:
                delivered = delivered.replace(tzinfo=utc)
        if only_known:
            extra = EMPTY_EXTRA
        else:
            extra = {k: v for k, v in row.items() if k not in known}
            if floats and has_float(extra):
                raise _Unusual
        append(
            build(number, day, case_id, method, status, control, created, updated, delivered, extra)
        )
    return out


def _member(cls: Any, value: Any) -> Any:
    if type(value) is not str:
        raise _Unusual
    return cls(value)
