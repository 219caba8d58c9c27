"""A renewal whose answer is lost: asked once more if its connection broke, else raised unknown.

``GET /renew`` revokes the old token as it issues the new one (A20). When the connection breaks
after the request was sent, the client cannot tell whether the server renewed; asking once more
with the same token tells it (A108): a server that renewed refuses the revoked token (a sure
lock-out, raised saying so), one that did not renews now. A renewal that timed out is not asked
again: its error's outcome is unknown and says the client may be locked out. aiohttp itself would
re-send a GET whose connection broke, unless told not to: every ask here is the client's own.
"""

from __future__ import annotations

import aiohttp
import pytest

from confirma_async import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    ClientConfig,
    ConfirmaClient,
    ConfirmaError,
    InvoiceRequest,
)
from confirma_async.testing import Sandbox

from .conftest import FAST, TODAY, make_invoice


def user_error_of(error: BaseException | None) -> ConfirmaError:
    """The 401 a user's upload got because its renewal failed: the renewal is its cause."""
    assert isinstance(error, AuthenticationError)
    assert (error.method, error.path) == ("POST", "/invoice")  # the endpoint the user called
    assert not error.outcome_unknown  # the upload itself was refused: known not applied
    renewal = error.__cause__
    assert isinstance(renewal, ConfirmaError)
    assert "GET /renew" in str(renewal)
    return renewal


def locked_out(error: BaseException | None) -> None:
    """The renewal's own 401 says the client is locked out, and why (the lost answer before it)."""
    renewal = user_error_of(error)
    assert isinstance(renewal, AuthenticationError)
    assert not renewal.outcome_unknown  # known: the token is revoked
    assert any("set_token" in note for note in getattr(renewal, "__notes__", []))
    broken = renewal.__cause__
    assert isinstance(broken, APIConnectionError)
    assert broken.outcome_unknown


async def test_a_renewal_applied_before_its_connection_broke_is_asked_again_and_says_locked_out(
    confirma_client: ConfirmaClient, confirma_sandbox: Sandbox
) -> None:
    sandbox, client = confirma_sandbox, confirma_client
    await client.payments.payments_window(TODAY, TODAY)  # a pooled connection to break
    sandbox.expire_tokens_at(sandbox.clock.now())
    sandbox.faults.drop_next(1, "GET", "/renew", commit=True)  # renewed, then reset

    with pytest.raises(AuthenticationError) as raised:
        await client.invoices.create(make_invoice(1))

    locked_out(raised.value)
    assert sandbox.state.requests_received("GET", "/renew") == 2
    assert client.tokens.renewals == 0
    assert sandbox.state.accepted_count(1) == 0


async def test_a_renewal_whose_connection_broke_before_it_was_applied_is_asked_again_and_renews(
    confirma_client: ConfirmaClient, confirma_sandbox: Sandbox
) -> None:
    sandbox, client = confirma_sandbox, confirma_client
    await client.payments.payments_window(TODAY, TODAY)
    sandbox.expire_tokens_at(sandbox.clock.now())
    sandbox.faults.drop_next(1, "GET", "/renew")  # reset before the server acted

    await client.invoices.create(make_invoice(1))

    assert sandbox.state.requests_received("GET", "/renew") == 2
    assert client.tokens.renewals == 1
    assert sandbox.state.accepted_count(1) == 1


async def test_a_renewal_that_timed_out_is_sent_once_and_raised_as_unknown(
    confirma_sandbox: Sandbox,
) -> None:
    sandbox = confirma_sandbox
    config = ClientConfig(
        backoff_base=FAST.backoff_base,
        backoff_cap=FAST.backoff_cap,
        total_timeout=1.0,  # the held renewal's bound; the upload before it needs far less
        pool_timeout=0.5,
    )
    sandbox.expire_tokens_at(sandbox.clock.now())
    with sandbox.faults.hold("GET", "/renew"):  # never answered: the client times out
        async with ConfirmaClient(
            api_key=sandbox.client_token, base_url=sandbox.base_url, config=config
        ) as client:
            with pytest.raises(AuthenticationError) as raised:
                await client.invoices.create(make_invoice(1))

            renewal = user_error_of(raised.value)
            assert isinstance(renewal, APITimeoutError)
            assert renewal.outcome_unknown
            assert any("set_token" in note for note in getattr(renewal, "__notes__", []))
            assert sandbox.state.requests_received("GET", "/renew") == 1


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
        locked_out(result.error)  # the same renewal's failure, shared: not asked a third time
    assert sandbox.state.requests_received("GET", "/renew") == 2
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
