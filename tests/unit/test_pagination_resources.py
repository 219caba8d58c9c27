"""Listing methods build pagers over the right endpoint, query and record key (aioresponses)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from aioresponses import CallbackResult, aioresponses
from yarl import URL

from confirma_async import ConfirmaClient, RequestValidationError
from confirma_async.pagination import AsyncPager, PaginationError
from confirma_async.pagination.pages import Unbuilt

from .conftest import url

D = timedelta(days=1)
START = date(2026, 2, 1)


def record(number: int, day: str) -> dict[str, Any]:
    return {
        "invoiceNumber": number,
        "invoiceDate": day,
        "caseId": None,
        "distributionMethod": "EMAIL",
        "distributionStatus": "DELIVERED",
        "paymentControlStatus": "NONE",
        "createdAt": f"{day}T10:00:00.000Z",
        "updatedAt": f"{day}T10:15:00.000Z",
        "deliveredAt": f"{day}T10:15:00.000Z",
    }


class Server:
    """Answers a listing per query from ``answer(query)``; logs every query."""

    def __init__(
        self, mocked: aioresponses, path: str, answer: Callable[[dict[str, str]], Any]
    ) -> None:
        self.queries: list[dict[str, str]] = []
        self.answer = answer
        mocked.get(url(path), callback=self._reply, repeat=True)

    def _reply(self, request_url: URL, **kwargs: Any) -> CallbackResult:
        query = {**request_url.query, **(kwargs.get("params") or {})}
        self.queries.append(query)
        result = self.answer(query)
        if isinstance(result, CallbackResult):
            return result
        return CallbackResult(status=200, payload=result)


def day_range(query: dict[str, str], lo: str, hi: str) -> list[date]:
    start, end = date.fromisoformat(query[lo]), date.fromisoformat(query[hi])
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


async def test_distributions_walk_windows_and_split_cut_ones(
    client: ConfirmaClient, mocked: aioresponses
) -> None:
    # Three records a day; the server returns at most four per response (A11 totalCount).
    def answer(query: dict[str, str]) -> Any:
        found = [
            record(int(d.strftime("%m%d")) * 10 + i, d.isoformat())
            for d in day_range(query, "fromInvDate", "toInvDate")
            for i in range(3)
        ]
        return {"metaData": {"totalCount": len(found)}, "distributions": found[:4]}

    server = Server(mocked, "/invoice/distribution", answer)
    pager = client.invoices.distributions(START, START + 3 * D, window=2 * D, fetch_type="ALL")
    assert isinstance(pager, AsyncPager)
    got = [r.invoice_number async for r in pager]
    assert got == [2010, 2011, 2012, 2020, 2021, 2022, 2030, 2031, 2032, 2040, 2041, 2042]
    assert pager.stats.splits == 2
    assert {q["fetchType"] for q in server.queries} == {"ALL"}
    assert ("2026-02-01", "2026-02-02") in {
        (q["fromInvDate"], q["toInvDate"]) for q in server.queries
    }
    assert pager.checkpoint["source"] == "/invoice/distribution"


async def test_distributions_filter_by_invoice_number(
    client: ConfirmaClient, mocked: aioresponses
) -> None:
    server = Server(
        mocked,
        "/invoice/distribution",
        lambda q: {"metaData": {"totalCount": 0}, "distributions": []},
    )
    assert await client.invoices.distributions(START, START, invoice_number=7).to_list() == []
    assert server.queries[0]["invoiceNumber"] == "7"
    with pytest.raises(RequestValidationError):
        client.invoices.distributions(START, START, invoice_number=0)


async def test_payments_split_on_413_and_key_by_a12_tuple(
    client: ConfirmaClient, mocked: aioresponses
) -> None:
    def answer(query: dict[str, str]) -> Any:
        window = day_range(query, "fromDate", "toDate")
        if len(window) > 1:
            return CallbackResult(status=413, payload={"code": "WINDOW_TOO_LARGE", "message": "x"})
        day = window[0].isoformat()
        pay = {"caseId": 1, "invoiceNumber": "11", "paymentDate": f"{day}T00:00:00Z", "amount": 5.0}
        return [pay, pay]  # the same payment twice: de-duplicated by its A12 key

    Server(mocked, "/payments", answer)
    pager = client.payments.list(START, START + 2 * D, window=3 * D)
    got = await pager.to_list()
    assert [p.payment_date.date() for p in got] == [START, START + D, START + 2 * D]
    assert pager.stats.duplicates == 3
    key = pager.checkpoint  # JSON-friendly key material
    assert key["next"] == "2026-02-04"


async def test_payments_size_hint_splits_windows_that_hit_the_limit(
    client: ConfirmaClient, mocked: aioresponses
) -> None:
    def answer(query: dict[str, str]) -> Any:
        return [
            {"caseId": i, "invoiceNumber": "11", "paymentDate": f"{d.isoformat()}T00:00:00Z"}
            for d in day_range(query, "fromDate", "toDate")
            for i in range(2)
        ]

    server = Server(mocked, "/payments", answer)
    pager = client.payments.list(START, START + 1 * D, window=2 * D, max_records_per_response=4)
    assert len(await pager.to_list()) == 4
    assert len(server.queries) == 3


async def test_settlements_pass_unfetched_only(
    client: ConfirmaClient, mocked: aioresponses
) -> None:
    def answer(query: dict[str, str]) -> Any:
        day = query["fromDate"]
        return {
            "createdAt": "2026-02-10T00:00:00Z",
            "settlements": [
                {
                    "settlementId": 2**40 + int(day[-2:]),
                    "settlementDate": day,
                    "agency": "Agency",
                    "settlementAmount": 10.0,
                    "currency": "EUR",
                }
            ],
        }

    server = Server(mocked, "/settlements", answer)
    got = await client.payments.settlements(START, START + D, unfetched_only=True).to_list()
    assert [s.settlement_id for s in got] == [2**40 + 1, 2**40 + 2]
    assert all(q["unfetchedOnly"] == "true" for q in server.queries)


@pytest.mark.parametrize(
    ("method", "path", "wire_key", "filter_kw", "filter_q"),
    [
        (
            "ledger_statuses",
            "/accounting/ledger",
            "ledgers",
            "source_identifier",
            "sourceIdentifier",
        ),
        (
            "payment_statuses",
            "/accounting/payment",
            "payments",
            "source_identifier",
            "sourceIdentifier",
        ),
        ("invoice_statuses", "/accounting/invoice", "invoices", "invoice_number", "invoiceNumber"),
    ],
)
async def test_accounting_statuses(
    client: ConfirmaClient,
    mocked: aioresponses,
    method: str,
    path: str,
    wire_key: str,
    filter_kw: str,
    filter_q: str,
) -> None:
    def answer(query: dict[str, str]) -> Any:
        if query["fromDate"] == START.isoformat():
            return CallbackResult(status=204)  # none that day
        return {wire_key: [{"sourceIdentifier": f"src-{query['fromDate']}", "status": 1}]}

    server = Server(mocked, path, answer)
    value: Any = 12 if filter_kw == "invoice_number" else "abc"
    pager = getattr(client.accounting, method)(START, START + 2 * D, **{filter_kw: value})
    got = await pager.to_list()
    assert [s.source_identifier for s in got] == ["src-2026-02-02", "src-2026-02-03"]
    assert {q[filter_q] for q in server.queries} == {str(value)}


async def test_listing_errors_name_the_window(client: ConfirmaClient, mocked: aioresponses) -> None:
    Server(mocked, "/payments", lambda q: CallbackResult(status=404, payload={"message": "gone"}))
    with pytest.raises(PaginationError, match=r"/payments window 2026-02-01\.\.2026-02-01") as info:
        await client.payments.list(START, START).to_list()
    assert info.value.error is not None
    assert getattr(info.value.error, "status", None) == 404


async def test_distribution_records_reach_the_pager_unbuilt_and_build_as_a_window_decodes(
    client: ConfirmaClient, mocked: aioresponses
) -> None:
    rows = [record(100 + i, "2026-02-01") for i in range(5)]
    rows[3]["distributionStatus"] = "ON_HOLD"  # an unlisted value: still the msgspec path
    Server(
        mocked,
        "/invoice/distribution",
        lambda q: {"metaData": {"totalCount": 5}, "distributions": rows},
    )
    fetched = await client.invoices._distribution_fetch(None, None, None, None)(START, START)
    assert isinstance(fetched.items, Unbuilt)
    page = await client.invoices.distribution_window(START, START)
    assert fetched.items[:] == page.distributions
    assert await client.invoices.distributions(START, START).to_list() == page.distributions


async def test_unusual_distribution_pages_reach_the_pager_built(
    client: ConfirmaClient, mocked: aioresponses
) -> None:
    rows = [record(100, "2026-02-01"), {**record(101, "2026-02-01"), "fee": 1}]
    Server(
        mocked,
        "/invoice/distribution",
        lambda q: {"metaData": {"totalCount": 2}, "distributions": rows},
    )
    fetched = await client.invoices._distribution_fetch(None, None, None, None)(START, START)
    assert type(fetched.items) is list
    assert fetched.items[1].extra == {"fee": 1}
