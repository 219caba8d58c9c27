"""Versioned schema migrations per component: applied once, in order, safely in parallel."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from confirma_async.errors import ConfigurationError
from confirma_async.postgres import migrate, open_pool, schema_versions

WIDGETS = [
    "CREATE TABLE widgets (id integer PRIMARY KEY)",
    "ALTER TABLE widgets ADD COLUMN name text",
]


async def test_a_fresh_database_gets_every_migration_in_order(postgres_dsn: str) -> None:
    conn = await asyncpg.connect(postgres_dsn)
    try:
        assert await schema_versions(conn) == {}
        assert await migrate(conn, "widgets", WIDGETS) == 2
        assert await schema_versions(conn) == {"widgets": 2}
        await conn.execute("INSERT INTO widgets (id, name) VALUES (1, 'a')")
    finally:
        await conn.close()


async def test_a_later_library_applies_only_the_new_migrations(postgres_dsn: str) -> None:
    conn = await asyncpg.connect(postgres_dsn)
    try:
        await migrate(conn, "widgets", WIDGETS[:1])
        await conn.execute("INSERT INTO widgets (id) VALUES (1)")
        await migrate(conn, "widgets", WIDGETS)
        assert await conn.fetchval("SELECT count(*) FROM widgets") == 1
        assert await schema_versions(conn) == {"widgets": 2}
    finally:
        await conn.close()


async def test_components_are_versioned_apart(postgres_dsn: str) -> None:
    conn = await asyncpg.connect(postgres_dsn)
    try:
        await migrate(conn, "widgets", WIDGETS)
        await migrate(conn, "gadgets", ["CREATE TABLE gadgets (id integer)"])
        assert await schema_versions(conn) == {"widgets": 2, "gadgets": 1}
    finally:
        await conn.close()


async def test_concurrent_migrations_apply_each_version_once(postgres_dsn: str) -> None:
    pool = await open_pool(postgres_dsn, max_size=8)
    try:

        async def one() -> int:
            async with pool.acquire() as conn:
                return await migrate(conn, "widgets", WIDGETS)

        assert await asyncio.gather(*(one() for _ in range(8))) == [2] * 8
        rows = await pool.fetchval("SELECT count(*) FROM confirma_schema")
        assert rows == 2
    finally:
        await pool.close()


async def test_a_database_newer_than_the_library_is_refused(postgres_dsn: str) -> None:
    conn = await asyncpg.connect(postgres_dsn)
    try:
        await migrate(conn, "widgets", WIDGETS)
        with pytest.raises(ConfigurationError, match="newer than this library"):
            await migrate(conn, "widgets", WIDGETS[:1])
    finally:
        await conn.close()


async def test_a_store_url_that_is_not_postgresql_names_the_value_without_a_password() -> None:
    with pytest.raises(ConfigurationError, match="store") as caught:
        await open_pool("mysql://user:secret@db/x")
    assert "secret" not in str(caught.value)
