"""A closed partner client stays closed: no request, no new subscription to the token store."""

from __future__ import annotations

import pytest

from confirma_async import ClientClosedError, ConfirmaPartner, MemoryTokenStore
from confirma_async.testing import Sandbox

from .conftest import FAST, TODAY


async def test_a_call_on_a_closed_client_is_refused_without_subscribing_to_the_store_again(
    confirma_sandbox: Sandbox,
) -> None:
    store = MemoryTokenStore()
    async with ConfirmaPartner(
        base_url=confirma_sandbox.base_url, config=FAST, token_store=store
    ) as partner:
        client_id, token = confirma_sandbox.add_client("Closing Oy")
        client = await partner.register(client_id, token)
        await client.payments.payments_window(TODAY, TODAY)
        await client.aclose()
        for _ in range(3):
            with pytest.raises(ClientClosedError, match=client_id):
                await client.payments.payments_window(TODAY, TODAY)
        assert store._listeners[client.tokens.key] == []
    assert confirma_sandbox.requests_of(client_id) == 1
