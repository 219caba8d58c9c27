"""Sharing a token in one process (MemoryTokenStore), renewal off, and a token set at run time."""

from __future__ import annotations

import asyncio

import pytest

from confirma_async import (
    AuthenticationError,
    ConfirmaClient,
    MemoryTokenStore,
    StoredToken,
    TokenKey,
    TokenStoreError,
)
from confirma_async.testing import Sandbox

from .conftest import FAST, TODAY


def client_of(sandbox: Sandbox, **kwargs: object) -> ConfirmaClient:
    return ConfirmaClient(
        api_key=sandbox.client_token,
        base_url=sandbox.base_url,
        config=FAST,
        client_id=sandbox.client_id,
        **kwargs,  # type: ignore[arg-type]
    )


async def test_two_clients_on_one_store_share_one_renewal(confirma_sandbox: Sandbox) -> None:
    store = MemoryTokenStore()
    async with (
        client_of(confirma_sandbox, token_store=store) as a,
        client_of(confirma_sandbox, token_store=store) as b,
    ):
        await asyncio.gather(a.payments.payments_window(TODAY, TODAY), b.tokens.ensure_fresh())
        confirma_sandbox.expire_tokens_at(confirma_sandbox.clock.now())
        await a.payments.payments_window(TODAY, TODAY)  # 401, renewal, b hears of it
        await b.payments.payments_window(TODAY, TODAY)  # no 401: already switched
        assert confirma_sandbox.state.requests_received("GET", "/renew") == 1
        assert confirma_sandbox.state.responses_sent("GET", "/payments", 401) == 1
        assert (a.tokens.renewals, b.tokens.adoptions) == (1, 1)
        assert a.tokens.auth_header() == b.tokens.auth_header()


async def test_with_auto_renew_off_a_401_is_raised_and_renew_is_never_called(
    confirma_sandbox: Sandbox,
) -> None:
    async with client_of(confirma_sandbox, auto_renew=False) as client:
        await client.payments.payments_window(TODAY, TODAY)
        confirma_sandbox.expire_tokens_at(confirma_sandbox.clock.now())
        for _ in range(3):
            with pytest.raises(AuthenticationError) as caught:
                await client.payments.payments_window(TODAY, TODAY)
            assert (caught.value.status, caught.value.path) == (401, "/payments")
        assert "automatic token renewal is off" in str(caught.value.__cause__)
        assert confirma_sandbox.state.requests_received("GET", "/renew") == 0


async def test_a_token_set_at_run_time_is_used_from_the_next_request(
    confirma_sandbox: Sandbox,
) -> None:
    async with client_of(confirma_sandbox, auto_renew=False) as client:
        await client.payments.payments_window(TODAY, TODAY)
        fresh = confirma_sandbox.create_token()
        confirma_sandbox.revoke_token(confirma_sandbox.client_token)
        before = client.tokens.generation
        await client.tokens.set_token(fresh)
        await client.payments.payments_window(TODAY, TODAY)
        assert client.tokens.generation == before + 1
        assert client.tokens.auth_header()[1] == fresh
        assert fresh not in repr(client.tokens)
        assert confirma_sandbox.state.responses_sent("GET", "/payments", 401) == 0


class UnreachableStore(MemoryTokenStore):
    """A store whose database is down."""

    async def load(self, key: TokenKey) -> StoredToken | None:
        raise ConnectionRefusedError("db down")


async def test_a_failing_store_is_a_clear_error_and_nothing_is_sent(
    confirma_sandbox: Sandbox,
) -> None:
    async with client_of(confirma_sandbox, token_store=UnreachableStore()) as client:
        with pytest.raises(TokenStoreError, match="attaching to the token store failed") as caught:
            await client.payments.payments_window(TODAY, TODAY)
        assert isinstance(caught.value.__cause__, ConnectionRefusedError)
        assert confirma_sandbox.state.requests_received("GET", "/payments") == 0
