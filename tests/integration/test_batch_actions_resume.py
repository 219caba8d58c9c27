"""Resuming a bulk action job: what a stopped run leaves the next one to send (with a journal).

An action cannot be looked up, so one that may have been applied is never sent again; one that
was provably refused must not be mistaken for it.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from confirma_async import (
    ActionData,
    BatchStatus,
    ClientConfig,
    ConfirmaClient,
    InvoiceAction,
    InvoiceRequest,
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
