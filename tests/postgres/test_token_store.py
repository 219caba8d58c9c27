"""PostgresTokenStore: versioned compare-and-set, the renewal lock, notifications, and clients.

Each "replica" here is a client with its own store (own pool, own listening connection), as a
separate process would have; the multi-process proof is in ``test_token_replicas.py``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import pytest

from confirma_async import AuthenticationError, ConfigurationError, ConfirmaClient, TokenKey
from confirma_async.postgres import PostgresTokenStore
from confirma_async.testing import Sandbox

from ..integration.conftest import FAST, TODAY

KEY = TokenKey("https://cfis.example/api/v1/partner", "client-0001")
OTHER = TokenKey("https://cfis.example/api/v1/partner", "client-0002")


@pytest.fixture
async def stores(postgres_dsn: str) -> AsyncIterator[list[PostgresTokenStore]]:
    opened = [await PostgresTokenStore.open(postgres_dsn) for _ in range(3)]
    yield opened
    for store in opened:
        await store.aclose()


async def test_save_is_compare_and_set_on_the_version(stores: list[PostgresTokenStore]) -> None:
    a, b, _ = stores
    first = await a.save(KEY, "tok-1", None, expected_version=0)
    assert first is not None
    assert first.version == 1
    assert await b.save(KEY, "tok-x", None, expected_version=0) is None  # someone was first
    moment = datetime(2026, 1, 5, 10, tzinfo=UTC)
    second = await b.save(KEY, "tok-2", moment, expected_version=1)
    assert second is not None
    assert second.version == 2
    assert await a.save(KEY, "tok-y", None, expected_version=1) is None  # stale version
    loaded = await a.load(KEY)
    assert loaded is not None
    assert (loaded.token, loaded.version, loaded.expires_at) == ("tok-2", 2, moment)
    assert await a.load(OTHER) is None  # keyed per client
    assert "tok-2" not in repr(loaded)


async def test_a_change_is_notified_to_other_stores_with_the_row(
    stores: list[PostgresTokenStore],
) -> None:
    a, b, c = stores
    heard: asyncio.Queue[tuple[str, int]] = asyncio.Queue()
    await b.subscribe(KEY, lambda s: heard.put_nowait(("b", s.version)))
    await c.subscribe(OTHER, lambda s: heard.put_nowait(("c", s.version)))
    await a.save(KEY, "tok-1", None, expected_version=0)
    assert await heard.get() == ("b", 1)
    await a.save(OTHER, "other-1", None, expected_version=0)
    assert await heard.get() == ("c", 1)
    assert heard.empty()


async def test_a_lost_listening_connection_is_replaced_and_missed_changes_are_delivered(
    stores: list[PostgresTokenStore], postgres_dsn: str
) -> None:
    a, b, _ = stores
    heard: asyncio.Queue[int] = asyncio.Queue()
    await b.subscribe(KEY, lambda s: heard.put_nowait(s.version))
    listening = b._listen_conn
    assert listening is not None
    admin = await asyncpg.connect(postgres_dsn)
    try:  # the database drops b's listening backend (a restart, an idle-session killer...)
        await admin.execute("SELECT pg_terminate_backend($1)", listening.get_server_pid())
    finally:
        await admin.close()
    await a.save(KEY, "tok-1", None, expected_version=0)  # made while b may not listen

    # Heard through a notification on the new connection, or the catch-up after listening again
    # (or both): either way b listens again once it has heard it.
    assert await asyncio.wait_for(heard.get(), 60) == 1
    assert b._listen_conn is not None
    assert b._listen_conn is not listening
    await a.save(KEY, "tok-2", None, expected_version=1)
    while (version := await asyncio.wait_for(heard.get(), 60)) != 2:
        assert version == 1  # the same change heard twice at most, never a lost one


async def test_the_renewal_lock_serialises_renewers_who_reread_under_it(
    stores: list[PostgresTokenStore],
) -> None:
    a, b, _ = stores
    await a.save(KEY, "tok-1", None, expected_version=0)
    order: list[str] = []
    inside = asyncio.Event()
    release = asyncio.Event()

    async def first() -> None:
        async with a.renewal(KEY) as guard:
            order.append(f"a saw v{guard.current.version if guard.current else 0}")
            inside.set()
            await release.wait()
            await guard.commit("tok-2", None)

    async def second() -> None:
        await inside.wait()
        async with b.renewal(KEY) as guard:
            order.append(f"b saw v{guard.current.version if guard.current else 0}")

    task_a, task_b = asyncio.create_task(first()), asyncio.create_task(second())
    await inside.wait()
    # b is blocked on the advisory lock; a commits and leaves; b then reads version 2.
    release.set()
    await asyncio.gather(task_a, task_b)
    assert order == ["a saw v1", "b saw v2"]


async def test_the_token_column_is_readable_only_with_a_grant(postgres_dsn: str) -> None:
    store = await PostgresTokenStore.open(postgres_dsn)
    try:
        await store.save(KEY, "tok-1", None, expected_version=0)
    finally:
        await store.aclose()
    conn = await asyncpg.connect(postgres_dsn)
    try:
        await conn.execute("DROP ROLE IF EXISTS confirma_reader; CREATE ROLE confirma_reader")
        await conn.execute("SET ROLE confirma_reader")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.fetchval("SELECT token FROM confirma_tokens")
    finally:
        await conn.execute("RESET ROLE")
        await conn.execute("DROP ROLE confirma_reader")
        await conn.close()


def _client(sandbox: Sandbox, store: PostgresTokenStore, **kwargs: object) -> ConfirmaClient:
    return ConfirmaClient(
        api_key=sandbox.client_token,
        base_url=sandbox.base_url,
        config=FAST,
        client_id=sandbox.client_id,
        token_store=store,
        **kwargs,  # type: ignore[arg-type]
    )


async def test_replicas_share_one_renewal_and_learn_it_without_their_own_401(
    stores: list[PostgresTokenStore], caplog: pytest.LogCaptureFixture
) -> None:
    async with Sandbox() as sb:
        clients = [_client(sb, store) for store in stores]
        try:
            for client in clients:  # attach: the first seeds the store, the others load it
                await client.payments.payments_window(TODAY, TODAY)
            heard: asyncio.Queue[int] = asyncio.Queue()
            for store in stores[1:]:  # called after the client's own listener
                await store.subscribe(clients[0].tokens.key, lambda s: heard.put_nowait(s.version))
            sb.expire_tokens_at(sb.clock.now())
            caplog.set_level(logging.DEBUG)
            await clients[0].payments.payments_window(TODAY, TODAY)  # 401, renew
            assert sb.state.requests_received("GET", "/renew") == 1
            renewer = clients[0].tokens
            assert [await heard.get(), await heard.get()] == [2, 2]  # the notification arrived
            assert [c.tokens.version for c in clients] == [2, 2, 2]
            await asyncio.gather(*(c.payments.payments_window(TODAY, TODAY) for c in clients))
            assert sb.state.responses_sent("GET", "/payments", 401) == 1
            assert sb.state.requests_received("GET", "/renew") == 1
            assert [c.tokens.adoptions for c in clients] == [0, 1, 1]
            current = await stores[0].load(renewer.key)
            assert current is not None
            logged = " ".join(str(r.__dict__) for r in caplog.records)  # messages and fields
            assert "token_renewed" in logged
            assert "token_adopted" in logged
            assert current.token not in logged
            assert sb.client_token not in logged
        finally:
            for client in clients:
                await client.aclose()


async def test_a_token_store_needs_the_client_id(stores: list[PostgresTokenStore]) -> None:
    with pytest.raises(ConfigurationError, match="client_id"):
        ConfirmaClient(api_key="k" * 20, base_url="http://127.0.0.1:1", token_store=stores[0])


async def test_without_auto_renew_a_401_is_raised_and_nothing_renews(
    stores: list[PostgresTokenStore],
) -> None:
    async with Sandbox() as sb, _client(sb, stores[0], auto_renew=False) as client:
        await client.payments.payments_window(TODAY, TODAY)
        sb.expire_tokens_at(sb.clock.now())
        with pytest.raises(AuthenticationError) as caught:
            await client.payments.payments_window(TODAY, TODAY)
        assert caught.value.status == 401
        assert sb.state.requests_received("GET", "/renew") == 0


async def test_a_token_set_at_runtime_reaches_every_replica(
    stores: list[PostgresTokenStore],
) -> None:
    async with Sandbox() as sb:
        owner = _client(sb, stores[0], auto_renew=False)
        other = _client(sb, stores[1], auto_renew=False)
        async with owner, other:
            await other.payments.payments_window(TODAY, TODAY)
            fresh = sb.create_token()
            sb.revoke_token(sb.client_token)
            await owner.tokens.set_token(fresh)
            # The other replica gets a 401 at worst, then finds the new version in the store.
            await other.payments.payments_window(TODAY, TODAY)
            assert other.tokens.version == owner.tokens.version == 2
            assert sb.state.requests_received("GET", "/renew") == 0
