"""Large synthetic data: deterministic per window, ordered, truncated with counts, 413 if wide."""

from __future__ import annotations

from datetime import date

import aiohttp
import pytest

from confirma_async.testing import (
    ManualClock,
    Sandbox,
    SandboxConfig,
    sample_client,
    sample_invoice,
)

from .conftest import Api

# ManualClock starts on 2026-01-05, so generated data ends on 2026-01-04 and spans 2025.
CONFIG = SandboxConfig(
    seed=11,
    generated_records=36_500,
    generated_payments=3_650,
    max_records_per_response=250,
    max_window_days=31,
)


@pytest.fixture
def confirma_sandbox_config() -> SandboxConfig:
    return CONFIG


async def test_a_window_always_yields_the_same_bytes() -> None:
    bodies = []
    query = "/invoice/distribution?fromInvDate=2025-03-01&toInvDate=2025-03-01"
    for _ in range(2):
        async with Sandbox(CONFIG, clock=ManualClock()) as sb, aiohttp.ClientSession() as session:
            headers = {"X-Api-Key": sb.client_token}
            async with session.get(sb.base_url + query, headers=headers) as resp:
                bodies.append(await resp.read())
    assert bodies[0] == bodies[1]


async def test_records_are_ordered_and_unique(api: Api) -> None:
    reply = await api.get("/invoice/distribution", fromInvDate="2025-06-01", toInvDate="2025-06-02")
    records = reply.body["distributions"]
    assert reply.body["metaData"]["totalCount"] == len(records) == 200
    keys = [(r["invoiceDate"], r["invoiceNumber"]) for r in records]
    assert keys == sorted(keys)
    assert len({r["invoiceNumber"] for r in records}) == len(records)
    assert {r["invoiceDate"] for r in records} == {"2025-06-01", "2025-06-02"}
    meta = reply.body["metaData"]
    assert meta["successfulCount"] + meta["failedCount"] == meta["totalCount"]
    assert meta["failedCount"] > 0


async def test_a_window_over_the_maximum_is_truncated_with_the_total(api: Api) -> None:
    reply = await api.get("/invoice/distribution", fromInvDate="2025-06-01", toInvDate="2025-06-10")
    meta = reply.body["metaData"]
    assert meta["totalCount"] == 1_000
    assert len(reply.body["distributions"]) == 250
    assert reply.body["distributions"][0]["invoiceDate"] == "2025-06-01"


async def test_a_window_longer_than_the_maximum_is_413(api: Api) -> None:
    reply = await api.get("/invoice/distribution", fromInvDate="2025-01-01", toInvDate="2025-02-01")
    assert reply.status == 413
    assert reply.body["code"] == "WINDOW_TOO_LARGE"
    assert (await api.get("/payments", fromDate="2025-01-01", toDate="2025-03-01")).status == 413


async def test_windows_tile_the_whole_data_set(confirma_sandbox: Sandbox) -> None:
    gen = confirma_sandbox.state.generator
    assert sum(gen.per_day(gen.records, gen.days, k) for k in range(gen.days)) == 36_500
    assert (gen.start, gen.end) == (date(2025, 1, 5), date(2026, 1, 4))


async def test_submitted_invoices_merge_into_the_generated_day_in_order(api: Api) -> None:
    for number in (7, 3, 9_000_000_000_001):
        body = sample_invoice(number, invoice_date=date(2025, 6, 1))
        assert (await api.post("/invoice", body)).status == 201
    reply = await api.get("/invoice/distribution", fromInvDate="2025-06-01", toInvDate="2025-06-01")
    numbers = [r["invoiceNumber"] for r in reply.body["distributions"]]
    assert reply.body["metaData"]["totalCount"] == 103
    assert numbers[:2] == [3, 7]
    assert numbers[-1] == 9_000_000_000_001
    assert numbers == sorted(numbers)


async def test_a_generated_invoice_can_be_looked_up_and_is_a_duplicate(api: Api) -> None:
    page = await api.get("/invoice/distribution", fromInvDate="2025-08-08", toInvDate="2025-08-08")
    record = page.body["distributions"][42]
    single = await api.get("/invoice/distribution", invoiceNumber=str(record["invoiceNumber"]))
    assert single.body["distributions"] == [record]
    assert single.body["metaData"]["filtersApplied"]["defaultLast30Days"] is False
    again = sample_invoice(record["invoiceNumber"], invoice_date=date(2025, 8, 8))
    assert (await api.post("/invoice", again)).status == 409


async def test_generated_payments_fill_their_window(api: Api) -> None:
    reply = await api.get("/payments", fromDate="2025-06-01", toDate="2025-06-07")
    assert reply.status == 200
    assert len(reply.body) == 70
    assert all(p["paymentDate"].startswith("2025-06-0") for p in reply.body)
    dates = [p["paymentDate"] for p in reply.body]
    assert dates == sorted(dates)
    assert (await api.get("/payments", fromDate="2025-06-01", toDate="2025-06-30")).status == 413


async def test_another_seed_gives_other_data() -> None:
    days = []
    for seed in (1, 2):
        config = SandboxConfig(seed=seed, generated_records=3650)
        sandbox = Sandbox(config, clock=ManualClock())
        days.append(sandbox.state.generator.distribution_day(100))
    assert days[0] != days[1]


async def test_other_clients_do_not_see_generated_records(api: Api) -> None:
    created = await api.post("/client", sample_client(), token=api.sandbox.partner_token)
    token = created.body["accessToken"]
    reply = await api.call(
        "GET",
        "/invoice/distribution",
        token=token,
        params={"fromInvDate": "2025-06-01", "toInvDate": "2025-06-01"},
    )
    assert reply.body["metaData"]["totalCount"] == 0


def test_generation_is_flat_in_memory() -> None:
    config = SandboxConfig(generated_records=1_000_000, generated_days=365)
    sandbox = Sandbox(config, clock=ManualClock())
    gen = sandbox.state.generator
    total = 0
    for k in range(0, 365, 30):
        total += len(gen.distribution_day(k))
    assert total > 30_000
    assert gen.distribution_day.cache_info().currsize <= 8  # type: ignore[attr-defined]
