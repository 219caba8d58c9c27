"""Out-of-process inspection and control under ``/_sandbox`` (no auth: a local test tool).

``GET  /_sandbox/state``                  counts of everything stored, the clock, request counts
``GET  /_sandbox/invoices``               stored invoices (``?clientId=``), with acceptance counts
``GET  /_sandbox/accepted?invoiceNumber=N``  ``{"invoiceNumber", "accepted", "submitted"}``
``GET  /_sandbox/actions``                invoice actions with their status and reason
``GET  /_sandbox/cases``                  agency cases (id, invoice, status, stage, balance)
``GET  /_sandbox/requests``               requests received and responses sent per endpoint
``GET  /_sandbox/faults``                 installed fault rules and how often each kind fired
``POST /_sandbox/faults``                 ``{"spec": "POST /invoice:503:0.1"}`` adds a rule
``DELETE /_sandbox/faults``               removes every rule
``GET  /_sandbox/clock`` / ``POST``          read the clock / ``{"advanceSeconds": N}`` moves it
``POST /_sandbox/tokens``                 ``{"expiresInSeconds": N?}`` issues a client token
``POST /_sandbox/tokens/expire``          ``{"inSeconds": N}`` expires every current token then
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from aiohttp import web

from .._core.json import loads
from ._faults import Faults
from ._fmt import money, stamp
from ._http import ApiError, json_response
from ._state import SandboxState

ADMIN_PREFIX = "/_sandbox"


async def _body(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    try:
        data = loads(raw) if raw else {}
    except ValueError:
        raise ApiError(400, "BAD_REQUEST", "body is not valid JSON") from None
    if not isinstance(data, dict):
        raise ApiError(400, "BAD_REQUEST", "body must be a JSON object")
    return data


def _seconds(data: dict[str, Any], key: str) -> timedelta | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise ApiError(400, "BAD_REQUEST", f"{key} must be a number of seconds")
    try:
        return timedelta(seconds=float(value))
    except OverflowError:  # beyond timedelta's range (or float's: 1E+400 is infinite)
        raise _out_of_range(key) from None


def _later(now: datetime, delta: timedelta, key: str) -> datetime:
    """``now + delta``, or 400 when that lies beyond the year 9999."""
    try:
        return now + delta
    except OverflowError:
        raise _out_of_range(key) from None


def _out_of_range(key: str) -> ApiError:
    return ApiError(400, "BAD_REQUEST", f"{key} is out of range")


def admin_routes(state: SandboxState, faults: Faults) -> list[web.RouteDef]:
    """The admin routes bound to one sandbox's state and faults."""

    async def summary(request: web.Request) -> web.Response:
        return json_response(state.summary())

    async def invoices(request: web.Request) -> web.Response:
        client_id = request.query.get("clientId") or None
        rows = [
            {
                "invoiceNumber": i.number,
                "invoiceDate": i.invoice_date.isoformat(),
                "distributionStatus": i.status,
                "caseId": i.case.case_id if i.case else None,
                "receivedAt": stamp(i.received_at),
            }
            for i in state.invoices(client_id)
        ]
        return json_response({"invoices": rows})

    async def accepted(request: web.Request) -> web.Response:
        raw = request.query.get("invoiceNumber", "")
        try:  # isdigit() admits digits int() refuses ("²"), and int() refuses over 4300 digits
            number = int(raw) if raw.isdigit() else None
        except ValueError:
            number = None
        if number is None:
            raise ApiError(400, "BAD_REQUEST", "invoiceNumber is required")
        client_id = request.query.get("clientId") or None
        return json_response(
            {
                "invoiceNumber": number,
                "accepted": state.accepted_count(number, client_id),
                "submitted": state.submission_count(number, client_id),
            }
        )

    async def actions(request: web.Request) -> web.Response:
        rows = [
            {
                "actionId": a.action_id,
                "clientId": a.client_id,
                "code": a.code,
                "invoiceNumber": a.spec.invoice_number,
                "caseId": a.spec.case_id,
                "status": a.status,
                "reason": a.reason,
                "receivedAt": stamp(a.received_at),
                "appliedAt": stamp(a.applied_at) if a.applied_at else None,
            }
            for a in state.actions()
        ]
        return json_response({"actions": rows})

    async def cases(request: web.Request) -> web.Response:
        rows = [
            {
                "caseId": c.case_id,
                "clientId": c.client_id,
                "invoiceNumber": c.invoice_number,
                "status": c.status,
                "stage": c.stage,
                "balance": money(c.balance),
                "payments": len(c.payments),
            }
            for c in state.cases()
        ]
        return json_response({"cases": rows})

    async def requests(request: web.Request) -> web.Response:
        responses = {f"{endpoint} {status}": n for (endpoint, status), n in state.responses.items()}
        return json_response({"requests": dict(state.requests), "responses": responses})

    async def get_faults(request: web.Request) -> web.Response:
        rules = [dataclasses.asdict(rule) for rule in faults.rules]
        return json_response({"rules": rules, "fired": dict(faults.fired)})

    async def add_fault(request: web.Request) -> web.Response:
        spec = (await _body(request)).get("spec")
        if not isinstance(spec, str):
            raise ApiError(400, "BAD_REQUEST", "spec must be a fault spec string")
        try:
            rule = faults.add(spec)
        except ValueError as exc:
            raise ApiError(400, "BAD_REQUEST", str(exc)) from None
        return json_response({"rule": dataclasses.asdict(rule)}, 201)

    async def clear_faults(request: web.Request) -> web.Response:
        faults.clear()
        return web.Response(status=204)

    async def clock(request: web.Request) -> web.Response:
        if request.method == "POST":
            delta = _seconds(await _body(request), "advanceSeconds")
            if delta is not None:
                if delta < timedelta(0):
                    raise ApiError(400, "BAD_REQUEST", "advanceSeconds must not be negative")
                _later(state.clock.now(), delta, "advanceSeconds")
                state.clock.advance(delta)
        return json_response({"now": stamp(state.sync())})

    async def new_token(request: web.Request) -> web.Response:
        lifetime = _seconds(await _body(request), "expiresInSeconds")
        now = state.clock.now()
        expires = _later(now, lifetime, "expiresInSeconds") if lifetime is not None else None
        record = state.tokens.issue("client", state.default_client_id, now, expires)
        return json_response({"token": record.token}, 201)

    async def expire_tokens(request: web.Request) -> web.Response:
        delta = _seconds(await _body(request), "inSeconds") or timedelta(0)
        moment = _later(state.clock.now(), delta, "inSeconds")
        state.tokens.expire_all_at(moment)
        return json_response({"expiresAt": stamp(moment)})

    p = ADMIN_PREFIX
    return [
        web.get(p + "/state", summary, allow_head=False),
        web.get(p + "/invoices", invoices, allow_head=False),
        web.get(p + "/accepted", accepted, allow_head=False),
        web.get(p + "/actions", actions, allow_head=False),
        web.get(p + "/cases", cases, allow_head=False),
        web.get(p + "/requests", requests, allow_head=False),
        web.get(p + "/faults", get_faults, allow_head=False),
        web.post(p + "/faults", add_fault),
        web.delete(p + "/faults", clear_faults),
        web.get(p + "/clock", clock, allow_head=False),
        web.post(p + "/clock", clock),
        web.post(p + "/tokens", new_token),
        web.post(p + "/tokens/expire", expire_tokens),
    ]
