"""A batch of actions stopped mid-request: in doubt only if the request may have been applied.

Actions have no lookup, so one the journal leaves in doubt is never sent again. A stop while the
transport waits to retry a 429, or renews the token after a 401, comes after an answer proving
nothing was applied: the next run sends such an action. A stop while the request is out leaves
it in doubt.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

from confirma_async import (
    ActionData,
    BatchResult,
    BatchStatus,
    ClientConfig,
    ConfirmaClient,
    InvoiceAction,
    InvoiceRequest,
    QueuedAction,
)
from confirma_async.models import from_wire
from confirma_async.testing import Sandbox, sample_invoice
from tests.log_signals import EventSignal

NUMBER = 750_000_101
ACTION = InvoiceAction(code="COMMENT", comment="note", data=ActionData(invoice_number=NUMBER))


async def stopped_once_then_run_again(
    sandbox: Sandbox, journal: Path, client: ConfirmaClient, stopped_when: asyncio.Future[Any]
) -> list[BatchResult[InvoiceAction, QueuedAction]]:
    """Run a batch of ``ACTION`` until ``stopped_when`` resolves, cancel it, then run it again.

    The second run uses a fresh token of its own (the first one may be mid-renewal).
    """
    first = client.batch(1, journal=journal)
    run = asyncio.create_task(first.run(first.submit_actions([ACTION])))
    await asyncio.wait([run, stopped_when], return_when=asyncio.FIRST_COMPLETED)
    assert stopped_when.done(), run  # the run is still going when it is stopped
    run.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await run
    assert sandbox.state.actions() == []
    async with ConfirmaClient(api_key=sandbox.create_token(), base_url=sandbox.base_url) as again:
        second = again.batch(1, journal=journal)
        return [r async for r in second.submit_actions([ACTION])]


async def store_the_invoice(sandbox: Sandbox) -> None:
    async with ConfirmaClient(api_key=sandbox.client_token, base_url=sandbox.base_url) as client:
        await client.invoices.create(from_wire(sample_invoice(NUMBER), InvoiceRequest))


async def stopped_while_held(
    sandbox: Sandbox, journal: Path, method: str, path: str
) -> list[BatchResult[InvoiceAction, QueuedAction]]:
    """Stop the first run once a ``method path`` request is held unanswered; run again."""
    with sandbox.faults.hold(method, path) as held:
        async with ConfirmaClient(
            api_key=sandbox.client_token, base_url=sandbox.base_url
        ) as client:
            waiting = asyncio.ensure_future(held.wait_held(1))
            results = await stopped_once_then_run_again(sandbox, journal, client, waiting)
            held.end()  # a renewal outlives its caller (A100): closing the client waits for it
    return results


def sent_by_the_next_run(
    sandbox: Sandbox, results: list[BatchResult[InvoiceAction, QueuedAction]]
) -> None:
    assert [(r.status, r.from_journal, r.outcome_unknown) for r in results] == [
        (BatchStatus.CREATED, False, False)
    ]
    assert [a.spec.comment for a in sandbox.state.actions()] == ["note"]


async def test_an_action_stopped_while_the_transport_waits_to_retry_a_429_is_sent_by_the_next_run(
    confirma_sandbox: Sandbox, tmp_path: Path
) -> None:
    sandbox = confirma_sandbox
    await store_the_invoice(sandbox)
    sandbox.faults.rate_limit_next(1, "POST", "/invoice/action", retry_after=3600)
    retrying = EventSignal("confirma_retry")  # logged just before the transport's wait
    config = ClientConfig(max_retries=2, retry_after_cap=3600)
    async with ConfirmaClient(
        api_key=sandbox.client_token, base_url=sandbox.base_url, config=config, logger=retrying
    ) as client:
        results = await stopped_once_then_run_again(
            sandbox, tmp_path / "actions.jsonl", client, retrying.seen
        )

    assert retrying.seen.result()["status"] == 429
    sent_by_the_next_run(sandbox, results)


async def test_an_action_stopped_while_the_token_is_renewed_after_a_401_is_sent_by_the_next_run(
    confirma_sandbox: Sandbox, tmp_path: Path
) -> None:
    sandbox = confirma_sandbox
    await store_the_invoice(sandbox)
    sandbox.faults.fail_next(1, "POST", "/invoice/action", status=401)

    results = await stopped_while_held(sandbox, tmp_path / "actions.jsonl", "GET", "/renew")

    sent_by_the_next_run(sandbox, results)


async def test_an_action_stopped_while_its_request_is_out_stays_in_doubt_and_is_not_resent(
    confirma_sandbox: Sandbox, tmp_path: Path
) -> None:
    sandbox = confirma_sandbox
    await store_the_invoice(sandbox)

    results = await stopped_while_held(
        sandbox, tmp_path / "actions.jsonl", "POST", "/invoice/action"
    )

    assert [(r.status, r.from_journal, r.outcome_unknown) for r in results] == [
        (BatchStatus.FAILED, True, True)
    ]
    assert sandbox.state.requests_received("POST", "/invoice/action") == 1
