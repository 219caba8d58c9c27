"""Records whose key field was not read (a guessed name the server spells otherwise) are never lost.

The pager never de-duplicates a record whose key is ``None`` and keeps such keys out of its
checkpoints; the watcher tracks such records by their content, remembered under the day it first
saw them, and a change in a field it does not know (kept in ``extra``) still counts as a change.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from typing import Any

from confirma_async import DistributionRecord, DistributionWatcher
from confirma_async.pagination import AsyncPager, WindowResult
from confirma_async.pagination.watch import fingerprint

from .test_pagination_watch import drain_until_stopped as collect

D = timedelta(days=1)
DAY = date(2026, 3, 10)
T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def keyless(state: str, n: int = 1) -> DistributionRecord:
    """A record as a client without aliases reads it from an API that renamed every field."""
    return DistributionRecord(extra={"invoiceNo": n, "deliveryState": state})


async def test_a_pager_keeps_every_record_without_a_key_even_identical_ones() -> None:
    async def fetch(start: date, end: date) -> WindowResult[DistributionRecord]:
        return WindowResult(items=[keyless("X"), keyless("X")], total_count=2)

    pager = AsyncPager(
        fetch, start=DAY, end=DAY + D, key=lambda r: r.invoice_number, source="/x", window=D
    )
    got = [r async for r in pager]
    assert len(got) == 4
    assert pager.stats.duplicates == 0


async def test_a_checkpoint_holds_no_key_for_records_without_one() -> None:
    async def fetch(start: date, end: date) -> WindowResult[DistributionRecord]:
        return WindowResult(items=[keyless("X"), DistributionRecord(invoice_number=5)])

    pager = AsyncPager(fetch, start=DAY, end=DAY, key=lambda r: r.invoice_number, source="/x")
    async for _ in pager:
        checkpoint = pager.checkpoint
    await pager.aclose()
    assert None not in checkpoint["skip"]


class Listing:
    def __init__(self) -> None:
        self.records: list[DistributionRecord] = []
        self.now = T0

    async def fetch(self, start: date, end: date) -> WindowResult[DistributionRecord]:
        items = self.records if start <= self.now.date() <= end else []
        return WindowResult(items=list(items), total_count=len(items))

    def watcher(self, checkpoint: Any = None, polls: int = 3) -> DistributionWatcher:
        calls = {"n": 0}

        async def sleep(_: float) -> None:
            calls["n"] += 1
            if calls["n"] >= polls:
                raise EOFError

        return DistributionWatcher(
            self.fetch,
            source="/invoice/distribution",
            since=DAY - 2 * D,
            interval=60,
            lookback=timedelta(days=3),
            clock=lambda: self.now,
            sleep=sleep,
            checkpoint=checkpoint,
        )


async def test_a_keyless_record_is_yielded_once_per_content_over_many_polls() -> None:
    listing = Listing()
    listing.records = [keyless("QUEUED", 1), keyless("QUEUED", 2)]
    watcher = listing.watcher(polls=4)
    got = await collect(watcher)
    assert [r.extra["invoiceNo"] for r in got] == [1, 2]
    assert watcher.stats.polls >= 3


async def test_a_change_in_a_field_the_client_does_not_know_is_yielded() -> None:
    listing = Listing()
    listing.records = [keyless("QUEUED")]
    first = listing.watcher(polls=2)
    assert len(await collect(first)) == 1
    listing.records = [keyless("DELIVERED")]
    again = await collect(listing.watcher(checkpoint=first.checkpoint, polls=2))
    assert [r.extra["deliveryState"] for r in again] == ["DELIVERED"]


async def test_a_known_record_whose_renamed_status_changes_is_yielded_again() -> None:
    listing = Listing()
    base = {"invoice_number": 7, "invoice_date": DAY}
    listing.records = [DistributionRecord(**base, extra={"deliveryState": "QUEUED"})]
    first = listing.watcher(polls=2)
    assert len(await collect(first)) == 1
    listing.records = [DistributionRecord(**base, extra={"deliveryState": "DELIVERED"})]
    again = await collect(listing.watcher(checkpoint=first.checkpoint, polls=2))
    assert len(again) == 1


async def test_the_content_of_keyless_records_survives_a_checkpoint_round_trip() -> None:
    listing = Listing()
    listing.records = [keyless("QUEUED")]
    first = listing.watcher(polls=2)
    await collect(first)
    assert first.checkpoint["seen_by_content"] == {
        DAY.isoformat(): [fingerprint(keyless("QUEUED"), identity=True)]
    }
    assert await collect(listing.watcher(checkpoint=first.checkpoint, polls=2)) == []


async def test_keyless_contents_are_forgotten_once_no_longer_polled() -> None:
    listing = Listing()
    listing.records = [keyless("QUEUED")]
    first = listing.watcher(polls=2)
    await collect(first)
    listing.now = T0 + timedelta(days=10)  # the day it was seen is behind the lookback now
    listing.records = []
    later = listing.watcher(checkpoint=first.checkpoint, polls=2)
    await collect(later)
    assert "seen_by_content" not in later.checkpoint


def test_a_record_fingerprint_without_extra_is_what_it_was() -> None:
    stamp = datetime(2026, 3, 10, 10, tzinfo=UTC)
    record = DistributionRecord(
        invoice_number=1,
        invoice_date=DAY,
        distribution_status="QUEUED",
        payment_control_status="NONE",
        created_at=stamp,
        updated_at=stamp,
    )
    # The digest of the fields alone, as before extra counted (checkpoints stay valid).
    text = f"QUEUED|NONE|None|{stamp.isoformat()}|{stamp.isoformat()}|"
    assert fingerprint(record) == hashlib.blake2b(text.encode(), digest_size=8).hexdigest()
