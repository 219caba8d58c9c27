"""Payments and settlements from the agency.

Every method takes ``extra_headers`` and ``extra_query`` (sent in addition to its own).
"""

from __future__ import annotations

import builtins
from collections.abc import Hashable
from datetime import date
from typing import Unpack

from .._core import wire as _wire
from .._core.checks import ExtraHeaders, ExtraQuery, check_extras, window
from ..errors import (
    APITimeoutError,
    ConfirmaError,
    RequestValidationError,
    ResponseTooLargeError,
    ServerError,
)
from ..models.payments import Payment, Settlement, SettlementsPage
from ..pagination.pager import AsyncPager, PagerOptions
from ..pagination.pages import WindowResult
from ._base import Resource


class Payments(Resource):
    """``client.payments``: ``GET /payments`` and ``GET /settlements``."""

    async def payments_window(
        self,
        from_date: date,
        to_date: date,
        *,
        extra_headers: ExtraHeaders = None,
        extra_query: ExtraQuery = None,
    ) -> builtins.list[Payment]:
        """Payments allocated in one inclusive window of payment dates (provisional figures)."""
        params = window(_wire.Q_FROM_DATE, _wire.Q_TO_DATE, from_date, to_date)
        data = await self._get(_wire.PATH_PAYMENTS, params, extra_headers, extra_query)
        return self._decode(data or [], builtins.list[Payment])

    async def settlements_window(
        self,
        from_date: date | None = None,
        to_date: date | None = None,
        *,
        unfetched_only: bool = False,
        extra_headers: ExtraHeaders = None,
        extra_query: ExtraQuery = None,
    ) -> SettlementsPage:
        """Settlements in one inclusive window of settlement dates (the authoritative figures).

        Dates may be left out only with ``unfetched_only=True`` (settlements this integration
        has not fetched before; the server marks what it returns as fetched — assumption A13).
        """
        params: dict[str, str] = {}
        if from_date is not None or to_date is not None:
            if from_date is None or to_date is None:
                raise RequestValidationError(
                    _wire.Q_FROM_DATE, from_date, "give both from_date and to_date, or neither"
                )
            params = window(_wire.Q_FROM_DATE, _wire.Q_TO_DATE, from_date, to_date)
        elif not unfetched_only:
            raise RequestValidationError(
                _wire.Q_FROM_DATE, None, "a date window is required unless unfetched_only=True"
            )
        if unfetched_only:
            params[_wire.Q_UNFETCHED_ONLY] = "true"
        data = await self._get(
            _wire.PATH_SETTLEMENTS, params, extra_headers, extra_query, changes_state=unfetched_only
        )
        if data is None:
            return SettlementsPage(created_at=None, settlements=[])
        return self._decode(data, SettlementsPage)

    def list(
        self,
        start: date,
        end: date,
        *,
        extra_headers: ExtraHeaders = None,
        extra_query: ExtraQuery = None,
        **pager: Unpack[PagerOptions],
    ) -> AsyncPager[Payment]:
        """Stream payments with payment dates in ``[start, end]`` (inclusive), window by window.

        ``GET /payments`` carries no count, so a cut window is recognised only by a 413 answer or,
        if you give the server's ``max_records_per_response``, by a response that long; either
        splits the window. Records are keyed by the A12 tuple (case id, invoice number, payment
        date, original payment reference, amount).
        """
        check_extras(extra_headers, extra_query)

        async def fetch(from_date: date, to_date: date) -> WindowResult[Payment]:
            items = await self.payments_window(
                from_date, to_date, extra_headers=extra_headers, extra_query=extra_query
            )
            return WindowResult(items=items)

        return self._pager(
            fetch,
            start,
            end,
            key=payment_key,
            source=_wire.PATH_PAYMENTS,
            options=pager,
        )

    def settlements(
        self,
        start: date,
        end: date,
        *,
        unfetched_only: bool = False,
        extra_headers: ExtraHeaders = None,
        extra_query: ExtraQuery = None,
        **pager: Unpack[PagerOptions],
    ) -> AsyncPager[Settlement]:
        """Stream settlements with settlement dates in ``[start, end]``, keyed by settlement id.

        With ``unfetched_only=True`` only settlements never returned before come back, and the
        server marks them fetched as it answers (A13): a window whose answer is lost (a timeout
        after the server replied, a crash before you stored it) is not returned again that way,
        so re-read those dates without ``unfetched_only``. Such a pager therefore never asks for a
        window again: a window that fails after it may have been answered (a timeout, a 5xx, an
        answer over ``max_response_bytes``) ends the iteration instead of being split, and
        ``max_records_per_response`` (which splits a long answer and asks again) is refused. Nor
        does it ask for a window before you reach it (A110): ``prefetch`` is 0 (another value is
        refused), so stopping early leaves every later window unfetched.
        """
        check_extras(extra_headers, extra_query)
        if unfetched_only:
            _check_unfetched_options(pager)
            pager = {**pager, "prefetch": 0}

        async def fetch(from_date: date, to_date: date) -> WindowResult[Settlement]:
            try:
                page = await self.settlements_window(
                    from_date,
                    to_date,
                    unfetched_only=unfetched_only,
                    extra_headers=extra_headers,
                    extra_query=extra_query,
                )
            except (APITimeoutError, ServerError, ResponseTooLargeError) as exc:
                if not unfetched_only:
                    raise  # the pager may split the window and ask again
                raise _maybe_marked_fetched(from_date, to_date, exc) from exc
            return WindowResult(items=page.settlements)

        return self._pager(
            fetch,
            start,
            end,
            key=_settlement_id,
            source=_wire.PATH_SETTLEMENTS,
            options=pager,
        )


def _check_unfetched_options(pager: PagerOptions) -> None:
    """Refuse the options that would mark settlements fetched that the caller never gets."""
    if pager.get("max_records_per_response") is not None:
        raise RequestValidationError(
            "max_records_per_response",
            pager["max_records_per_response"],
            "cannot be used with unfetched_only=True: a window asked again after a long "
            "answer would not return what that answer marked fetched",
        )
    if pager.get("prefetch", 0) != 0:
        raise RequestValidationError(
            "prefetch",
            pager["prefetch"],
            "must be 0 with unfetched_only=True: a window fetched ahead is marked fetched even "
            "if the loop stops before it, and would not come again (A110)",
        )


def _maybe_marked_fetched(start: date, end: date, error: ConfirmaError) -> ConfirmaError:
    """The error of an unfetched-only window that may have been answered: never asked again."""
    lost = ConfirmaError(
        f"settlements {start}..{end} (unfetched_only): {error}; the server may have marked them "
        "fetched, so they would not come again this way: re-read these dates without "
        "unfetched_only (A13)"
    )
    lost.outcome_unknown = True
    return lost


def payment_key(payment: Payment) -> Hashable:
    """A12 identity of a payment: (case id, invoice number, date, original reference, amount).

    ``None`` when the amount was not read (A12 is our guess): such a payment is never
    de-duplicated, since two payments alike in everything else may differ only in it.
    """
    if payment.amount is None:
        return None
    return (
        payment.case_id,
        payment.invoice_number,
        payment.payment_date.isoformat(),
        payment.original_payment_reference,
        None if payment.amount is None else str(payment.amount),
    )


def _settlement_id(settlement: Settlement) -> int:
    return settlement.settlement_id
