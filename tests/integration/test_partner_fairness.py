"""Fairness on one partner: a bulk uploader cannot starve the clients that poll.

Asserted by order: for every poll that had to wait for a slot, how many uploads got a slot
between the moment the poll queued and the moment it got its own (round robin: at most one).
"""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from confirma_async import ConfirmaPartner
from confirma_async.partner import Lane
from confirma_async.testing import Sandbox

from .conftest import FAST, TODAY, make_invoice


class Turns:
    """Watches the scheduler: uploads granted while each poll waited."""

    def __init__(self, uploader: str) -> None:
        self.uploader = uploader
        self.uploads = 0
        self.queued_at: dict[str, int] = {}
        self.ahead: list[int] = []
        self.uploader_waiting = asyncio.Event()

    def __call__(self, event: str, lane: Lane) -> None:
        if lane.name == self.uploader:
            if event == "granted":
                self.uploads += 1
            else:
                self.uploader_waiting.set()
        elif event == "queued":
            self.queued_at[lane.name] = self.uploads
        elif lane.name in self.queued_at:
            self.ahead.append(self.uploads - self.queued_at.pop(lane.name))


@pytest.mark.parametrize(
    ("invoices", "pollers"),
    [
        (2_000, 49),
        pytest.param(20_000, 199, marks=pytest.mark.slow),
    ],
)
async def test_a_poll_waits_behind_at_most_one_upload(
    confirma_sandbox: Sandbox, invoices: int, pollers: int
) -> None:
    ids = [confirma_sandbox.add_client(f"Creditor {n}") for n in range(pollers + 1)]
    uploader = ids[0][0]
    turns = Turns(uploader)
    async with ConfirmaPartner(
        partner_token=confirma_sandbox.partner_token,
        base_url=confirma_sandbox.base_url,
        config=FAST,
        max_in_flight=8,
        observer=turns,
    ) as partner:
        for client_id, token in ids:
            await partner.register(client_id, token)

        async def upload() -> Counter[bool]:
            batch = partner.client(uploader).batch(256)
            items = (make_invoice(n) for n in range(1, invoices + 1))
            return Counter([r.ok async for r in batch.submit_invoices(items)])

        async def poll(client_id: str) -> None:
            for _ in range(3):
                await partner.client(client_id).invoices.distribution_window(TODAY, TODAY)

        uploading = asyncio.create_task(upload())
        await turns.uploader_waiting.wait()  # the uploader fills every slot and queues
        await asyncio.gather(*(poll(client_id) for client_id, _ in ids[1:]))
        polls_done_at = turns.uploads
        outcome = await uploading

    assert outcome == Counter({True: invoices})
    assert polls_done_at < invoices  # the polls ran while the upload did
    assert len(turns.ahead) > pollers  # most polls had to queue ...
    assert max(turns.ahead) <= 1  # ... and each waited behind one upload at most
    metrics = partner.metrics()
    assert metrics[uploader].sent == invoices
    assert all(metrics[client_id].sent == 3 for client_id, _ in ids[1:])
