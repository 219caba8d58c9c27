"""The batch journal: skip what is done, reconcile what was in flight, survive cancellation."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from aioresponses import aioresponses

from confirma_async import BatchStatus, ConfirmaClient, Journal, JournalError
from confirma_async.batch import default_action_key
from confirma_async.batch.window import SlidingWindow

from .batch_fakes import FakeCfis, comment, invoice

CREATED, EXISTS, FAILED = BatchStatus.CREATED, BatchStatus.ALREADY_EXISTS, BatchStatus.FAILED


@pytest.fixture
def cfis(mocked: aioresponses) -> FakeCfis:
    return FakeCfis(mocked)


def write_lines(path: Path, *records: dict[str, Any], tail: str = "") -> None:
    text = "".join(json.dumps(r) + "\n" for r in records) + tail
    path.write_text(text)


def read_lines(path: Path) -> list[dict[str, Any]]:
    """The item lines of a journal (the binding line, which names the server, left out)."""
    raw = path.read_text()
    assert raw == "" or raw.endswith("\n"), "every line must be complete"
    lines = [json.loads(line) for line in raw.splitlines()]
    return [line for line in lines if line.get("kind") != "_binding"]


def last_states(path: Path) -> dict[tuple[str, Any], str]:
    return {(r["kind"], r["key"]): r["status"] for r in read_lines(path)}


def inv(key: int, status: str, **extra: Any) -> dict[str, Any]:
    return {"kind": "invoice", "key": key, "status": status, **extra}


async def drain(stream: Any) -> list[Any]:
    async with stream as results:
        return [r async for r in results]


async def test_done_items_are_skipped_and_the_rest_is_reconciled(
    client: ConfirmaClient, cfis: FakeCfis, tmp_path: Path
) -> None:
    path = tmp_path / "job.jsonl"
    write_lines(
        path,
        inv(1, "SENDING"),
        inv(1, "CREATED"),
        inv(2, "ALREADY_EXISTS"),
        inv(3, "FAILED", error="BadRequestError"),
        inv(4, "SENDING"),  # died in flight, and the server had stored it
        inv(5, "SENDING"),  # died in flight before the server stored it
        inv(6, "FAILED", unknown=True),  # lookup failed last time
    )
    cfis.stored[4] = 1

    results = await drain(
        client.batch(journal=path).submit_invoices(invoice(n) for n in range(1, 8))
    )

    got = {r.key: r for r in results}
    assert len(results) == 7
    assert (got[1].status, got[1].from_journal, got[1].attempts) == (CREATED, True, 0)
    assert (got[2].status, got[2].from_journal) == (EXISTS, True)
    assert (got[3].status, got[3].lookups, got[3].attempts) == (CREATED, 0, 1)
    assert (got[4].status, got[4].lookups, got[4].attempts) == (EXISTS, 1, 0)
    assert (got[5].status, got[5].lookups, got[5].attempts) == (CREATED, 1, 1)
    assert (got[6].status, got[6].lookups, got[6].attempts) == (CREATED, 1, 1)
    assert (got[7].status, got[7].lookups) == (CREATED, 0)
    assert 1 not in cfis.posts
    assert 2 not in cfis.posts
    assert 4 not in cfis.posts
    assert cfis.stored == dict.fromkeys(range(3, 8), 1)
    states = last_states(path)
    assert all(states[("invoice", n)] in ("CREATED", "ALREADY_EXISTS") for n in range(1, 8))

    again = await drain(client.batch(journal=path).submit_invoices(invoice(n) for n in range(1, 8)))

    assert all(r.from_journal and r.ok for r in again)
    assert sum(cfis.posts.values()) == 4  # 3, 5, 6, 7 once each; the second run sent nothing


async def test_actions_in_flight_at_a_crash_are_never_resent(
    client: ConfirmaClient, cfis: FakeCfis, tmp_path: Path
) -> None:
    path = tmp_path / "actions.jsonl"
    keys = [default_action_key(comment(n)) for n in (1, 2, 3)]
    write_lines(
        path,
        {"kind": "action", "key": keys[0], "status": "CREATED"},
        {"kind": "action", "key": keys[1], "status": "SENDING"},
    )

    results = await drain(
        client.batch(ordered=True, journal=path).submit_actions([comment(n) for n in (1, 2, 3)])
    )

    assert [r.key for r in results] == keys
    assert (results[0].status, results[0].from_journal) == (CREATED, True)
    assert (results[1].status, results[1].outcome_unknown, results[1].from_journal) == (
        FAILED,
        True,
        True,
    )
    assert results[2].status is CREATED
    assert not results[2].from_journal
    assert [a["data"]["invoiceNumber"] for a in cfis.actions] == [3]


async def test_a_torn_last_line_is_ignored_and_cut_off(
    client: ConfirmaClient, cfis: FakeCfis, tmp_path: Path
) -> None:
    path = tmp_path / "job.jsonl"
    write_lines(path, inv(1, "CREATED"), tail='{"kind":"invoice","key":2,"sta')

    results = await drain(client.batch(journal=path).submit_invoices([invoice(1), invoice(2)]))

    assert {r.key: r.from_journal for r in results} == {1: True, 2: False}
    lines = read_lines(path)  # parses: the torn tail is gone, new lines are whole
    assert lines[0] == inv(1, "CREATED")
    assert [line["status"] for line in lines[1:]] == ["SENDING", "CREATED"]


async def test_an_unreadable_line_in_the_middle_is_an_error(
    client: ConfirmaClient, cfis: FakeCfis, tmp_path: Path
) -> None:
    path = tmp_path / "job.jsonl"
    path.write_text('{"kind":"invoice","key":1,"status":"CREATED"}\nnot json\n{}\n')

    with pytest.raises(JournalError, match=":2:"):
        await drain(client.batch(journal=path).submit_invoices([invoice(1)]))
    assert not cfis.posts


async def test_one_journal_cannot_be_open_twice(tmp_path: Path) -> None:
    first = Journal(tmp_path / "job.jsonl")
    first.open()
    try:
        with pytest.raises(JournalError, match="in use"):
            Journal(tmp_path / "job.jsonl").open()
    finally:
        first.close()
    second = Journal(tmp_path / "job.jsonl")
    second.open()
    second.close()


async def test_fsync_journal_writes_whole_lines(
    client: ConfirmaClient, cfis: FakeCfis, tmp_path: Path
) -> None:
    journal = Journal(tmp_path / "job.jsonl", fsync=True)

    await drain(client.batch(journal=journal).submit_invoices([invoice(1)]))

    assert [r["status"] for r in read_lines(Path(journal.path))] == ["SENDING", "CREATED"]
    assert not journal.is_open


async def test_cancel_mid_run_leaves_the_journal_consistent_and_resume_finishes(
    client: ConfirmaClient, cfis: FakeCfis, tmp_path: Path
) -> None:
    path = tmp_path / "job.jsonl"
    numbers = list(range(1, 41))
    for n in (9, 10):
        cfis.plan[n] = ["commit-hang"]  # stored, but the answer never comes
    held = asyncio.Event()
    stuck: set[int] = set()
    all_stuck = asyncio.Event()

    async def gate(number: int) -> None:
        if number in (9, 10, 11, 12):
            stuck.add(number)
            if len(stuck) == 4:
                all_stuck.set()
        if number in (11, 12):
            await held.wait()  # not stored: held before the server acts

    cfis.gate = gate
    got_eight = asyncio.Event()
    seen: list[int] = []

    async def consume() -> None:
        batch = client.batch(4, journal=path)
        async with batch.submit_invoices(invoice(n) for n in numbers) as results:
            async for result in results:
                seen.append(result.key)  # type: ignore[arg-type]
                if len(seen) == 8:
                    got_eight.set()

    task = asyncio.create_task(consume())
    await got_eight.wait()
    await all_stuck.wait()  # 9 and 10 stored but unanswered, 11 and 12 held unstored
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert sorted(seen) == list(range(1, 9))
    assert asyncio.all_tasks() == {asyncio.current_task()}  # nothing left running
    states = last_states(path)
    assert {k for k, s in states.items() if s == "CREATED"} == {("invoice", n) for n in range(1, 9)}
    assert {k for k, s in states.items() if s == "SENDING"} == {
        ("invoice", n) for n in (9, 10, 11, 12)
    }

    cfis.gate = None
    results = await drain(
        client.batch(4, journal=path).submit_invoices(invoice(n) for n in numbers)
    )

    got = {r.key: r for r in results}
    assert sorted(got) == numbers  # no gaps
    assert all(got[n].from_journal for n in range(1, 9))
    assert [got[n].status for n in (9, 10)] == [EXISTS, EXISTS]  # found by the lookup
    assert [got[n].attempts for n in (9, 10)] == [0, 0]
    assert [got[n].status for n in (11, 12)] == [CREATED, CREATED]
    assert cfis.stored == dict.fromkeys(numbers, 1)  # no duplicates


async def test_a_journal_that_cannot_be_written_stops_the_stream(
    client: ConfirmaClient, cfis: FakeCfis, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal = Journal(tmp_path / "job.jsonl")
    finished = journal.finished
    written: list[object] = []

    def finished_then_disk_full(*args: Any, **kwargs: Any) -> None:
        if len(written) == 5:
            raise JournalError("disk full")
        written.append(args[1])
        finished(*args, **kwargs)

    monkeypatch.setattr(journal, "finished", finished_then_disk_full)
    seen: list[object] = []

    async def consume() -> None:
        items = (invoice(n) for n in range(1, 101))
        async with client.batch(4, journal=journal).submit_invoices(items) as results:
            async for result in results:
                seen.append(result.key)

    with pytest.raises(JournalError, match="disk full"):
        await consume()

    assert set(seen) <= set(written)  # no result was handed back without its journal line
    assert sum(cfis.posts.values()) < 100  # the stream stopped, it did not run to the end
    assert not journal.is_open
    worker = SlidingWindow._work.__qualname__
    assert not [t for t in asyncio.all_tasks() if t.get_coro().__qualname__ == worker]
