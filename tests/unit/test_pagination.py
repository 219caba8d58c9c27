"""AsyncPager against a scripted window listing: order, splits, de-duplication, errors, resume."""

from __future__ import annotations

import asyncio
import json
from datetime import date, timedelta

import pytest

from confirma_async import (
    APITimeoutError,
    BadRequestError,
    ConfirmaError,
    RequestValidationError,
    ServerError,
)
from confirma_async.pagination import (
    PagerStateError,
    PaginationError,
    WindowTruncatedError,
)

from .pagination_fakes import START, FakeListing, days, drain, pager_tasks

D = timedelta(days=1)


def expected(listing: FakeListing, start: date, end: date) -> list[tuple[date, int]]:
    return [(d, n) for d in days(start, end) for n in range(listing.per_day(d))]


async def test_yields_every_record_in_window_order() -> None:
    listing = FakeListing(lambda d: d.day % 4)
    end = START + 20 * D
    got = [r async for r in listing.pager(START, end)]
    assert got == expected(listing, START, end)
    assert listing.calls == [(d, d) for d in days(START, end)]  # one-day windows, in order


async def test_ten_thousand_records_with_windows_that_must_split() -> None:
    # 60 days of 170-230 records, 14-day windows, at most 250 records per response.
    listing = FakeListing(lambda d: 170 + (d.toordinal() * 37) % 61, cap=250)
    end = START + 59 * D
    pager = listing.pager(START, end, window=14 * D)
    got = [r async for r in pager]
    want = expected(listing, START, end)
    assert len(want) > 10_000
    assert got == want  # complete, in order, no duplicates
    assert len(set(got)) == len(got)
    assert pager.stats.splits >= 8
    assert pager.stats.items == len(want)
    assert all((e - s).days < 2 for s, e in listing.calls if (s, e) not in _truncated(listing))


def _truncated(listing: FakeListing) -> set[tuple[date, date]]:
    assert listing.cap is not None
    return {(s, e) for s, e in listing.calls if len(listing.records(s, e)) > listing.cap}


async def test_truncated_one_day_window_raises_after_earlier_records() -> None:
    listing = FakeListing(lambda d: 500 if d == START + 3 * D else 5, cap=100)
    pager = listing.pager(START, START + 6 * D, window=2 * D)
    got = []
    with pytest.raises(WindowTruncatedError) as info:
        await drain(pager, got)
    assert got == expected(listing, START, START + 2 * D)  # everything before the bad day
    err = info.value
    assert (err.window_start, err.window_end) == (START + 3 * D, START + 3 * D)
    assert (err.returned, err.total) == (100, 500)
    assert "2026-01-04..2026-01-04" in str(err)
    assert "/fake" in str(err)
    assert pager.checkpoint["next"] == "2026-01-04"
    assert pager_tasks() == []


async def test_413_splits_down_to_one_day_whatever_min_window() -> None:
    listing = FakeListing(lambda d: 40, cap=100, counted=False)
    pager = listing.pager(START, START + 7 * D, window=8 * D, min_window=8 * D)
    got = [r async for r in pager]
    assert got == expected(listing, START, START + 7 * D)
    assert pager.stats.splits == 3  # 8 days -> 4 + 4 -> 2 + 2 + 2 + 2
    answered = [(s, e) for s, e in listing.calls if len(listing.records(s, e)) <= 100]
    assert [(e - s).days + 1 for s, e in answered] == [2, 2, 2, 2]


async def test_size_hint_splits_listings_without_counts() -> None:
    listing = FakeListing(lambda d: 30, counted=False)
    pager = listing.pager(START, START + 3 * D, window=4 * D, max_records_per_response=60)
    got = [r async for r in pager]
    assert got == expected(listing, START, START + 3 * D)
    assert listing.calls[0] == (START, START + 3 * D)
    assert pager.stats.splits == 3  # 4 days (120) -> 2+2 (60 each, at the hint) -> 1-day windows


