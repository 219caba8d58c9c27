"""Listing responses that mix stored and generated records, built straight to JSON bytes.

Distribution (A11): stored invoices and generated ones are merged per invoice date in invoice-number
order; at most ``max_records_per_response`` are written, ``metaData.totalCount`` (and the
successful/failed counts) cover every matching record. Payments (A12) and settlements (A13) have no
count to signal a cut, so a window matching more than the maximum answers 413 instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from .._core import wire as _wire
from .._core.json import dumps
from ._fmt import stamp
from ._generator import GEN_INVOICE_BASE, PER_DAY
from ._http import ApiError
from ._invoice import StoredInvoice
from ._query import Window
from ._state import SandboxState


def _days(window: Window) -> Iterator[date]:
    day = window.start
    while day <= window.end:
        yield day
        day += timedelta(days=1)


def distribution_body(
    state: SandboxState,
    client_id: str,
    window: Window | None,
    number: int | None,
    fetch_type: str | None,
) -> bytes:
    """The A11 response for a window and/or one invoice number."""
    gen = state.generator if client_id == state.default_client_id else None
    room = state.config.max_records_per_response
    records: list[bytes] = []
    total = ok = failed = 0
    if number is not None:
        matches = _one_invoice(state, client_id, gen is not None, number, window)
        total = len(matches)
        ok = sum(status == "DELIVERED" for status, _ in matches)
        failed = sum(status == "FAILED" for status, _ in matches)
        records = [record for _, record in matches[:room]]
    else:
        assert window is not None
        for day in _days(window):
            stored = state.invoices_on(client_id, day)
            k = gen.day_index(day) if gen is not None and gen.records else None
            generated: tuple[bytes, ...] = ()
            if k is not None and gen is not None:
                day_ok, day_failed = gen.distribution_counts(k)
                ok, failed, total = ok + day_ok, failed + day_failed, total + day_ok + day_failed
                if room > len(records):
                    generated = gen.distribution_day(k)
            for invoice in stored:
                ok += invoice.status == "DELIVERED"
                failed += invoice.status == "FAILED"
            total += len(stored)
            if room > len(records):
                records.extend(_merge(stored, generated, k)[: room - len(records)])
    filters = {
        "invoiceNumber": number,
        "fromInvDate": window.start.isoformat() if window else None,
        "toInvDate": window.end.isoformat() if window else None,
        "fetchType": fetch_type,
        "defaultLast30Days": bool(window and window.defaulted),
    }
    meta: dict[str, Any] = {
        "totalCount": total,
        "successfulCount": ok,
        "failedCount": failed,
        "filtersApplied": filters,
    }
    key = _wire.DISTRIBUTION_RECORDS_KEY.encode()
    return b"".join((b'{"metaData":', dumps(meta), b',"', key, b'":[', b",".join(records), b"]}"))


def _merge(stored: list[StoredInvoice], generated: tuple[bytes, ...], k: int | None) -> list[bytes]:
    """Stored and generated records of one day, in invoice-number order."""
    if not stored:
        return list(generated)
    out: list[bytes] = []
    first = GEN_INVOICE_BASE + (k or 0) * PER_DAY
    taken = 0
    for invoice in stored:
        below = min(max(invoice.number - first, 0), len(generated))
        if below > taken:
            out.extend(generated[taken:below])
            taken = below
        out.append(dumps(invoice.distribution_json()))
    out.extend(generated[taken:])
    return out


def _one_invoice(
    state: SandboxState, client_id: str, with_generated: bool, number: int, window: Window | None
) -> list[tuple[str, bytes]]:
    """``(distribution status, record)`` of every stored and generated invoice ``number``."""
    found = [
        (i.status, dumps(i.distribution_json()))
        for i in state.invoices_of(client_id, number)
        if window is None or window.contains(i.invoice_date)
    ]
    gen = state.generator
    located = gen.locate_invoice(number) if with_generated else None
    if located is not None and (window is None or window.contains(gen.day(located[0]))):
        found.append((gen.distribution_status(number), gen.distribution_record(*located)))
    return found


def _too_large(what: str, count: int, limit: int) -> ApiError:
    return ApiError(
        413,
        _wire.CODE_WINDOW_TOO_LARGE,
        f"the window matches {count} {what}; at most {limit} fit in one response, "
        "ask for a shorter window",
    )


def payments_body(state: SandboxState, client_id: str, window: Window) -> bytes:
    """The A12 top-level array: stored payments, then generated ones, day by day."""
    gen = state.generator if client_id == state.default_client_id else None
    stored = state.ledger.payments_in(client_id, window)
    by_day: dict[date, list[bytes]] = {}
    for payment in stored:
        by_day.setdefault(payment.payment_date, []).append(dumps(payment.to_json()))
    limit = state.config.max_records_per_response
    count = len(stored)
    days = list(_days(window))
    indexes = [gen.day_index(d) if gen is not None and gen.payments else None for d in days]
    if gen is not None:
        count += sum(gen.per_day(gen.payments, gen.days, k) for k in indexes if k is not None)
    if count > limit:
        raise _too_large("payments", count, limit)
    parts: list[bytes] = []
    for day, k in zip(days, indexes, strict=True):
        parts.extend(by_day.get(day, ()))
        if k is not None and gen is not None:
            parts.extend(gen.payments_day(k))
    return b"[" + b",".join(parts) + b"]"


def settlements_document(
    state: SandboxState, client_id: str, window: Window, unfetched_only: bool
) -> dict[str, Any]:
    """The A13 ``{"createdAt", "settlements"}`` document (marks unfetched ones as fetched)."""
    now = state.clock.now()
    limit = state.config.max_records_per_response
    found = state.ledger.settlements_in(client_id, window, unfetched_only=unfetched_only)
    if len(found) > limit:
        raise _too_large("settlements", len(found), limit)
    if unfetched_only:
        for settlement in found:
            settlement.fetched_at = now
    return {"createdAt": stamp(now), "settlements": [s.to_json() for s in found]}
