"""BatchSubmitter against a scripted CFIS: statuses, reconciliation, validation, ordering."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aioresponses import CallbackResult, aioresponses

from confirma_async import (
    BadRequestError,
    BatchBusyError,
    BatchResult,
    BatchStatus,
    ConfigurationError,
    ConfirmaClient,
    ConflictError,
    DistributionRecord,
    InvoiceCreated,
    QueuedAction,
    RequestValidationError,
    ServerError,
)
from confirma_async.batch import default_action_key
from confirma_async.batch.invoices import LOOKUP_ROUNDS
from confirma_async.models._convert import to_wire

from .batch_fakes import FakeCfis, comment, invoice
from .conftest import TOKEN, url

CREATED, EXISTS, FAILED = BatchStatus.CREATED, BatchStatus.ALREADY_EXISTS, BatchStatus.FAILED


@pytest.fixture
def cfis(mocked: aioresponses) -> FakeCfis:
    return FakeCfis(mocked)


async def collect(stream: Any) -> list[BatchResult[Any, Any]]:
    async with stream as results:
        return [r async for r in results]


def by_key(results: list[BatchResult[Any, Any]]) -> dict[Any, BatchResult[Any, Any]]:
    return {r.key: r for r in results}


async def test_plain_upload_creates_each_invoice_once(
    client: ConfirmaClient, cfis: FakeCfis
) -> None:
    results = await collect(client.batch(4).submit_invoices(invoice(n) for n in range(1, 21)))

    assert sorted(r.key for r in results) == list(range(1, 21))
    assert {r.status for r in results} == {CREATED}
    assert all(isinstance(r.response, InvoiceCreated) and r.error is None for r in results)
    assert all(r.attempts == 1 and r.lookups == 0 for r in results)
    assert sorted(r.index for r in results) == list(range(20))
    assert cfis.stored == dict.fromkeys(range(1, 21), 1)


async def test_409_is_already_exists_without_lookup(client: ConfirmaClient, cfis: FakeCfis) -> None:
    cfis.stored[7] = 1

    [result] = await collect(client.batch().submit_invoices([invoice(7)]))

    assert result.status is EXISTS
    assert result.ok
    assert result.error is None
    assert result.response is None
    assert (cfis.posts[7], cfis.lookups[7], cfis.stored[7]) == (1, 0, 1)


@pytest.mark.parametrize("fault", ["commit-reset", "commit-500"])
async def test_unknown_outcome_and_found_is_already_exists_with_no_resend(
    client: ConfirmaClient, cfis: FakeCfis, fault: str
) -> None:
    cfis.plan[7] = [fault]

    [result] = await collect(client.batch().submit_invoices([invoice(7)]))

    assert result.status is EXISTS
    assert isinstance(result.response, DistributionRecord)
    assert result.response.invoice_number == 7
    assert (result.attempts, result.lookups) == (1, 1)
    assert (cfis.posts[7], cfis.lookups[7], cfis.stored[7]) == (1, 1, 1)


@pytest.mark.parametrize("fault", ["reset", "500", "503"])
async def test_unknown_outcome_and_not_found_is_resent(
    client: ConfirmaClient, cfis: FakeCfis, fault: str
) -> None:
    cfis.plan[7] = [fault, fault]

    [result] = await collect(client.batch().submit_invoices([invoice(7)]))

    assert result.status is CREATED
    assert (result.attempts, result.lookups) == (3, 2)
    assert (cfis.posts[7], cfis.lookups[7], cfis.stored[7]) == (3, 2, 1)


async def test_unknown_outcome_with_failing_lookup_is_failed_and_never_resent(
    client: ConfirmaClient, cfis: FakeCfis
) -> None:
    cfis.plan[7] = ["500"]
    cfis.lookup_plan[7] = ["503"] * (client.config.max_retries + 1) * LOOKUP_ROUNDS

    [result] = await collect(client.batch().submit_invoices([invoice(7)]))

    assert result.status is FAILED
    assert result.outcome_unknown
    assert isinstance(result.error, ServerError)
    assert result.error.outcome_unknown
    assert result.lookups == LOOKUP_ROUNDS
    assert (cfis.posts[7], cfis.lookups[7]) == (1, (client.config.max_retries + 1) * LOOKUP_ROUNDS)


async def test_a_lookup_that_fails_transiently_is_asked_again(
    client: ConfirmaClient, cfis: FakeCfis
) -> None:
    cfis.plan[7] = ["500"]
    cfis.lookup_plan[7] = ["503"] * (client.config.max_retries + 1)  # one whole round fails

    [result] = await collect(client.batch().submit_invoices([invoice(7)]))

    assert result.status is CREATED
    assert (result.attempts, result.lookups) == (2, 2)
    assert (cfis.posts[7], cfis.stored[7]) == (2, 1)


async def test_resends_are_bounded_by_max_attempts(client: ConfirmaClient, cfis: FakeCfis) -> None:
    cfis.plan[7] = ["500"] * 10

    [result] = await collect(client.batch(max_attempts=3).submit_invoices([invoice(7)]))

    assert result.status is FAILED
    assert not result.outcome_unknown  # the last lookup said: not on the server
    assert isinstance(result.error, ServerError)
    assert (cfis.posts[7], cfis.lookups[7], cfis.stored[7]) == (3, 3, 0)


async def test_exhausted_429_is_resent_as_a_new_attempt(
    client: ConfirmaClient, cfis: FakeCfis
) -> None:
    transport_tries = client.config.max_retries + 1
    cfis.plan[7] = ["429"] * transport_tries

    [result] = await collect(client.batch().submit_invoices([invoice(7)]))

    assert result.status is CREATED
    assert (result.attempts, result.lookups) == (2, 0)
    assert cfis.posts[7] == transport_tries + 1


async def test_server_400_is_failed_with_field_errors_and_the_batch_goes_on(
    client: ConfirmaClient, cfis: FakeCfis
) -> None:
    cfis.plan[2] = ["400"]

    results = by_key(await collect(client.batch().submit_invoices(invoice(n) for n in (1, 2, 3))))

    assert results[2].status is FAILED
    assert not results[2].outcome_unknown
    assert isinstance(results[2].error, BadRequestError)
    assert "invoice.header.currencyCode" in results[2].error.field_errors
    assert results[1].status is results[3].status is CREATED
    assert cfis.posts[2] == 1


async def test_invalid_items_fail_without_any_request(
    client: ConfirmaClient, cfis: FakeCfis
) -> None:
    bad_currency = to_wire(invoice(3))
    bad_currency["invoice"]["header"]["currencyCode"] = "EURO"
    missing_field = to_wire(invoice(4))
    del missing_field["processing"]
    items: list[Any] = ["not an invoice", 42, bad_currency, missing_field, to_wire(invoice(5))]

    results = await collect(client.batch().submit_invoices(items))

    assert len(results) == 5
    failed = sorted((r for r in results if r.status is FAILED), key=lambda r: r.index)
    assert [r.index for r in failed] == [0, 1, 2, 3]
    assert all(isinstance(r.error, RequestValidationError) for r in failed)
    assert all(r.attempts == 0 and not r.outcome_unknown for r in failed)
    assert [r.key for r in failed] == [None, None, 3, 4]
    assert "currencyCode" in failed[2].error.field  # type: ignore[union-attr]
    assert dict(cfis.posts) == {5: 1}  # only the valid mapping was sent
    assert by_key(results)[5].status is CREATED


async def test_ordered_mode_yields_in_input_order(client: ConfirmaClient, cfis: FakeCfis) -> None:
    first_may_answer = asyncio.Event()
    count = 10

    async def gate(number: int) -> None:
        if number == 1:
            await first_may_answer.wait()
        elif len(cfis.answered) == count - 2:  # every other one has been answered
            first_may_answer.set()

    cfis.gate = gate
    items = [invoice(n) for n in range(1, count + 1)]

    results = await collect(client.batch(count, ordered=True).submit_invoices(items))

    assert cfis.answered[-1] == 1  # the first item was answered last...
    assert [r.key for r in results] == list(range(1, count + 1))  # ...yet yielded first
    assert [r.index for r in results] == list(range(count))


async def test_unordered_mode_yields_in_completion_order(
    client: ConfirmaClient, cfis: FakeCfis
) -> None:
    release_first = asyncio.Event()

    async def gate(number: int) -> None:
        if number == 1:
            await release_first.wait()

    cfis.gate = gate
    seen: list[int] = []
    async with client.batch(5).submit_invoices(invoice(n) for n in range(1, 6)) as results:
        async for result in results:
            seen.append(result.key)  # type: ignore[arg-type]
            if len(seen) == 4:  # the held item cannot hold back the others
                release_first.set()

    assert sorted(seen[:4]) == [2, 3, 4, 5]
    assert seen[4] == 1


async def test_async_iterable_input(client: ConfirmaClient, cfis: FakeCfis) -> None:
    async def source() -> AsyncIterator[Any]:
        for n in range(1, 6):
            await asyncio.sleep(0)
            yield invoice(n)

    summary = await client.batch(2).run(client.batch(2).submit_invoices(source()))

    assert (summary.total, summary.created, summary.failed) == (5, 5, 0)
    assert summary.ok


async def test_run_counts_every_status(client: ConfirmaClient, cfis: FakeCfis) -> None:
    cfis.stored[2] = 1
    cfis.plan[3] = ["400"]
    cfis.plan[4] = ["commit-reset"]
    seen: list[int] = []
    batch = client.batch(3)

    summary = await batch.run(
        batch.submit_invoices([invoice(n) for n in (1, 2, 3, 4)] + ["junk"]),
        on_result=lambda r: seen.append(r.index),
    )

    assert (summary.total, summary.created, summary.already_exists) == (5, 1, 2)
    assert (summary.failed, summary.outcome_unknown, summary.lookups) == (2, 0, 1)
    assert not summary.ok
    assert sorted(seen) == [0, 1, 2, 3, 4]


async def test_source_error_is_raised_after_in_flight_results(
    client: ConfirmaClient, cfis: FakeCfis
) -> None:
    def source() -> Any:
        yield invoice(1)
        yield invoice(2)
        raise OSError("input file vanished")

    seen: list[int] = []

    async def consume() -> None:
        async with client.batch(4).submit_invoices(source()) as results:
            async for result in results:
                seen.append(result.key)  # type: ignore[arg-type]

    with pytest.raises(OSError, match="vanished"):
        await consume()

    assert sorted(seen) == [1, 2]
    assert cfis.stored == {1: 1, 2: 1}


async def test_actions_get_one_result_each(client: ConfirmaClient, cfis: FakeCfis) -> None:
    cfis.action_plan = ["queue", "404", "reset", "queue"]
    items: list[Any] = [comment(1), comment(2), comment(3), {"code": "COMMENT", "data": {}}]

    results = await collect(client.batch(1, ordered=True).submit_actions(items))

    assert [r.status for r in results] == [CREATED, FAILED, FAILED, FAILED]
    assert isinstance(results[0].response, QueuedAction)
    assert results[0].key == default_action_key(comment(1))  # keyed by content, not position
    assert str(results[0].key).startswith("COMMENT/invoice=1/")
    assert not results[1].outcome_unknown  # a 404 queues nothing (A9)
    assert results[2].outcome_unknown
    assert results[2].attempts == 1
    assert isinstance(results[3].error, RequestValidationError)
    assert results[3].attempts == 0
    assert len(cfis.actions) == 1


async def test_action_key_function(client: ConfirmaClient, cfis: FakeCfis) -> None:
    batch = client.batch()
    stream = batch.submit_actions([comment(1, "a"), comment(2, "b")], key=lambda a: str(a.comment))

    results = await collect(stream)

    assert sorted(r.key for r in results) == ["a", "b"]  # type: ignore[type-var]


async def test_a_submitter_runs_one_stream_at_a_time(
    client: ConfirmaClient, cfis: FakeCfis
) -> None:
    async def hold_two(number: int) -> None:
        if number == 2:
            await asyncio.Event().wait()

    cfis.gate = hold_two
    batch = client.batch()
    async with batch.submit_invoices([invoice(1), invoice(2)]) as first:
        assert (await first.__anext__()).key == 1  # the stream is running, item 2 is held
        with pytest.raises(BatchBusyError):
            await collect(batch.submit_invoices([invoice(3)]))
    # Leaving the block cancelled the held request; the submitter is free again.
    assert batch.stats.in_flight == 0
    assert [r.key for r in await collect(batch.submit_invoices([invoice(3)]))] == [3]


@pytest.mark.parametrize(
    "kwargs",
    [{"concurrency": 0}, {"concurrency": True}, {"max_attempts": 0}, {"rate_limit": 0}],
)
def test_bad_batch_arguments(client: ConfirmaClient, kwargs: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        client.batch(**kwargs)


def test_items_must_be_iterable(client: ConfirmaClient) -> None:
    with pytest.raises(ConfigurationError):
        client.batch().submit_invoices(invoice(1))  # type: ignore[arg-type]


async def test_conflict_error_class_is_what_409_maps_to() -> None:
    # The submitter relies on A7: 409 is ConflictError (the duplicate signal).
    from confirma_async.errors import status_error_class

    assert status_error_class(409) is ConflictError


async def test_token_expiry_mid_batch_costs_one_renewal_shared_by_all_workers(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    workers = 32
    old_token_requests: list[int] = []
    all_in = asyncio.Event()
    renewals: list[str] = []

    async def post(_url: Any, **kwargs: Any) -> CallbackResult:
        number = json.loads(kwargs["data"])["invoice"]["header"]["number"]
        if kwargs["headers"]["X-Api-Key"] == TOKEN:  # every worker holds the expired token
            old_token_requests.append(number)
            if len(old_token_requests) == workers:
                all_in.set()
            await all_in.wait()
            return CallbackResult(status=401, payload={"message": "access token expired"})
        return CallbackResult(status=201, payload={"invoiceNumber": number})

    def renew(_url: Any, **kwargs: Any) -> CallbackResult:
        renewals.append(kwargs["headers"]["X-Api-Key"])
        return CallbackResult(status=200, payload={"token": "tok-renewed"})

    mocked.post(url("/invoice"), callback=post, repeat=True)
    mocked.get(url("/renew"), callback=renew, repeat=True)

    results = await collect(client.batch(workers).submit_invoices(invoice(n) for n in range(1, 33)))

    assert [r.status for r in results] == [CREATED] * workers
    assert all(r.attempts == 1 for r in results)  # the 401 replay is inside one attempt
    assert sorted(old_token_requests) == list(range(1, 33))
    assert renewals == [TOKEN]  # one renewal, shared by all 32 workers
    assert client.tokens.renewals == 1
