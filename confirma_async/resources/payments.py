"""Payments and settlements from the agency."""

from __future__ import annotations

from datetime import date

from .. import _wire
from ..errors import RequestValidationError
from ..models._convert import from_wire
from ..models.payments import Payment, SettlementsPage
from ..transport import Transport
from ._params import window


class Payments:
    """``client.payments``: ``GET /payments`` and ``GET /settlements``."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    async def payments_window(self, from_date: date, to_date: date) -> list[Payment]:
        """Payments allocated in one inclusive window of payment dates (provisional figures)."""
        params = window(_wire.Q_FROM_DATE, _wire.Q_TO_DATE, from_date, to_date)
        data = await self._transport.request("GET", _wire.PATH_PAYMENTS, params=params)
        return from_wire(data or [], list[Payment])

    async def settlements_window(
        self,
        from_date: date | None = None,
        to_date: date | None = None,
        *,
        unfetched_only: bool = False,
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
        data = await self._transport.request("GET", _wire.PATH_SETTLEMENTS, params=params)
        if data is None:
            return SettlementsPage(created_at=None, settlements=[])
        return from_wire(data, SettlementsPage)
