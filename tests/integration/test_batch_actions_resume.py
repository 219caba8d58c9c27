"""Resuming a bulk action job: what a stopped run leaves the next one to send (with a journal).

An action cannot be looked up, so one that may have been applied is never sent again; one that
was provably refused must not be mistaken for it; one whose key was sent with other content is
refused, as an invoice is.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from confirma_async import (
    ActionData,
    BatchResult,
    BatchStatus,
    ClientConfig,
    ConfirmaClient,
    InvoiceAction,
    InvoiceRequest,
    JournalError,
    QueuedAction,
)
from confirma_async.models import from_wire
from confirma_async.testing import Sandbox, sample_invoice

NUMBER = 750_000_001


async def test_an_action_stopped_while_waiting_to_be_resent_after_a_429_is_sent_by_the_next_run(
    confirma_sandbox: Sandbox, tmp_path: Path
) -> None:
    sandbox, journal = confirma_sandbox, tmp_path / "actions.jsonl"
    action = InvoiceAction(code="COMMENT", comment="note", data=ActionData(invoice_number=NUMBER))
    config = ClientConfig(max_retries=0)  # the 429 reaches the batch, which waits to re-send
    async with ConfirmaClient(
        api_key=sandbox.client_token, base_url=sandbox.base_url, config=config
    ) as client:
        await client.invoices.create(from_wire(sample_invoice(NUMBER), InvoiceRequest))
        sandbox.faults.rate_limit_next(1, "POST", "/invoice/action")
        first = client.batch(1, journal=journal)
        pausing: asyncio.Future[float] = asyncio.get_running_loop().create_future()

        async def pause_until_cancelled(seconds: float) -> None:
            pausing.set_result(seconds)
            await asyncio.get_running_loop().create_future()

        first.pacing.sleep = pause_until_cancelled
        run = asyncio.create_task(first.run(first.submit_actions([action])))
        await asyncio.wait([run, pausing], return_when=asyncio.FIRST_COMPLETED)
        assert pausing.done()  # refused with 429, now waiting to re-send
        run.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await run
        assert sandbox.state.actions() == []

        second = client.batch(1, journal=journal)
        results = [r async for r in second.submit_actions([action])]

    assert [(r.status, r.from_journal, r.outcome_unknown) for r in results] == [
        (BatchStatus.CREATED, False, False)
    ]
    assert [a.spec.comment for a in sandbox.state.actions()] == ["note"]


async def sent_then_changed(
    sandbox: Sandbox, journal: Path, **batch: bool
) -> list[BatchResult[InvoiceAction, QueuedAction]]:
    """Send an action under the caller's key ``note-1``; resend that key with another comment."""
    first, changed = (
        InvoiceAction(code="COMMENT", comment=text, data=ActionData(invoice_number=NUMBER))
        for text in ("note", "another note")
    )
    async with ConfirmaClient(api_key=sandbox.client_token, base_url=sandbox.base_url) as client:
        await client.invoices.create(from_wire(sample_invoice(NUMBER), InvoiceRequest))
        sent = client.batch(1, journal=journal)
        assert [r.status async for r in sent.submit_actions([first], key=lambda a: "note-1")] == [
            BatchStatus.CREATED
        ]
        again = client.batch(1, journal=journal, **batch)
        return [r async for r in again.submit_actions([changed], key=lambda a: "note-1")]


async def test_an_action_whose_key_was_sent_with_other_content_is_refused_not_skipped(
    confirma_sandbox: Sandbox, tmp_path: Path
) -> None:
    (result,) = await sent_then_changed(confirma_sandbox, tmp_path / "actions.jsonl")
    assert result.status == BatchStatus.FAILED
    assert isinstance(result.error, JournalError)
    assert "action 'note-1': the journal recorded other content" in str(result.error)
    assert [a.spec.comment for a in confirma_sandbox.state.actions()] == ["note"]


async def test_accepting_journal_mismatches_goes_by_the_journal_for_a_changed_action(
    confirma_sandbox: Sandbox, tmp_path: Path
) -> None:
    (result,) = await sent_then_changed(
        confirma_sandbox, tmp_path / "actions.jsonl", accept_journal_mismatch=True
    )
    assert (result.status, result.from_journal) == (BatchStatus.CREATED, True)
    assert [a.spec.comment for a in confirma_sandbox.state.actions()] == ["note"]
