"""The reference dialect stays byte for byte; the dialect setting; `confirma sandbox --dialect`."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest

from confirma_async._core.json import loads
from confirma_async.cli import cli, main, sandbox_config
from confirma_async.testing import ALTERNATE_DIALECT, SandboxConfig, sample_invoice

from ._dialect_pair import CONFIG, PROBLEM_TYPE, REQUEST_ID, TODAY, Pair, open_pair


@pytest.fixture
async def pair() -> AsyncIterator[Pair]:
    async with open_pair() as opened:
        yield opened


# --- the reference dialect, the configuration and the command line --------------------------

REFERENCE_DISTRIBUTION = (
    b'{"metaData":{"totalCount":6,"successfulCount":6,"failedCount":0,"filtersApplied":'
    b'{"invoiceNumber":null,"fromInvDate":"2026-01-03","toInvDate":"2026-01-05",'
    b'"fetchType":null,"defaultLast30Days":false}},"distributions":['
    b'{"invoiceNumber":8000000000000,"invoiceDate":"2026-01-03","caseId":null,'
    b'"distributionMethod":"EINVOICE","distributionStatus":"DELIVERED",'
    b'"paymentControlStatus":"NONE","createdAt":"2026-01-03T06:00:00.000Z",'
    b'"updatedAt":"2026-01-03T06:15:00.000Z","deliveredAt":"2026-01-03T06:15:00.000Z"},'
    b'{"invoiceNumber":8000000000001,"invoiceDate":"2026-01-03","caseId":null,'
    b'"distributionMethod":"PAPER","distributionStatus":"DELIVERED",'
    b'"paymentControlStatus":"NONE","createdAt":"2026-01-03T14:00:00.000Z",'
    b'"updatedAt":"2026-01-03T14:15:00.000Z","deliveredAt":"2026-01-03T14:15:00.000Z"},'
    b'{"invoiceNumber":8000001000000,"invoiceDate":"2026-01-04","caseId":5000001000000,'
    b'"distributionMethod":"EMAIL","distributionStatus":"DELIVERED",'
    b'"paymentControlStatus":"ACTIVE","createdAt":"2026-01-04T06:00:00.000Z",'
    b'"updatedAt":"2026-01-04T06:15:00.000Z","deliveredAt":"2026-01-04T06:15:00.000Z"},'
    b'{"invoiceNumber":8000001000001,"invoiceDate":"2026-01-04","caseId":5000001000001,'
    b'"distributionMethod":"EINVOICE","distributionStatus":"DELIVERED",'
    b'"paymentControlStatus":"CLOSED","createdAt":"2026-01-04T14:00:00.000Z",'
    b'"updatedAt":"2026-01-04T14:15:00.000Z","deliveredAt":"2026-01-04T14:15:00.000Z"},'
    b'{"invoiceNumber":1,"invoiceDate":"2026-01-05","caseId":100001,'
    b'"distributionMethod":"EMAIL","distributionStatus":"DELIVERED",'
    b'"paymentControlStatus":"ACTIVE","createdAt":"2026-01-05T09:00:00.000Z",'
    b'"updatedAt":"2026-01-05T09:05:00.000Z","deliveredAt":"2026-01-05T09:05:00.000Z"},'
    b'{"invoiceNumber":2,"invoiceDate":"2026-01-05","caseId":null,'
    b'"distributionMethod":"EMAIL","distributionStatus":"DELIVERED",'
    b'"paymentControlStatus":"NONE","createdAt":"2026-01-05T09:00:00.000Z",'
    b'"updatedAt":"2026-01-05T09:05:00.000Z","deliveredAt":"2026-01-05T09:05:00.000Z"}]}'
)
"""A distribution answer as the reference sandbox wrote it before dialects existed."""


async def test_reference_dialect_answers_are_byte_identical_to_before(pair: Pair) -> None:
    assert SandboxConfig().dialect == CONFIG.dialect == "reference"
    ref = pair.ref
    created = await ref.call("POST", "/invoice", sample_invoice(1))
    assert created.raw == (
        b'{"invoiceNumber":1,"status":"RECEIVED","receivedAt":"2026-01-05T09:00:00.000Z"}'
    )
    await ref.call("POST", "/invoice", sample_invoice(2, payment_control=False))
    pair.advance(timedelta(minutes=10))
    window = {"fromInvDate": "2026-01-03", "toInvDate": TODAY}
    listed = await ref.call("GET", "/invoice/distribution", params=window)
    assert listed.raw == REFERENCE_DISTRIBUTION
    assert listed.content_type == "application/json"
    assert listed.headers["X-Request-Id"] == "sbx-00000003"
    assert "X-Correlation-Id" not in listed.headers
    bad = {"fromInvDate": TODAY, "toInvDate": "2026-01-04"}
    error = await ref.call("GET", "/invoice/distribution", params=bad)
    assert error.status == 400
    assert error.content_type == "application/json"
    assert error.raw == (
        b'{"code":"VALIDATION_ERROR","message":"1 field failed validation","errors":'
        b'[{"field":"fromInvDate","message":"must not be after toInvDate"}]}'
    )


def test_a_bad_dialect_is_a_value_error_naming_the_field_and_the_value() -> None:
    with pytest.raises(ValueError, match=r"dialect.*'klingon'"):
        SandboxConfig(dialect="klingon")  # type: ignore[arg-type]


def test_the_alternate_rules_are_public() -> None:
    rules = ALTERNATE_DIALECT.endpoints["GET /invoice/distribution"]
    assert rules.body is not None
    assert rules.body.rename == {"distributions": "records"}
    assert rules.body.inner["distributions"].rename["caseId"] == "agencyCaseId"
    assert ALTERNATE_DIALECT.request_id_header == "X-Correlation-Id"
    assert ALTERNATE_DIALECT.error_content_type == PROBLEM_TYPE


def test_sandbox_command_accepts_a_dialect(capsys: pytest.CaptureFixture[str]) -> None:
    command = cli.commands["sandbox"]
    for args, dialect in (([], "reference"), (["--dialect", "alternate"], "alternate")):
        ctx = command.make_context("sandbox", ["--port", "0", *args])
        options = {k: v for k, v in ctx.params.items() if k not in ("host", "port")}
        assert sandbox_config(**options).dialect == dialect
    assert main(["sandbox", "--dialect", "klingon"]) == 2
    assert "klingon" in capsys.readouterr().err


async def test_confirma_sandbox_serves_the_alternate_dialect() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "confirma_async.cli",
        "sandbox",
        "--port",
        "0",
        "--dialect",
        "alternate",
        stdout=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    try:
        base_url = (await proc.stdout.readline()).decode().split()[-1]
        async with (
            aiohttp.ClientSession() as session,
            session.get(base_url + "/validate") as resp,
        ):
            assert resp.status == 401
            assert resp.content_type == PROBLEM_TYPE
            assert REQUEST_ID.match(resp.headers["X-Correlation-Id"])
            assert loads(await resp.read())["title"] == "UNAUTHORIZED"
        proc.send_signal(signal.SIGINT)
        assert await proc.wait() == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
