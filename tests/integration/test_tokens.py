"""Token lifecycle against the sandbox: expiry mid-session, shared renewal, advance renewal."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from confirma_async import AuthenticationError, ConfirmaClient
from confirma_async.testing import ManualClock, Sandbox, SandboxConfig

from .conftest import FAST, TODAY, make_invoice


async def test_expiry_mid_session_costs_one_renewal_then_succeeds(
    confirma_client: ConfirmaClient, confirma_sandbox: Sandbox
) -> None:
    await confirma_client.invoices.create(make_invoice(1))
    confirma_sandbox.expire_tokens_at(confirma_sandbox.clock.now())
    await confirma_client.invoices.create(make_invoice(2))
    state = confirma_sandbox.state
    assert state.requests_received("GET", "/renew") == 1
    assert state.responses_sent("POST", "/invoice", 401) == 1
    assert state.accepted_count(2) == 1
    assert (await confirma_client.tokens.validate_token()).is_valid


async def test_concurrent_requests_share_one_renewal(
    confirma_client: ConfirmaClient, confirma_sandbox: Sandbox
) -> None:
    await confirma_client.payments.payments_window(TODAY, TODAY)  # warm up the pool
    confirma_sandbox.expire_token(confirma_sandbox.client_token)
    await asyncio.gather(
        *(confirma_client.payments.payments_window(TODAY, TODAY) for _ in range(20))
    )
    assert confirma_sandbox.state.requests_received("GET", "/renew") == 1


async def test_a_known_expiry_is_renewed_ahead_without_a_401() -> None:
    clock = ManualClock()
    config = SandboxConfig(token_lifetime=timedelta(hours=1))
    renewed: list[tuple[str, datetime | None]] = []

    async def remember(token: str, expires_at: datetime | None) -> None:
        renewed.append((token, expires_at))

    async with Sandbox(config, clock=clock) as sb:
        token = sb.create_token(expires_at=clock.now() + timedelta(minutes=5))
        async with ConfirmaClient(
            api_key=token,
            base_url=sb.base_url,
            config=FAST,
            token_expires_at=clock.now() + timedelta(minutes=5),
            on_token_renewed=remember,
            clock=clock.now,
        ) as client:
            await client.payments.payments_window(TODAY, TODAY)
        assert sb.state.requests_received("GET", "/renew") == 1
        assert sb.state.responses_sent(status=401) == 0
        ((new_token, expires_at),) = renewed
        assert sb.state.tokens.get(new_token) is not None
        assert expires_at == clock.now() + timedelta(hours=1)


async def test_a_revoked_token_fails_cleanly(confirma_sandbox: Sandbox) -> None:
    token = confirma_sandbox.create_token()
    async with ConfirmaClient(api_key=token, base_url=confirma_sandbox.base_url, config=FAST) as c:
        confirma_sandbox.revoke_token(token)
        assert (await c.tokens.validate_token()).is_valid is False
        with pytest.raises(AuthenticationError):
            await c.payments.payments_window(TODAY, TODAY)
    # One 401, one renewal attempt (401 again), no loop.
    assert confirma_sandbox.state.requests_received("GET", "/renew") == 1
