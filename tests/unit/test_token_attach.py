"""Attaching to the token store: a cancelled or closed attach leaves no subscription behind."""

from __future__ import annotations

import asyncio

import pytest

from confirma_async import ClientClosedError, MemoryTokenStore, StoredToken, TokenKey, TokenManager
from confirma_async.auth import TokenListener, TokenSubscription

KEY = TokenKey("https://api.example", "client-0001")


class SlowStore(MemoryTokenStore):
    """A store whose reads wait until the test lets them go."""

    def __init__(self) -> None:
        super().__init__()
        self.reading = asyncio.Event()
        self.release = asyncio.Event()

    async def load(self, key: TokenKey) -> StoredToken | None:
        self.reading.set()
        await self.release.wait()
        return await super().load(key)


async def test_an_attach_cancelled_half_way_leaves_no_subscription_and_can_run_again() -> None:
    store = SlowStore()
    tokens = TokenManager("token-1", store=store, key=KEY)
    attaching = asyncio.create_task(tokens.attach())
    await store.reading.wait()  # subscribed, now reading the stored token
    attaching.cancel()
    with pytest.raises(asyncio.CancelledError):
        await attaching
    assert store._listeners[KEY] == []
    store.release.set()
    await tokens.attach()
    assert len(store._listeners[KEY]) == 1
    await tokens.aclose()


class SlowSubscribeStore(MemoryTokenStore):
    """A store whose subscriptions wait until the test lets them go."""

    def __init__(self) -> None:
        super().__init__()
        self.subscribing = asyncio.Event()
        self.release = asyncio.Event()

    async def subscribe(self, key: TokenKey, listener: TokenListener) -> TokenSubscription:
        self.subscribing.set()
        await self.release.wait()
        return await super().subscribe(key, listener)


async def test_a_manager_closed_while_it_attaches_keeps_no_subscription() -> None:
    store = SlowSubscribeStore()
    tokens = TokenManager("token-1", store=store, key=KEY)
    attaching = asyncio.create_task(tokens.attach())
    await store.subscribing.wait()
    await tokens.aclose()  # the client closes while its first request attaches
    store.release.set()
    with pytest.raises(ClientClosedError):
        await attaching
    assert store._listeners[KEY] == []
    with pytest.raises(ClientClosedError, match="client-0001"):
        await tokens.attach()