@pytest.mark.parametrize(
    "error",
    [
        ServerError("boom", status=503),
        APITimeoutError("GET /fake timed out", outcome_unknown=False),
    ],
)
async def test_server_errors_and_timeouts_split_wide_windows(error: ConfirmaError) -> None:
    listing = FakeListing()
    listing.fail(START, START + 3 * D, error)
    pager = listing.pager(START, START + 3 * D, window=4 * D)
    assert [r async for r in pager] == expected(listing, START, START + 3 * D)
    assert listing.calls[1:3] == [(START, START + D), (START + 2 * D, START + 3 * D)]
    assert pager.stats.splits == 1


async def test_server_error_at_the_floor_surfaces_with_window_and_cause() -> None:
    listing = FakeListing()
    bad = (START + 2 * D, START + 3 * D)
    listing.fail(*bad, ServerError("boom", status=503, path="/fake"))
    pager = listing.pager(START, START + 5 * D, window=2 * D, min_window=2 * D)
    got = []
    with pytest.raises(PaginationError) as info:
        await drain(pager, got)
    assert got == expected(listing, START, START + D)
    err = info.value
    assert (err.window_start, err.window_end) == bad
    assert isinstance(err.__cause__, ServerError)
    assert err.error is err.__cause__
    assert "2026-01-03..2026-01-04" in str(err)
    assert "boom" in str(err)
    assert isinstance(err, ConfirmaError)


async def test_client_errors_are_not_split() -> None:
    listing = FakeListing()
    listing.fail(START, START + 3 * D, BadRequestError("bad", status=400))
    with pytest.raises(PaginationError) as info:
        await listing.pager(START, START + 3 * D, window=4 * D).to_list()
    assert isinstance(info.value.__cause__, BadRequestError)
    assert len(listing.calls) == 1


async def test_prefetched_failure_surfaces_only_when_reached() -> None:
    listing = FakeListing()
    listing.fail(START + 2 * D, START + 2 * D, BadRequestError("bad", status=400))
    pager = listing.pager(START, START + 5 * D, prefetch=3)
    it = aiter(pager)
    rest = [await anext(it)]
    await asyncio.sleep(0)  # the failing window has been fetched by now
    assert (START + 2 * D, START + 2 * D) in listing.calls
    with pytest.raises(PaginationError):
        await drain(it, rest)
    assert rest == expected(listing, START, START + D)


async def test_records_repeated_across_window_edges_are_yielded_once() -> None:
    listing = FakeListing(overlap=True)
    pager = listing.pager(START, START + 5 * D)
    got = [r async for r in pager]
    assert got == [*expected(listing, START, START + 5 * D), (START + 6 * D, 0)]
    assert pager.stats.duplicates == 5


async def test_empty_windows_still_give_pages() -> None:
    listing = FakeListing(lambda d: 2 if d.day % 2 else 0)
    pages = [p async for p in listing.pager(START, START + 3 * D).pages()]
    assert [(p.start, p.end, len(p.items)) for p in pages] == [
        (START + i * D, START + i * D, 2 if i % 2 == 0 else 0) for i in range(4)
    ]


async def test_pages_carry_their_split_windows() -> None:
    listing = FakeListing(lambda d: 10, cap=25)
    pages = [p async for p in listing.pager(START, START + 3 * D, window=4 * D).pages()]
    assert [(p.start, p.days) for p in pages] == [
        (START, 2),
        (START + 2 * D, 2),
    ]


async def test_window_grows_back_after_calm_windows() -> None:
    listing = FakeListing(lambda d: 50 if d < START + 4 * D else 1, cap=60)
    pager = listing.pager(START, START + 199 * D, window=16 * D)
    assert len(await pager.to_list()) == 4 * 50 + 196
    sizes = [(e - s).days + 1 for s, e in listing.calls]
    assert max(sizes[-3:]) == 16  # back at the configured window


async def test_to_list_limit_and_checkpoint_after_it() -> None:
    listing = FakeListing(lambda d: 4)
    pager = listing.pager(START, START + 3 * D)
    first = await pager.to_list(limit=6)
    assert first == expected(listing, START, START + 3 * D)[:6]
    assert pager_tasks() == []
    rest = await listing.pager(START, START + 3 * D, resume_from=pager.checkpoint).to_list()
    assert first + rest == expected(listing, START, START + 3 * D)


