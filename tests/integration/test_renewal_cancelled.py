"""A caller cancelled while its token renewal is on the way does not lose the new token."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest

from confirma_async import ConfirmaClient
from confirma_async.testing import Sandbox
from confirma_async.testing._tokens import TokenRecord

from .conftest import FAST, TODAY


async def test_a_renewal_whose_caller_is_cancelled_still_takes_the_new_token(
    confirma_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox = confirma_sandbox
    renewed = asyncio.Event()
    renew = sandbox.state.tokens.renew

    def renew_and_tell(old: TokenRecord, now: datetime) -> TokenRecord:
        new = renew(old, now)
        renewed.set()
        return new

    monkeypatch.setattr(sandbox.state.tokens, "renew", renew_and_tell)
    async with ConfirmaClient(
        api_key=sandbox.client_token, base_url=sandbox.base_url, config=FAST
    ) as client:
        await client.payments.payments_window(TODAY, TODAY)
        sandbox.expire_tokens_at(sandbox.clock.now())
        # The server renews (and revokes the old token, A20) at once but answers late.
        sandbox.faults.slow_next(1, "GET", "/renew", delay=0.2)
        caller = asyncio.create_task(client.payments.payments_window(TODAY, TODAY))
        await renewed.wait()  # the server renewed: the old token is revoked from now on
        caller.cancel()
        with pytest.raises(asyncio.CancelledError):
            await caller
        await client.payments.payments_window(TODAY, TODAY)  # with the renewed token
    assert sandbox.state.requests_received("GET", "/renew") == 1
    assert client.tokens.renewals == 1
