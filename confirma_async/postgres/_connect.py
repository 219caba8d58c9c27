"""Opening an asyncpg pool for the PostgreSQL stores, with a clear error without the extra."""

from __future__ import annotations

from typing import Any

from ..errors import ConfigurationError

__all__ = ["import_asyncpg", "open_pool"]


def import_asyncpg() -> Any:
    """The ``asyncpg`` module, or a :class:`ConfigurationError` saying how to install it."""
    try:
        import asyncpg
    except ImportError as exc:  # pragma: no cover - the test environment has the extra
        raise ConfigurationError(
            "store",
            "postgresql://…",
            "the PostgreSQL stores need the 'postgres' extra: "
            "pip install 'confirma-async[postgres]'",
        ) from exc
    return asyncpg


async def open_pool(dsn: str, *, min_size: int = 1, max_size: int = 4) -> Any:
    """An asyncpg pool to ``dsn`` (a ``postgresql://`` URL); the caller closes it."""
    if not isinstance(dsn, str) or not dsn.startswith(("postgresql://", "postgres://")):
        shown = dsn.split("@")[-1] if isinstance(dsn, str) else dsn  # never show a password
        raise ConfigurationError("store", shown, "must be a postgresql:// connection URL")
    asyncpg = import_asyncpg()
    return await asyncpg.create_pool(dsn, min_size=min_size, max_size=max_size)
