"""Logs a person can read under plain logging, structured for structlog, no ``backoff``."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
import textwrap
from datetime import date

import pytest
import structlog

from confirma_async import ClientConfig, ConfigurationError, ConfirmaClient, ServerError
from confirma_async._core import logging as confirma_logging
from confirma_async.testing import Sandbox

from .conftest import make_invoice

DAY = date(2026, 1, 5)
FAST = ClientConfig(backoff_base=0.0001, backoff_cap=0.0002, max_retries=2)

# A service's whole logging setup: the root logger at DEBUG, so anything any library sends to
# it (``backoff``'s "Backing off ..." included) would show.
BASIC_CONFIG_SCRIPT = textwrap.dedent(
    """
    import asyncio, logging, sys
    from datetime import date
    logging.basicConfig(level=logging.DEBUG, stream=sys.stdout)
    from decimal import Decimal
    from confirma_async import (ClientConfig, ConfirmaClient, Distribution, Invoice,
                                InvoiceAmounts, InvoiceHeader, InvoiceRequest, Processing,
                                ServerError)
    from confirma_async.testing import Sandbox

    def invoice(number):
        header = InvoiceHeader(number=number, date=date(2026, 1, 5),
                               due_date=date(2026, 1, 19), currency_code="EUR")
        return InvoiceRequest(processing=Processing(payment_control_enabled=True),
                              distribution=Distribution(method="EMAIL", enabled=False),
                              invoice=Invoice(header=header, amounts=InvoiceAmounts(
                                  total_amount=Decimal("100.25"))))

    async def main():
        day = date(2026, 1, 5)
        config = ClientConfig(backoff_base=0.0001, backoff_cap=0.0002, max_retries=2)
        async with Sandbox() as sandbox:
            async with ConfirmaClient(
                api_key=sandbox.client_token, base_url=sandbox.base_url, config=config
            ) as client:
                sandbox.faults.fail_next(1, "GET", "/payments", 503)
                await client.payments.payments_window(day, day)       # retried once, then ok
                sandbox.faults.fail_next(9, "GET", "/settlements", 503)
                try:
                    await client.payments.settlements_window(day, day)  # retries run out
                except ServerError:
                    pass
                sandbox.faults.fail_next(1, "POST", "/invoice", 503)
                try:
                    await client.invoices.create(invoice(251601000))
                except ServerError:
                    pass

    asyncio.run(main())
    """
)


@pytest.fixture(scope="module")
def basic_config_output() -> str:
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", BASIC_CONFIG_SCRIPT],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout + done.stderr


def lines_of(output: str, event: str) -> list[str]:
    return [line for line in output.splitlines() if f":confirma_async:{event} " in line]


def test_a_retried_request_logs_its_fields_in_the_message(basic_config_output: str) -> None:
    attempts = lines_of(basic_config_output, "confirma_request")
    first, second = [line for line in attempts if "path=/payments" in line]
    assert re.fullmatch(
        r"DEBUG:confirma_async:confirma_request method=GET path=/payments status=503 attempt=1 "
        r"elapsed_ms=[\d.]+ request_id=\S+ outcome_unknown=False",
        first,
    )
    assert re.fullmatch(
        r"DEBUG:confirma_async:confirma_request method=GET path=/payments status=200 attempt=2 "
        r"elapsed_ms=[\d.]+ request_id=\S+",
        second,
    )
    (retry,) = [
        line for line in lines_of(basic_config_output, "confirma_retry") if "/payments" in line
    ]
    assert re.fullmatch(
        r"INFO:confirma_async:confirma_retry method=GET path=/payments status=503 attempt=1 "
        r"error_type=ServerError request_id=\S+ outcome_unknown=False wait_s=[\d.]+",
        retry,
    )


def test_running_out_of_retries_is_one_warning_with_the_fields(basic_config_output: str) -> None:
    (giveup,) = lines_of(basic_config_output, "confirma_giveup")
    assert re.fullmatch(
        r"WARNING:confirma_async:confirma_giveup method=GET path=/settlements status=503 "
        r"attempt=3 error_type=ServerError request_id=\S+ outcome_unknown=False",
        giveup,
    )


def test_a_post_whose_outcome_is_unknown_says_so(basic_config_output: str) -> None:
    (post,) = [line for line in lines_of(basic_config_output, "confirma_request") if "POST" in line]
    assert "status=503" in post
    assert post.endswith("outcome_unknown=True")


def test_nothing_from_backoff_reaches_the_root_logger(basic_config_output: str) -> None:
    assert "backoff" not in basic_config_output.lower()
    assert "Backing off" not in basic_config_output
    assert "Giving up" not in basic_config_output


async def test_the_fields_also_ride_on_the_log_record(
    confirma_sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="confirma_async")
    client = ConfirmaClient(
        api_key=confirma_sandbox.client_token, base_url=confirma_sandbox.base_url, config=FAST
    )
    async with client:
        await client.payments.payments_window(DAY, DAY)
    (record,) = [r for r in caplog.records if r.getMessage().startswith("confirma_request")]
    assert (record.method, record.path, record.status, record.attempt) == (  # type: ignore[attr-defined]
        "GET",
        "/payments",
        200,
        1,
    )
    assert record.request_id  # type: ignore[attr-defined]


async def test_a_structlog_logger_gets_structured_fields(confirma_sandbox: Sandbox) -> None:
    confirma_sandbox.faults.fail_next(1, "GET", "/payments", 503)
    with structlog.testing.capture_logs() as events:
        client = ConfirmaClient(
            api_key=confirma_sandbox.client_token,
            base_url=confirma_sandbox.base_url,
            config=FAST,
            logger=structlog.get_logger("service"),
        )
        async with client:
            await client.payments.payments_window(DAY, DAY)
    retry = next(e for e in events if e["event"] == "confirma_retry")
    assert retry["status"] == 503
    assert retry["path"] == "/payments"
    assert retry["outcome_unknown"] is False
    assert [e["status"] for e in events if e["event"] == "confirma_request"] == [503, 200]


async def test_no_token_is_ever_in_a_log_line(
    confirma_sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    confirma_sandbox.faults.fail_next(1, "POST", "/invoice", 503)
    client = ConfirmaClient(
        api_key=confirma_sandbox.client_token, base_url=confirma_sandbox.base_url, config=FAST
    )
    async with client:
        with pytest.raises(ServerError):
            await client.invoices.create(make_invoice(251601000))
        await client.onboarding.renew_token()
    text = caplog.text + repr([r.__dict__ for r in caplog.records])
    assert confirma_sandbox.client_token not in text
    assert "token_renewed" in text


# --- CONFIRMA_LOG ---------------------------------------------------------------------------------


@pytest.fixture
def fresh_switch(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    logger = logging.getLogger("confirma_async")
    level, handlers = logger.level, list(logger.handlers)
    monkeypatch.setattr(confirma_logging, "_configured_from_env", False)
    yield logger
    logger.setLevel(level)
    logger.handlers[:] = handlers


def test_confirma_log_debug_switches_the_librarys_output_on(
    fresh_switch: logging.Logger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONFIRMA_LOG", "debug")
    fresh_switch.handlers.clear()
    ConfirmaClient(api_key="k" * 20, base_url="http://127.0.0.1:9")
    assert fresh_switch.level == logging.DEBUG
    (handler,) = fresh_switch.handlers
    assert isinstance(handler, logging.StreamHandler)
    assert handler.stream is sys.stderr


def test_confirma_log_keeps_a_handler_the_application_set(
    fresh_switch: logging.Logger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONFIRMA_LOG", "info")
    mine = logging.NullHandler()
    fresh_switch.handlers[:] = [mine]
    ConfirmaClient(api_key="k" * 20, base_url="http://127.0.0.1:9")
    assert fresh_switch.level == logging.INFO
    assert fresh_switch.handlers == [mine]


def test_a_bad_confirma_log_value_is_a_configuration_error(
    fresh_switch: logging.Logger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONFIRMA_LOG", "loud")
    with pytest.raises(ConfigurationError, match="debug or info") as caught:
        ConfirmaClient(api_key="k" * 20, base_url="http://127.0.0.1:9")
    assert caught.value.field == "CONFIRMA_LOG"


async def test_a_token_event_names_the_creditor_the_client_acts_for(
    confirma_sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="confirma_async")
    client = ConfirmaClient(
        api_key=confirma_sandbox.client_token,
        base_url=confirma_sandbox.base_url,
        client_id=confirma_sandbox.client_id,
        config=FAST,
    )
    async with client:
        await client.onboarding.renew_token()
    (record,) = [r for r in caplog.records if r.getMessage().startswith("token_renewed")]
    assert record.client_id == confirma_sandbox.client_id  # type: ignore[attr-defined]
