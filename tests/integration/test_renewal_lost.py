"""A renewal whose answer is lost is sent once and raised as unknown: the client may be locked out.

``GET /renew`` revokes the old token as it issues the new one (A20). When the connection breaks
after the server renewed (``commit_drop``), the new token is gone and the old one revoked: nothing
the client can do recovers it. What it must do is say so: the error names the renewal, its
outcome is unknown, and nothing sends ``/renew`` a second time (aiohttp itself re-sends a GET
whose connection broke, unless told not to).
"""

from __future__ import annotations

import aiohttp
import pytest

from confirma_async import (
    APIConnectionError,
    AuthenticationError,
    ConfirmaClient,
    InvoiceRequest,
)
from confirma_async.testing import Sandbox

from .conftest import TODAY, make_invoice


def lost_renewal(error: BaseException) -> APIConnectionError:
    """The renewal's own error behind a user's 401, checked to say what happened."""
    assert isinstance(error, AuthenticationError)
    assert (error.method, error.path) == ("POST", "/invoice")  # the endpoint the user called
    assert not error.outcome_unknown  # the upload itself was refused: known not applied
    renewal = error.__cause__
    assert isinstance(renewal, APIConnectionError)
    assert renewal.outcome_unknown
    assert "GET /renew" in str(renewal)
    assert any("set_token" in note for note in getattr(renewal, "__notes__", []))
    return renewal


async def test_a_renewal_whose_answer_is_lost_is_sent_once_and_raised_as_unknown(
    confirma_client: ConfirmaClient, confirma_sandbox: Sandbox
) -> None:
    sandbox, client = confirma_sandbox, confirma_client
    await client.payments.payments_window(TODAY, TODAY)  # a pooled connection to break
    sandbox.expire_tokens_at(sandbox.clock.now())
    sandbox.faults.drop_next(1, "GET", "/renew", commit=True)  # renewed, then reset

    with pytest.raises(AuthenticationError) as raised:
        await client.invoices.create(make_invoice(1))

    lost_renewal(raised.value)
    assert sandbox.state.requests_received("GET", "/renew") == 1
    assert client.tokens.renewals == 0
    assert sandbox.state.accepted_count(1) == 0


async def test_a_lost_renewal_stands_for_the_requests_after_it_and_nothing_is_stored_twice(
    confirma_client: ConfirmaClient, confirma_sandbox: Sandbox
) -> None:
    sandbox, client = confirma_sandbox, confirma_client
    await client.invoices.create(make_invoice(1))
    sandbox.expire_tokens_at(sandbox.clock.now())
    sandbox.faults.drop_next(1, "GET", "/renew", commit=True)
    invoices: list[InvoiceRequest] = [make_invoice(n) for n in (1, 2, 3)]

    results = [r async for r in client.batch(2).submit_invoices(invoices)]

    assert len(results) == 3
    for result in results:
        lost_renewal(result.error)  # the same renewal's failure, shared: not asked again
    assert sandbox.state.requests_received("GET", "/renew") == 1
    assert sandbox.state.accepted_counts() == {1: 1}


async def test_validate_is_sent_once_when_its_connection_breaks(
    confirma_client: ConfirmaClient, confirma_sandbox: Sandbox
) -> None:
    sandbox, client = confirma_sandbox, confirma_client
    await client.payments.payments_window(TODAY, TODAY)
    sandbox.faults.drop_next(1, "GET", "/validate")

    with pytest.raises(APIConnectionError):
        await client.tokens.validate_token()

    assert sandbox.state.requests_received("GET", "/validate") == 1


async def test_the_middlewares_of_a_callers_session_still_run_for_the_renewal(
    confirma_sandbox: Sandbox,
) -> None:
    sandbox = confirma_sandbox

    async def tag(
        request: aiohttp.ClientRequest, handler: aiohttp.ClientHandlerType
    ) -> aiohttp.ClientResponse:
        request.headers["X-Caller-Middleware"] = "ran"
        return await handler(request)

    log = sandbox.record_requests()
    async with (
        aiohttp.ClientSession(middlewares=(tag,)) as session,
        ConfirmaClient(
            api_key=sandbox.client_token, base_url=sandbox.base_url, session=session
        ) as client,
    ):
        sandbox.expire_tokens_at(sandbox.clock.now())
        await client.payments.payments_window(TODAY, TODAY)  # 401, renewal, replay

    renewals = [r for r in log if r.endpoint == "GET /renew"]
    assert len(renewals) == 1
    assert renewals[0].headers.get("X-Caller-Middleware") == "ran"
