"""Finding 6: a journal is tied to the server, the creditor and the content it journals."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest
from aioresponses import aioresponses

from confirma_async import BatchStatus, ConfirmaClient, Journal, JournalError

from ..unit.batch_fakes import FakeCfis, invoice
from ..unit.conftest import BASE, FAST, TOKEN

OTHER = "https://other-cfis.test/api/v1/partner"
NUMBERS = range(1, 6)


@pytest.fixture
def mocked() -> Any:
    with aioresponses() as m:
        yield m


def client(base_url: str = BASE, **kw: Any) -> ConfirmaClient:
    return ConfirmaClient(api_key=kw.pop("api_key", TOKEN), base_url=base_url, config=FAST, **kw)


async def upload(c: ConfirmaClient, path: Path, items: list[Any], **kw: Any) -> list[Any]:
    async with c:
        batch = c.batch(4, journal=path, ordered=True, **kw)
        return [r async for r in batch.submit_invoices(items)]


def requests_to(mocked: aioresponses, base: str) -> int:
    return sum(len(calls) for (_, u), calls in mocked.requests.items() if str(u).startswith(base))


async def test_a_journal_reused_against_another_server_is_refused_before_any_request(
    mocked: aioresponses, tmp_path: Path
) -> None:
    FakeCfis(mocked)
    path = tmp_path / "journal.jsonl"
    await upload(client(), path, [invoice(n) for n in NUMBERS])

    with pytest.raises(JournalError, match=r"other-cfis\.test"):
        await upload(client(OTHER), path, [invoice(n) for n in NUMBERS])

    assert requests_to(mocked, OTHER) == 0
    released = Journal(path)
    released.open()  # the refused run let go of its lock
    released.close()


async def test_rebinding_a_journal_is_an_explicit_choice(
    mocked: aioresponses, tmp_path: Path
) -> None:
    FakeCfis(mocked)
    path = tmp_path / "journal.jsonl"
    await upload(client(), path, [invoice(n) for n in NUMBERS])

    results = await upload(
        client(OTHER), path, [invoice(n) for n in NUMBERS], accept_journal_mismatch=True
    )

    assert all(r.from_journal and r.ok for r in results)  # the user said the records hold
    assert requests_to(mocked, OTHER) == 0
    again = await upload(client(OTHER), path, [invoice(n) for n in NUMBERS])
    assert all(r.from_journal for r in again)  # now bound to OTHER: no override needed


async def test_a_journal_of_another_creditor_is_refused_and_a_rotated_key_is_not(
    mocked: aioresponses, tmp_path: Path
) -> None:
    FakeCfis(mocked)
    path = tmp_path / "journal.jsonl"
    await upload(client(client_id="creditor-A"), path, [invoice(n) for n in NUMBERS])

    rotated = await upload(
        client(client_id="creditor-A", api_key="tok-RENEWED-9e1b"),
        path,
        [invoice(n) for n in NUMBERS],
    )
    assert all(r.from_journal for r in rotated)
    with pytest.raises(JournalError, match="client"):
        await upload(client(client_id="creditor-B"), path, [invoice(n) for n in NUMBERS])

    text = path.read_text()
    assert "creditor-A" not in text  # a fingerprint, not the identifier
    assert TOKEN not in text
    assert "RENEWED" not in text
    binding = json.loads(text.splitlines()[0])
    assert binding["kind"] == "_binding"
    assert binding["target"] == BASE
    assert len(binding["client"]) == 16


async def test_the_same_numbers_with_new_amounts_fail_instead_of_being_skipped(
    mocked: aioresponses, tmp_path: Path
) -> None:
    cfis = FakeCfis(mocked)
    path = tmp_path / "journal.jsonl"
    await upload(client(), path, [invoice(n) for n in NUMBERS])
    changed = [_with_amount(invoice(n), "99.00") if n % 2 else invoice(n) for n in NUMBERS]

    results = await upload(client(), path, changed)

    refused = [r for r in results if r.key % 2]
    assert all(r.status is BatchStatus.FAILED for r in refused)
    assert all(isinstance(r.error, JournalError) and not r.outcome_unknown for r in refused)
    assert all("other content" in str(r.error) for r in refused)
    assert all(r.from_journal and r.ok for r in results if not r.key % 2)  # unchanged: skipped
    assert sum(cfis.posts.values()) == len(NUMBERS)  # only the first run's POSTs


async def test_new_amounts_go_by_the_journal_when_the_user_accepts_the_mismatch(
    mocked: aioresponses, tmp_path: Path
) -> None:
    cfis = FakeCfis(mocked)
    path = tmp_path / "journal.jsonl"
    await upload(client(), path, [invoice(n) for n in NUMBERS])
    changed = [_with_amount(invoice(n), "99.00") for n in NUMBERS]

    results = await upload(client(), path, changed, accept_journal_mismatch=True)

    assert all(r.from_journal and r.ok for r in results)
    assert sum(cfis.posts.values()) == len(NUMBERS)


def _with_amount(request: Any, amount: str) -> Any:
    amounts = attrs.evolve(request.invoice.amounts, total_amount=Decimal(amount))
    return attrs.evolve(request, invoice=attrs.evolve(request.invoice, amounts=amounts))
