"""A scripted CFIS for batch unit tests, on top of aioresponses.

Invoices are stored per number; each POST of a number follows the next step of its ``plan``
(``store`` when the plan is empty):

- ``store``: 201, or 409 if the number is stored already;
- ``500`` / ``503`` / ``400`` / ``429``: that answer, nothing stored;
- ``commit-reset`` / ``commit-500`` / ``commit-hang``: stored, then the connection is reset /
  a 500 / no answer ever;
- ``reset``: nothing stored, the connection is reset.

Lookups follow ``lookup_plan`` the same way (``answer``, ``unreadable`` — the record under names
the client does not know — or a status such as ``503``).
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import aiohttp
from aioresponses import CallbackResult, aioresponses
from yarl import URL

from confirma_async import (
    ActionData,
    Distribution,
    Invoice,
    InvoiceAction,
    InvoiceAmounts,
    InvoiceHeader,
    InvoiceRequest,
    Processing,
)

from .conftest import url

DAY = date(2026, 1, 15)


def invoice(number: int, day: date = DAY) -> InvoiceRequest:
    return InvoiceRequest(
        processing=Processing(payment_control_enabled=False),
        distribution=Distribution(method="EMAIL"),
        invoice=Invoice(
            header=InvoiceHeader(
                number=number, date=day, due_date=day + timedelta(days=14), currency_code="EUR"
            ),
            amounts=InvoiceAmounts(total_amount=Decimal("10.00")),
        ),
    )


def comment(number: int, text: str = "hello") -> InvoiceAction:
    return InvoiceAction(code="COMMENT", comment=text, data=ActionData(invoice_number=number))


def record(number: int, day: date = DAY) -> dict[str, Any]:
    return {
        "invoiceNumber": number,
        "invoiceDate": day.isoformat(),
        "caseId": None,
        "distributionMethod": "EMAIL",
        "distributionStatus": "QUEUED",
        "paymentControlStatus": "NONE",
        "createdAt": "2026-01-15T10:00:00.000Z",
        "updatedAt": "2026-01-15T10:00:00.000Z",
        "deliveredAt": None,
    }


Gate = Callable[[int], Awaitable[None]]


class FakeCfis:
    """Scripted invoice, lookup and action endpoints; counts every call."""

    def __init__(self, mocked: aioresponses) -> None:
        self.stored: Counter[int] = Counter()
        self.posts: Counter[int] = Counter()
        self.lookups: Counter[int] = Counter()
        self.actions: list[dict[str, Any]] = []
        self.plan: dict[int, list[str]] = defaultdict(list)
        self.lookup_plan: dict[int, list[str]] = defaultdict(list)
        self.action_plan: list[str] = []
        self.gate: Gate | None = None
        """Awaited (with the invoice number) before a POST is answered, to hold requests."""
        self.answered: list[int] = []
        mocked.post(url("/invoice"), callback=self._post, repeat=True)
        mocked.get(url("/invoice/distribution"), callback=self._lookup, repeat=True)
        mocked.post(url("/invoice/action"), callback=self._action, repeat=True)

    async def _post(self, _url: URL, **kwargs: Any) -> CallbackResult:
        number = json.loads(kwargs["data"])["invoice"]["header"]["number"]
        self.posts[number] += 1
        if self.gate is not None:
            await self.gate(number)
        step = self.plan[number].pop(0) if self.plan[number] else "store"
        self.answered.append(number)
        if step in ("store", "commit-reset", "commit-500", "commit-hang"):
            if self.stored[number]:
                return _error(409, "DUPLICATE_INVOICE", "duplicate invoice number")
            self.stored[number] += 1
            if step == "commit-reset":
                raise aiohttp.ServerDisconnectedError()
            if step == "commit-hang":
                await asyncio.Event().wait()
            if step == "commit-500":
                return CallbackResult(status=500, body="stored, then failed")
            body = {"invoiceNumber": number, "status": "RECEIVED"}
            return CallbackResult(status=201, payload=body)
        if step == "reset":
            raise aiohttp.ServerDisconnectedError()
        if step == "400":
            return _error(400, "VALIDATION_ERROR", "bad", field="invoice.header.currencyCode")
        if step == "429":
            return CallbackResult(status=429, payload={"message": "slow down"})
        return CallbackResult(status=int(step), body="boom")

    def _lookup(self, request_url: URL, **kwargs: Any) -> CallbackResult:
        query = {**request_url.query, **(kwargs.get("params") or {})}
        number = int(query["invoiceNumber"])
        self.lookups[number] += 1
        step = self.lookup_plan[number].pop(0) if self.lookup_plan[number] else "answer"
        if step not in ("answer", "unreadable"):
            return CallbackResult(status=int(step), body="lookup down")
        found = [record(number)] if self.stored[number] else []
        meta = {"totalCount": len(found)}
        if step == "unreadable":
            renamed = [{"invoiceNo": r["invoiceNumber"]} for r in found]
            return CallbackResult(status=200, payload={"metaData": meta, "records": renamed})
        return CallbackResult(status=200, payload={"metaData": meta, "distributions": found})

    def _action(self, _url: URL, **kwargs: Any) -> CallbackResult:
        body = json.loads(kwargs["data"])
        step = self.action_plan.pop(0) if self.action_plan else "queue"
        if step == "reset":
            raise aiohttp.ServerDisconnectedError()
        if step != "queue":
            return CallbackResult(status=int(step), body="nope")
        self.actions.extend(body["actions"])
        queued = [
            {"index": i, "code": a["code"], "status": "PENDING", "actionId": f"act-{i}"}
            for i, a in enumerate(body["actions"])
        ]
        return CallbackResult(status=202, payload={"actions": queued})


def _error(status: int, code: str, message: str, field: str | None = None) -> CallbackResult:
    body: dict[str, Any] = {"code": code, "message": message}
    if field:
        body["errors"] = [{"field": field, "message": "invalid"}]
    return CallbackResult(status=status, payload=body)


async def never(_: int) -> None:
    await asyncio.Event().wait()
