"""The test suite's own PostgreSQL server: real, on 127.0.0.1, one fresh database per test."""

from __future__ import annotations

import asyncpg
import pytest

from confirma_async.testing._postgres import ThrowawayPostgres


async def test_a_fresh_database_per_test_accepts_connections_on_loopback(postgres_dsn: str) -> None:
    conn = await asyncpg.connect(postgres_dsn)
    try:
        assert await conn.fetchval("SELECT count(*) FROM pg_tables WHERE schemaname='public'") == 0
        assert await conn.fetchval("SELECT inet_server_addr()::text") == "127.0.0.1/32"
    finally:
        await conn.close()


def test_stop_removes_the_cluster_directory(postgres_server: ThrowawayPostgres) -> None:
    server = ThrowawayPostgres(bindir=postgres_server.bindir)
    server.start()
    directory = server._dir
    assert directory is not None
    assert (directory / "data" / "PG_VERSION").exists()
    server.stop()
    assert not directory.exists()
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.dsn
