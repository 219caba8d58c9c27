"""check_assumptions, answer by answer: read-only, and every kind of finding."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from aioresponses import aioresponses

from confirma_async import (
    AssumptionVerdict,
    ConfirmaClient,
    DoctorReport,
    RequestValidationError,
    check_assumptions,
)

from .batch_fakes import record
from .conftest import url

DAY = date(2026, 1, 15)
REQUEST_ID = {"X-Request-Id": "r-1"}
CONTRADICTED = AssumptionVerdict.CONTRADICTED


def answers() -> dict[str, dict[str, Any]]:
    """A well-formed answer per endpoint (as aioresponses keyword arguments)."""
    page = {
        "metaData": {
            "totalCount": 1,
            "filtersApplied": {"fromInvDate": "2026-01-15", "toInvDate": "2026-01-15"},
        },
        "distributions": [record(7)],
    }
    return {
        "/validate": {"payload": {"isValid": True, "message": "ok"}},
        "/invoice/distribution": {"payload": page},
        "/payments": {"payload": []},
        "/settlements": {"payload": {"createdAt": "2026-01-15T00:00:00Z", "settlements": []}},
        "/accounting/ledger": {"status": 204},
        "/accounting/payment": {"status": 204},
        "/accounting/invoice": {"status": 204},
    }


async def run(
    mocked: aioresponses, client: ConfirmaClient, table: dict[str, dict[str, Any]]
) -> DoctorReport:
    for path, answer in table.items():
        mocked.get(url(path), headers=REQUEST_ID, **answer)
    return await check_assumptions(client, start=DAY, end=DAY)


def sent(mocked: aioresponses) -> list[tuple[str, str]]:
    return [(m, str(u)) for (m, u), calls in mocked.requests.items() for _ in calls]


async def test_only_gets_that_change_nothing_are_sent(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    report = await run(mocked, client, answers())
    assert report.ok
    requests = sent(mocked)
    assert {method for method, _ in requests} == {"GET"}
    assert not [u for _, u in requests if "/renew" in u or "unfetchedOnly" in u]


async def test_a_401_makes_the_token_invalid_and_is_never_renewed(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    table = answers()
    table["/validate"] = {"status": 401, "payload": {"message": "no"}}
    report = await run(mocked, client, table)
    assert not report.token_valid
    assert not report.ok
    assert not [u for _, u in sent(mocked) if "/renew" in u]


async def test_a_token_the_api_calls_invalid_ends_the_checks(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    table = answers()
    table["/validate"] = {"payload": {"isValid": False, "message": "Token expired"}}
    report = await run(mocked, client, table)
    assert not report.token_valid
    assert len(sent(mocked)) == 1


async def test_a_documented_field_of_another_type_contradicts_the_docs(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    table = answers()
    table["/settlements"] = {
        "payload": {"createdAt": 5, "settlements": []},
    }
    report = await run(mocked, client, table)
    row = report.check("DOC")
    assert row.verdict is CONTRADICTED
    assert any("createdAt" in d for d in row.details)


async def test_answers_without_a_request_id_contradict_a4_naming_the_headers_seen(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    for path, answer in answers().items():
        mocked.get(url(path), headers={"X-Trace": "t"}, **answer)
    report = await check_assumptions(client, start=DAY, end=DAY)
    row = report.check("A4")
    assert row.verdict is CONTRADICTED
    assert "X-Trace" in " ".join(row.details)


async def test_a_missing_accounting_invoice_endpoint_contradicts_a17_and_checks_a3(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    table = answers()
    table["/accounting/invoice"] = {"status": 404, "payload": {"message": "no such path"}}
    report = await run(mocked, client, table)
    assert report.check("A17").verdict is CONTRADICTED
    assert report.check("A3").verdict is AssumptionVerdict.CONFIRMED


async def test_an_error_body_without_a_message_key_contradicts_a3(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    table = answers()
    table["/accounting/invoice"] = {"status": 404, "payload": {"fault": "nope"}}
    report = await run(mocked, client, table)
    assert report.check("A3").verdict is CONTRADICTED


async def test_a_window_the_server_did_not_apply_contradicts_the_query_names(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    table = answers()
    page = table["/invoice/distribution"]["payload"]
    page["metaData"]["filtersApplied"] = {"fromInvDate": "2025-12-16", "toInvDate": "2026-01-15"}
    report = await run(mocked, client, table)
    row = report.check("A11")
    assert row.verdict is CONTRADICTED
    assert any("fromInvDate" in d for d in row.details)


async def test_a_guessed_field_of_another_type_contradicts_its_assumption(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    table = answers()
    table["/payments"] = {"payload": [_payment(amount="twelve")]}
    report = await run(mocked, client, table)
    row = report.check("A12")
    assert row.verdict is CONTRADICTED
    assert any("amount" in d and "string" in d for d in row.details)


def _payment(**change: Any) -> dict[str, Any]:
    payment = {
        "caseId": 1,
        "invoiceNumber": "7",
        "paymentDate": "2026-01-15T00:00:00Z",
        "amount": 12.5,
        "currency": "EUR",
    }
    return {**payment, **change}


async def test_a_window_that_ends_before_it_starts_is_refused_naming_it(
    client: ConfirmaClient,
) -> None:
    with pytest.raises(RequestValidationError) as caught:
        await check_assumptions(client, start=DAY, end=date(2026, 1, 14))
    assert caught.value.field == "end"