async def test_a_failed_to_list_leaves_the_checkpoint_where_it_started() -> None:
    # Its records went with the exception: a checkpoint past them would skip them on resume.
    listing = FakeListing(lambda d: 4)
    listing.fail(START + 2 * D, START + 2 * D, ServerError("down", status=503))
    pager = listing.pager(START, START + 3 * D)
    with pytest.raises(PaginationError):
        await pager.to_list()
    resumed = listing.pager(START, START + 3 * D, resume_from=pager.checkpoint)
    assert await resumed.to_list() == expected(listing, START, START + 3 * D)


async def test_a_pager_runs_once() -> None:
    pager = FakeListing().pager()
    await pager.to_list()
    with pytest.raises(PagerStateError, match="resume_from"):
        aiter(pager)
    with pytest.raises(PagerStateError):
        pager.pages()
    closed = FakeListing().pager()
    await closed.aclose()
    with pytest.raises(PagerStateError):
        await closed.to_list()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"window": timedelta(hours=12)}, "window"),
        ({"window": timedelta(days=1, hours=1)}, "window"),
        ({"window": 2}, "window"),
        ({"min_window": 3 * D, "window": 2 * D}, "min_window"),
        ({"prefetch": -1}, "prefetch"),
        ({"max_records_per_response": 0}, "max_records_per_response"),
        ({"end": START - D}, "end"),
        ({"resume_from": {"version": 1, "source": "/other", "next": "2026-01-01"}}, "source"),
        ({"resume_from": {"version": 9}}, "resume_from"),
    ],
)
def test_bad_arguments_fail_before_any_request(kwargs: dict[str, object], field: str) -> None:
    listing = FakeListing()
    with pytest.raises(RequestValidationError) as info:
        listing.pager(**kwargs)  # type: ignore[arg-type]
    assert field in info.value.field
    assert listing.started == []


def test_datetimes_are_not_dates() -> None:
    from datetime import datetime

    with pytest.raises(RequestValidationError):
        FakeListing().pager(datetime(2026, 1, 1))  # type: ignore[arg-type]


async def test_checkpoint_is_json_and_resumes_mid_window() -> None:
    listing = FakeListing(lambda d: 7)
    full = expected(listing, START, START + 4 * D)
    for crash_after in (0, 1, 6, 7, 8, 20, 34, 35):
        pager = listing.pager(START, START + 4 * D, window=2 * D)
        done = []
        if crash_after:
            async for rec in pager:
                done.append(rec)
                if len(done) == crash_after:
                    break
        saved = json.loads(json.dumps(pager.checkpoint))
        rest = await listing.pager(START, START + 4 * D, resume_from=saved).to_list()
        assert done + rest == full, crash_after


async def test_resume_skips_yielded_keys_across_a_split_window() -> None:
    # The crashed run read 3-day windows; the resumed one splits differently (cap forces 1 day).
    listing = FakeListing(lambda d: 10)
    full = expected(listing, START, START + 5 * D)
    pager = listing.pager(START, START + 5 * D, window=3 * D)
    done = []
    async for rec in pager:
        done.append(rec)
        if len(done) == 15:
            break
    saved = pager.checkpoint
    assert saved["next"] == "2026-01-01"
    assert len(saved["skip"]) == 15
    listing.cap = 12
    resumed = listing.pager(START, START + 5 * D, window=3 * D, resume_from=saved)
    rest = [r async for r in resumed]
    assert done + rest == full
    assert resumed.stats.skipped == 15
    # A checkpoint taken inside the resumed run still knows what the first run yielded.
    resumed2 = listing.pager(START, START + 5 * D, window=3 * D, resume_from=saved)
    it = aiter(resumed2)
    nxt = await anext(it)
    assert nxt == full[15]
    again = listing.pager(START, START + 5 * D, resume_from=resumed2.checkpoint)
    assert [nxt, *[r async for r in again]] == full[15:]


async def test_checkpoint_after_the_end() -> None:
    listing = FakeListing()
    pager = listing.pager(START, START + D)
    await pager.to_list()
    assert pager.checkpoint["next"] == "2026-01-03"
    assert pager.checkpoint["skip"] == []
    assert await listing.pager(START, START + D, resume_from=pager.checkpoint).to_list() == []
