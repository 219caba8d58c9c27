"""Versioned schema migrations for the PostgreSQL stores, one numbered list per component.

Each store (bulk jobs, tokens, watcher leases ...) owns a *component* name and an ordered list of
SQL migrations. :func:`migrate` applies the ones a database has not seen yet, in order, each in its
own transaction, recording ``(component, version)`` in ``confirma_schema``. A transaction-scoped
advisory lock makes concurrent migrations (many workers starting at once) safe: one applies, the
others wait and then find nothing left to do. A database newer than the library (a version this
library does not know) is refused rather than used.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..errors import ConfigurationError

__all__ = ["SCHEMA_TABLE", "Migration", "migrate", "schema_versions"]

SCHEMA_TABLE = "confirma_schema"
# Any fixed 64-bit key: "confirma" + "schema", so that migrations of every component serialise.
_LOCK_KEY = 0x636F6E6669726D61 & 0x7FFFFFFFFFFFFFFF

Migration = str
"""One migration: SQL statements run in one transaction."""

_BOOTSTRAP = f"""
CREATE TABLE IF NOT EXISTS {SCHEMA_TABLE} (
    component   text        NOT NULL,
    version     integer     NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (component, version)
)
"""


async def schema_versions(conn: Any) -> dict[str, int]:
    """The highest applied version of each component (empty for a fresh database)."""
    exists = await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", SCHEMA_TABLE)
    if not exists:
        return {}
    rows = await conn.fetch(
        f"SELECT component, max(version) AS version FROM {SCHEMA_TABLE} GROUP BY component"
    )
    return {row["component"]: row["version"] for row in rows}


async def migrate(conn: Any, component: str, migrations: Sequence[Migration]) -> int:
    """Bring ``component``'s tables to the latest of ``migrations``; return that version.

    ``conn`` is an asyncpg connection. Version *n* is ``migrations[n - 1]``.
    """
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK_KEY)
        await conn.execute(_BOOTSTRAP)
    current = (await schema_versions(conn)).get(component, 0)
    if current > len(migrations):
        raise ConfigurationError(
            f"{component} schema",
            current,
            f"the database is newer than this library (knows up to {len(migrations)}): upgrade "
            "confirma-async",
        )
    for version in range(current + 1, len(migrations) + 1):
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK_KEY)
            done = await conn.fetchval(
                f"SELECT 1 FROM {SCHEMA_TABLE} WHERE component = $1 AND version = $2",
                component,
                version,
            )
            if done:
                continue
            await conn.execute(migrations[version - 1])
            await conn.execute(
                f"INSERT INTO {SCHEMA_TABLE} (component, version) VALUES ($1, $2)",
                component,
                version,
            )
    return len(migrations)
