"""The journal interface's contract, run against both stores: the JSONL journal and PostgreSQL.

Each test runs once per store (``store`` fixture). The first tests talk to the interface itself
(``get``, ``sending``, ``open``); the others run the batch machinery through it against the
sandbox and read the server's own record (``accepted_counts``, ``responses_sent``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from confirma_async import BatchStatus, ConfirmaClient, InvoiceRequest, JournalError
from confirma_async.models import from_wire
from confirma_async.testing import Sandbox, sample_invoice

from .stores import JsonlStore, PostgresStore, Store, number

CREATED, EXISTS, FAILED = BatchStatus.CREATED, BatchStatus.ALREADY_EXISTS, BatchStatus.FAILED
FIRST = 810_000_001
TARGET = "http://127.0.0.1:1/api/v1/partner"


def invoices(count: int) -> list[dict[str, Any]]:
    return [sample_invoice(FIRST + i, payment_control=False) for i in range(count)]


@pytest_asyncio.fixture(params=["jsonl", "postgres"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    made: Store = (
        JsonlStore(tmp_path)
        if request.param == "jsonl"
        else PostgresStore(request.getfixturevalue("postgres_dsn"))
    )
    yield made
    await made.close()


def posts(sandbox: Sandbox) -> int:
    return sandbox.state.requests_received("POST", "/invoice")


# --- the interface itself -----------------------------------------------------------------------


async def test_a_fresh_store_knows_no_item(store: Store) -> None:
    journal = await store.journal(invoices(3), TARGET)
    assert [journal.get("invoice", FIRST + i) for i in range(3)] == [None, None, None]


async def test_an_item_being_sent_reads_back_as_possibly_sent(store: Store) -> None:
    journal = await store.journal(invoices(2), TARGET)
    journal.sending("invoice", FIRST, 77)
    entry = journal.get("invoice", FIRST)
    assert entry is not None
    assert (entry.maybe_sent, entry.done, entry.content) == (True, False, 77)
    assert journal.get("invoice", FIRST + 1) is None


async def test_a_store_bound_to_another_server_is_refused_unless_rebound(store: Store) -> None:
    journal = await store.journal(invoices(1), TARGET)
    journal.close()
    with pytest.raises(JournalError, match="belongs to server"):
        journal.open("http://127.0.0.1:2/api/v1/partner")
    journal.open("http://127.0.0.1:2/api/v1/partner", rebind=True)
    journal.close()


async def test_sending_is_refused_once_the_store_cannot_record_it(store: Store) -> None:
    journal = await store.journal(invoices(1), TARGET)
    if isinstance(store, JsonlStore):
        journal.close()  # the file is gone from under the run
    else:
        journal.valid_until = 0.0  # type: ignore[attr-defined]  # the lease ran out
    with pytest.raises(JournalError):
        journal.sending("invoice", FIRST, 1)


# --- the batch machinery through it -------------------------------------------------------------


async def test_a_run_sends_every_item_once_and_records_it(
    store: Store, confirma_client: ConfirmaClient, confirma_sandbox: Sandbox
) -> None:
    items = invoices(40)
    results = await store.run(confirma_client, items)
    assert len(results) == 40
    assert {r.key for r in results} == {FIRST + i for i in range(40)}
    assert {r.status for r in results} == {CREATED}
    assert confirma_sandbox.state.accepted_counts() == {FIRST + i: 1 for i in range(40)}
    assert await store.states() == {FIRST + i: "created" for i in range(40)}


async def test_a_second_run_sends_nothing(
    store: Store, confirma_client: ConfirmaClient, confirma_sandbox: Sandbox
) -> None:
    items = invoices(20)
    await store.run(confirma_client, items)
    before = posts(confirma_sandbox)
    again = await store.run(confirma_client, items)
    assert posts(confirma_sandbox) == before
    assert all(r.ok and r.attempts == 0 for r in again)
    assert await store.states() == {FIRST + i: "created" for i in range(20)}


async def test_an_item_left_sending_is_looked_up_before_it_is_sent_again(
    store: Store, confirma_client: ConfirmaClient, confirma_sandbox: Sandbox
) -> None:
    items = invoices(10)
    committed = {FIRST, FIRST + 1}  # the dead process's requests that reached the server
    lost = {FIRST + 2}  # sent, but never arrived
    for item in items[:2]:
        await confirma_client.invoices.create(from_wire(item, InvoiceRequest))
    await store.crashed_while_sending(confirma_client, items, committed | lost)

    results = {r.key: r for r in await store.run(confirma_client, items)}

    for key in committed:  # found by the lookup: never sent again
        assert (results[key].status, results[key].attempts, results[key].lookups) == (EXISTS, 0, 1)
    for key in lost:  # proven absent by the lookup, then sent
        assert (results[key].status, results[key].attempts, results[key].lookups) == (CREATED, 1, 1)
    # The rest is sent once. (The job store also looks up what the dead worker had merely
    # claimed: a claim is all it knows of a dead worker, so it counts as possibly sent.)
    others = [results[number(item)] for item in items[3:]]
    assert {(r.status, r.attempts) for r in others} == {(CREATED, 1)}
    expected_lookups = {0} if isinstance(store, JsonlStore) else {1}
    assert {r.lookups for r in others} == expected_lookups
    assert confirma_sandbox.state.accepted_counts() == {FIRST + i: 1 for i in range(10)}
    assert confirma_sandbox.state.responses_sent("POST", "/invoice", status=409) == 0


async def test_an_unknown_outcome_is_looked_up_on_the_next_run(
    store: Store, confirma_client: ConfirmaClient, confirma_sandbox: Sandbox
) -> None:
    items = invoices(1)
    faults = confirma_sandbox.faults
    faults.drop_next(1, "POST", "/invoice", commit=True)  # stored, then the connection dies
    faults.fail_next(1000, "GET", "/invoice/distribution")  # and the lookup cannot tell
    (first,) = await store.run(confirma_client, items)
    assert (first.status, first.outcome_unknown) == (FAILED, True)
    assert await store.states() == {FIRST: "failed"}

    faults.clear()
    again = {r.key: r for r in await store.run(confirma_client, items)}
    assert (again[FIRST].status, again[FIRST].attempts, again[FIRST].lookups) == (EXISTS, 0, 1)
    assert await store.states() == {FIRST: "already_exists"}
    assert confirma_sandbox.state.accepted_counts() == {FIRST: 1}
