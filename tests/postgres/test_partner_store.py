"""Two partners (as two processes would be) sharing a PostgresTokenStore for many clients."""

from __future__ import annotations

import asyncio

from confirma_async import ConfirmaPartner, NewClientRequest
from confirma_async.models._convert import from_wire
from confirma_async.postgres import PostgresTokenStore
from confirma_async.testing import Sandbox, sample_client

from ..integration.conftest import FAST, TODAY


async def test_clients_onboarded_by_one_partner_renew_once_across_two(
    postgres_dsn: str, confirma_sandbox: Sandbox
) -> None:
    stores = [await PostgresTokenStore.open(postgres_dsn) for _ in range(2)]
    partners = [
        ConfirmaPartner(
            partner_token=confirma_sandbox.partner_token,
            base_url=confirma_sandbox.base_url,
            config=FAST,
            token_store=store,
        )
        for store in stores
    ]
    try:
        first, second = partners
        requests = [from_wire(sample_client(f"C{i} Oy"), NewClientRequest) for i in range(10)]
        created = [await first.onboard(r) for r in requests]
        ids = [c.client_id for c in created if c.client_id is not None]
        assert len(ids) == 10
        # the second partner never saw the tokens: it reads them from the shared store
        await asyncio.gather(
            *(second.client(i).payments.payments_window(TODAY, TODAY) for i in ids)
        )
        confirma_sandbox.expire_tokens_at(confirma_sandbox.clock.now())
        calls = [p.client(i).payments.payments_window(TODAY, TODAY) for p in partners for i in ids]
        await asyncio.gather(*calls)
        assert [confirma_sandbox.requests_of(i, "GET /renew") for i in ids] == [1] * 10
    finally:
        for partner in partners:
            await partner.aclose()
        for store in stores:
            await store.aclose()
