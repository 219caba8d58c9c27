"""The alternate dialect's errors (RFC 7807), faults, request-id header and admin routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from confirma_async._core.json import loads
from confirma_async.testing import sample_client, sample_invoice

from ._dialect_pair import PROBLEM_TYPE, REQUEST_ID, TODAY, Pair, open_pair, problem


@pytest.fixture
async def pair() -> AsyncIterator[Pair]:
    async with open_pair() as opened:
        yield opened


# --- 14. errors -----------------------------------------------------------------------------


async def test_validation_errors_become_problem_details_with_a_list_per_field(
    pair: Pair,
) -> None:
    body = sample_invoice(5)
    body["invoice"]["header"].update(currencyCode="EURO", date="2026-13-01", number=-1)
    ref, alt = await pair.both("POST", "/invoice", body)
    assert (ref.status, alt.status) == (400, 400)
    assert len(ref.body["errors"]) >= 3
    assert alt.content_type == PROBLEM_TYPE
    assert alt.body == problem(ref)
    assert list(alt.body) == ["type", "title", "detail", "status", "errors"]
    assert alt.body["errors"]["invoice.header.currencyCode"]


async def test_every_error_answer_is_problem_details_with_the_same_status(pair: Pair) -> None:
    await pair.both("POST", "/invoice", sample_invoice(1))
    cases: list[tuple[str, str, Any, dict[str, str], int]] = [
        ("GET", "/payments", None, {"fromDate": "2024-01-01", "toDate": TODAY}, 413),
        ("GET", "/invoice/case", None, {"caseId": "999999"}, 404),
        ("GET", "/no/such/path", None, {}, 404),
        ("POST", "/invoice", sample_invoice(1), {}, 409),
        ("POST", "/client", sample_client(), {}, 403),
    ]
    for method, path, body, params, status in cases:
        ref, alt = await pair.both(method, path, body, **params)
        assert (ref.status, alt.status) == (status, status), path
        assert alt.content_type == PROBLEM_TYPE
        assert alt.body == problem(ref)
        if status == 409:
            assert alt.body["errors"] == {"invoice.header.number": ["duplicate invoice number"]}
        else:
            assert "errors" not in alt.body

    for side in (pair.ref, pair.alt):
        side.sandbox.revoke_token(side.sandbox.client_token)
    ref, alt = await pair.both("GET", "/payments")
    assert (ref.status, alt.status) == (401, 401)
    assert alt.body == problem(ref)
    assert "errors" not in alt.body


async def test_wrong_method_is_problem_details_and_keeps_allow(pair: Pair) -> None:
    ref, alt = await pair.both("PUT", "/payments")
    assert (ref.status, alt.status) == (405, 405)
    assert alt.headers["Allow"] == ref.headers["Allow"] == "GET"
    assert alt.content_type == PROBLEM_TYPE
    assert alt.body == problem(ref)


async def test_injected_faults_are_problem_details_and_keep_retry_after(pair: Pair) -> None:
    for side in (pair.ref, pair.alt):
        side.sandbox.faults.fail_next(1, "POST", "/invoice", status=503)
        side.sandbox.faults.rate_limit_next(1, "GET", "/payments", retry_after=2)
    ref, alt = await pair.both("POST", "/invoice", sample_invoice(3))
    assert (ref.status, alt.status) == (503, 503)
    assert (
        alt.body
        == problem(ref)
        == {
            "type": "about:blank",
            "title": "SERVICE_UNAVAILABLE",
            "detail": "injected server fault",
            "status": 503,
        }
    )
    assert pair.alt.sandbox.state.accepted_count(3) == 0
    ref, alt = await pair.both("GET", "/payments")
    assert (ref.status, alt.status) == (429, 429)
    assert alt.headers["Retry-After"] == ref.headers["Retry-After"] == "2"
    assert alt.content_type == PROBLEM_TYPE
    assert alt.body == problem(ref)


async def test_drops_send_nothing_in_the_alternate_dialect(pair: Pair) -> None:
    faults = pair.alt.sandbox.faults
    faults.drop_next(1, "POST", "/invoice")
    with pytest.raises(aiohttp.ClientConnectionError):
        await pair.alt.call("POST", "/invoice", sample_invoice(4))
    faults.drop_next(1, "POST", "/invoice", commit=True)
    with pytest.raises(aiohttp.ClientConnectionError):
        await pair.alt.call("POST", "/invoice", sample_invoice(5))
    state = pair.alt.sandbox.state
    assert (state.accepted_count(4), state.accepted_count(5)) == (0, 1)


# --- 15. request id, admin routes -----------------------------------------------------------


async def test_the_request_id_comes_in_x_correlation_id(pair: Pair) -> None:
    for _ in range(2):
        ref, alt = await pair.both("GET", "/payments")
    assert "X-Request-Id" not in alt.headers
    assert "X-Correlation-Id" not in ref.headers
    assert REQUEST_ID.match(alt.headers["X-Correlation-Id"])
    assert alt.headers["X-Correlation-Id"] == ref.headers["X-Request-Id"] == "sbx-00000002"


async def test_admin_routes_are_not_rewritten(pair: Pair) -> None:
    sandbox = pair.alt.sandbox
    async with pair.alt.session.get(sandbox.admin_url + "/clock") as resp:
        assert resp.status == 200
        assert resp.content_type == "application/json"
        assert "X-Correlation-Id" not in resp.headers
    async with pair.alt.session.post(sandbox.admin_url + "/faults", data=b"{") as resp:
        assert resp.status == 400
        assert resp.content_type == "application/json"
        assert set(loads(await resp.read())) == {"code", "message", "errors"}
