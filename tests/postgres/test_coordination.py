"""PostgresCoordination: one holder per stream, takeover with the next epoch, fenced commits.

Expiry is simulated by ending the lease in the table (as a holder that stopped heartbeating would
leave it), so nothing here waits for time to pass.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import asyncpg
import pytest

from confirma_async import ConfigurationError, StreamKey
from confirma_async.postgres import PostgresCoordination

KEY = StreamKey("https://cfis.example/api/v1/partner", "/invoice/distribution", "client-0001")
OTHER = StreamKey("https://cfis.example/api/v1/partner", "/invoice/distribution", "client-0002")
DAY = date(2026, 1, 5)


@pytest.fixture
async def replicas(postgres_dsn: str) -> AsyncIterator[list[PostgresCoordination]]:
    opened = [await PostgresCoordination.open(postgres_dsn, lease=600) for _ in range(2)]
    yield opened
    for coordination in opened:
        await coordination.aclose()


async def expire_every_lease(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("UPDATE confirma_watch_leases SET expires_at = clock_timestamp()")
    finally:
        await conn.close()


async def test_a_held_stream_is_refused_to_others_and_other_streams_are_not(
    replicas: list[PostgresCoordination],
) -> None:
    a, b = replicas
    held = await a.try_acquire(KEY)
    assert held is not None
    assert held.epoch == 1
    assert await b.try_acquire(KEY) is None
    other = await b.try_acquire(OTHER)
    assert other is not None
    await held.release()
    await other.release()


async def test_a_released_lease_passes_on_at_once_with_the_next_epoch_and_the_checkpoint(
    replicas: list[PostgresCoordination],
) -> None:
    a, b = replicas
    first = await a.try_acquire(KEY)
    assert first is not None
    assert await first.commit(DAY, "1001", "fp-a")
    await first.release()
    assert first.lost
    second = await b.try_acquire(KEY)
    assert second is not None
    assert second.epoch == 2
    assert second.checkpoint.days == {DAY: {"1001": "fp-a"}}
    await second.release()


async def test_after_expiry_the_stream_is_taken_over_and_the_old_holder_commits_nothing(
    replicas: list[PostgresCoordination], postgres_dsn: str
) -> None:
    a, b = replicas
    old = await a.try_acquire(KEY)
    assert old is not None
    assert await old.commit(DAY, "1001", "fp-1")
    await expire_every_lease(postgres_dsn)  # the holder stopped heartbeating
    new = await b.try_acquire(KEY)
    assert new is not None
    assert new.epoch == 2
    assert new.checkpoint.days == {DAY: {"1001": "fp-1"}}
    assert not await old.commit(DAY, "1002", "fp-2")  # fenced: written nowhere
    assert old.lost
    assert await new.commit(DAY, "1002", "fp-2b")
    await new.release()
    again = await a.try_acquire(KEY)
    assert again is not None
    assert again.checkpoint.days == {DAY: {"1001": "fp-1", "1002": "fp-2b"}}
    await again.release()
    await old.release()


async def test_entries_behind_the_horizon_are_forgotten(
    replicas: list[PostgresCoordination],
) -> None:
    a, _ = replicas
    lease = await a.try_acquire(KEY)
    assert lease is not None
    await lease.commit(date(2025, 11, 1), "1", "old")
    await lease.commit(DAY, "2", "new")
    await lease.forget_before(date(2025, 12, 1))
    await lease.release()
    again = await a.try_acquire(KEY)
    assert again is not None
    assert again.checkpoint.days == {DAY: {"2": "new"}}
    await again.release()


def test_a_lease_time_must_be_positive() -> None:
    with pytest.raises(ConfigurationError, match="lease"):
        PostgresCoordination(None, lease=0)
