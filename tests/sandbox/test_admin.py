"""The out-of-process inspection and control routes under /_sandbox."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from confirma_async._core.json import dumps, loads
from confirma_async.testing import Sandbox, sample_invoice

from .conftest import Api


async def _admin(api: Api, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    data = dumps(body) if body is not None else None
    async with api.session.request(method, api.sandbox.admin_url + path, data=data) as resp:
        raw = await resp.read()
        return resp.status, loads(raw) if raw else None


async def test_state_and_accepted_counts(api: Api) -> None:
    await api.post("/invoice", sample_invoice(1))
    await api.post("/invoice", sample_invoice(1))
    status, state = await _admin(api, "GET", "/state")
    assert status == 200
    assert state["invoices"] == 1
    assert state["requests"]["POST /invoice"] == 2
    _, accepted = await _admin(api, "GET", "/accepted?invoiceNumber=1")
    assert accepted == {"invoiceNumber": 1, "accepted": 1, "submitted": 2}
    _, listing = await _admin(api, "GET", "/invoices")
    assert [i["invoiceNumber"] for i in listing["invoices"]] == [1]
    _, counts = await _admin(api, "GET", "/requests")
    assert counts["responses"] == {"POST /invoice 201": 1, "POST /invoice 409": 1}


async def test_faults_can_be_added_listed_and_cleared(api: Api) -> None:
    status, added = await _admin(api, "POST", "/faults", {"spec": "GET /payments:503:x1"})
    assert status == 201
    assert added["rule"]["kind"] == "error"
    assert (await api.get("/payments")).status == 503
    _, listed = await _admin(api, "GET", "/faults")
    assert listed == {"rules": [], "fired": {"error": 1}}
    await _admin(api, "POST", "/faults", {"spec": "*:503"})
    assert (await _admin(api, "DELETE", "/faults"))[0] == 204
    assert (await api.get("/payments")).status == 200
    assert (await _admin(api, "POST", "/faults", {"spec": "*:nonsense"}))[0] == 400


async def test_clock_and_tokens(api: Api, confirma_sandbox: Sandbox) -> None:
    _, now = await _admin(api, "GET", "/clock")
    assert now == {"now": "2026-01-05T09:00:00.000Z"}
    _, moved = await _admin(api, "POST", "/clock", {"advanceSeconds": 3600})
    assert moved == {"now": "2026-01-05T10:00:00.000Z"}
    status, issued = await _admin(api, "POST", "/tokens", {"expiresInSeconds": 60})
    assert status == 201
    token = issued["token"]
    assert (await api.call("GET", "/payments", token=token)).status == 200
    await _admin(api, "POST", "/clock", {"advanceSeconds": 60})
    assert (await api.call("GET", "/payments", token=token)).status == 401
    await _admin(api, "POST", "/tokens/expire", {"inSeconds": 0})
    assert (await api.get("/payments")).status == 401


async def test_actions_and_cases(api: Api, confirma_sandbox: Sandbox) -> None:
    await api.post("/invoice", sample_invoice(5))
    action = {"code": "COMMENT", "comment": "hi", "data": {"invoiceNumber": 5}}
    await api.post("/invoice/action", {"actions": [action]})
    _, pending = await _admin(api, "GET", "/actions")
    assert [(a["code"], a["status"]) for a in pending["actions"]] == [("COMMENT", "PENDING")]
    confirma_sandbox.advance(timedelta(minutes=1))
    _, applied = await _admin(api, "GET", "/actions")
    assert applied["actions"][0]["status"] == "APPLIED"
    _, cases = await _admin(api, "GET", "/cases")
    assert [(c["invoiceNumber"], c["status"]) for c in cases["cases"]] == [(5, "ACTIVE")]


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("/clock", {"advanceSeconds": Decimal("1E+99")}, "advanceSeconds is out of range"),
        ("/clock", {"advanceSeconds": 10**12}, "advanceSeconds is out of range"),
        ("/clock", {"advanceSeconds": -5}, "advanceSeconds must not be negative"),
        ("/tokens", {"expiresInSeconds": 10**12}, "expiresInSeconds is out of range"),
        ("/tokens/expire", {"inSeconds": Decimal("1E+400")}, "inSeconds is out of range"),
    ],
    ids=["beyond-timedelta", "beyond-year-9999", "backwards", "token-expiry", "infinite"],
)
async def test_seconds_the_clock_cannot_reach_are_400(
    api: Api, path: str, body: dict[str, Any], message: str
) -> None:
    status, answer = await _admin(api, "POST", path, body)
    assert (status, answer["message"]) == (400, message)
    assert (await _admin(api, "GET", "/clock"))[1] == {"now": "2026-01-05T09:00:00.000Z"}


@pytest.mark.parametrize("number", ["\u00b2", "9" * 5000], ids=["superscript-2", "5000-digits"])
async def test_accepted_with_an_unreadable_invoice_number_is_400(api: Api, number: str) -> None:
    status, answer = await _admin(api, "GET", f"/accepted?invoiceNumber={number}")
    assert (status, answer["code"]) == (400, "BAD_REQUEST")


async def test_a_recorded_request_names_the_client_whose_token_it_carried_never_the_token(
    api: Api, confirma_sandbox: Sandbox
) -> None:
    log = confirma_sandbox.record_requests()
    other_id, other_token = confirma_sandbox.add_client("Other Oy")
    await api.get("/payments")
    await api.call("GET", "/payments", token=other_token)
    await api.call("GET", "/payments", token="sbx_client_unknown")
    assert [(r.endpoint, r.client_id) for r in log] == [
        ("GET /payments", confirma_sandbox.client_id),
        ("GET /payments", other_id),
        ("GET /payments", None),
    ]
    assert all("x-api-key" not in {k.lower() for k in r.headers} for r in log)
    assert confirma_sandbox.record_requests() is log


async def test_a_request_log_keeps_bodies_only_when_asked(
    api: Api, confirma_sandbox: Sandbox
) -> None:
    log = confirma_sandbox.record_requests()
    await api.post("/invoice", sample_invoice(1))
    confirma_sandbox.record_requests(bodies=True)
    await api.post("/invoice", sample_invoice(2))
    assert [entry.body for entry in log] == [None, dumps(sample_invoice(2))]


async def test_a_logged_request_tells_the_fault_that_decided_it_and_the_status_answered(
    api: Api, confirma_sandbox: Sandbox
) -> None:
    log = confirma_sandbox.record_requests(bodies=True)
    faults = confirma_sandbox.faults
    faults.fail_next(1, "POST", "/invoice", status=502)
    faults.rate_limit_next(1, "POST", "/invoice")
    faults.drop_next(1, "POST", "/invoice")
    faults.drop_next(1, "POST", "/invoice", commit=True)
    for _ in range(4):
        with contextlib.suppress(aiohttp.ClientError):
            await api.post("/invoice", sample_invoice(3))
    await api.post("/invoice", sample_invoice(3))
    assert [(entry.fault, entry.status) for entry in log] == [
        ("error", 502),  # answered by the fault, never applied
        ("rate_limit", 429),
        ("drop", None),  # read, never answered
        ("commit_drop", 201),  # applied: the answer it had ready was never sent
        (None, 409),
    ]
    assert all(entry.body == dumps(sample_invoice(3)) for entry in log)  # faulted ones too
