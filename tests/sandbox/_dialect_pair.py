"""Two sandboxes in the same state, one per dialect, spoken to over raw HTTP (no client code).

The dialect tests run each scenario against both and check that the alternate answer is the
reference answer respelt exactly as its rule says; the expected respellings are written out in the
tests, independently of the sandbox's own tables.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import timedelta
from decimal import Decimal
from typing import Any

import aiohttp
from multidict import CIMultiDictProxy

from confirma_async._core.json import dumps, loads
from confirma_async.testing import ManualClock, Sandbox, SandboxConfig, sample_invoice

TODAY = "2026-01-05"  # ManualClock's default start date
CONFIG = SandboxConfig(
    distribution_failure_rate=0,
    debtor_payment_rate=0,
    sync_failure_rate=0,
    generated_records=4,
    generated_payments=4,
    generated_days=2,
)
REQUEST_ID = re.compile(r"^sbx-\d{8}$")
PROBLEM_TYPE = "application/problem+json"


def renamed(record: Mapping[str, Any], names: Mapping[str, str], **added: Any) -> dict[str, Any]:
    """``record`` with keys renamed in place and ``added`` appended: what the rules promise."""
    return {names.get(key, key): value for key, value in record.items()} | added


def problem(reference: Answer) -> dict[str, Any]:
    """The RFC 7807 body the alternate dialect must send for a reference A3 error answer."""
    body = reference.body
    out: dict[str, Any] = {
        "type": "about:blank",
        "title": body["code"],
        "detail": body["message"],
        "status": reference.status,
    }
    fields: dict[str, list[str]] = {}
    for error in body["errors"]:
        fields.setdefault(error["field"], []).append(error["message"])
    return out | ({"errors": fields} if fields else {})


@dataclasses.dataclass
class Answer:
    status: int
    headers: CIMultiDictProxy[str]
    raw: bytes

    @property
    def body(self) -> Any:
        return loads(self.raw)

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")


class Side:
    """Raw HTTP against one sandbox (never the client library)."""

    def __init__(self, sandbox: Sandbox, session: aiohttp.ClientSession) -> None:
        self.sandbox = sandbox
        self.session = session

    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = None,
        partner: bool = False,
        params: Mapping[str, str] | None = None,
    ) -> Answer:
        sandbox = self.sandbox
        key = token or (sandbox.partner_token if partner else sandbox.client_token)
        headers = {"X-Api-Key": key, "Accept": "application/json"}
        data = None if body is None else dumps(body)
        if data is not None:
            headers["Content-Type"] = "application/json"
        url = sandbox.base_url + path
        async with self.session.request(
            method, url, data=data, headers=headers, params=params
        ) as resp:
            return Answer(resp.status, resp.headers, await resp.read())


class Pair:
    """A reference and an alternate sandbox in the same state."""

    def __init__(self, ref: Side, alt: Side) -> None:
        self.ref = ref
        self.alt = alt

    async def both(
        self, method: str, path: str, body: Any = None, *, partner: bool = False, **params: str
    ) -> tuple[Answer, Answer]:
        ref = await self.ref.call(method, path, body, partner=partner, params=params)
        alt = await self.alt.call(method, path, body, partner=partner, params=params)
        return ref, alt

    def advance(self, delta: timedelta) -> None:
        self.ref.sandbox.advance(delta)
        self.alt.sandbox.advance(delta)


@asynccontextmanager
async def open_pair(config: SandboxConfig = CONFIG) -> AsyncIterator[Pair]:
    alternate = dataclasses.replace(config, dialect="alternate")
    async with (
        Sandbox(config, clock=ManualClock()) as ref,
        Sandbox(alternate, clock=ManualClock()) as alt,
        aiohttp.ClientSession() as session,
    ):
        yield Pair(Side(ref, session), Side(alt, session))


async def paid_case(pair: Pair, number: int = 24) -> None:
    """An invoice past its due date (reminder fee and interest) with a direct payment of 40.00."""
    await pair.both(
        "POST", "/invoice", sample_invoice(number, amount=Decimal("100.00"), due_in_days=1)
    )
    pair.advance(timedelta(days=2))
    data = {"invoiceNumber": number, "amount": Decimal("40.00"), "paymentDate": "2026-01-07"}
    await pair.both(
        "POST", "/invoice/action", {"actions": [{"code": "DIRECT_PAYMENT", "data": data}]}
    )
    pair.advance(timedelta(minutes=1))
