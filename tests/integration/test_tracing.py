"""OpenTelemetry spans (the ``otel`` extra), read back from the SDK's in-memory exporter."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from confirma_async import ClientConfig, ConfigurationError, ConfirmaClient, ServerError
from confirma_async.testing import Sandbox

from .conftest import make_invoice

DAY = date(2026, 1, 5)
FAST = ClientConfig(backoff_base=0.0001, backoff_cap=0.0002, max_retries=2)


@pytest.fixture
def tracing() -> Iterator[tuple[TracerProvider, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield provider, exporter
    provider.shutdown()


def traced_client(sandbox: Sandbox, provider: TracerProvider, **options: Any) -> ConfirmaClient:
    return ConfirmaClient(
        api_key=sandbox.client_token,
        base_url=sandbox.base_url,
        config=FAST,
        tracing=provider,
        **options,
    )


def named(spans: tuple[ReadableSpan, ...], name: str) -> list[ReadableSpan]:
    return [s for s in spans if s.name == name]


def children(spans: tuple[ReadableSpan, ...], parent: ReadableSpan) -> list[ReadableSpan]:
    assert parent.context is not None
    return [s for s in spans if s.parent is not None and s.parent.span_id == parent.context.span_id]


async def test_a_call_is_one_span_with_a_client_span_per_attempt(
    confirma_sandbox: Sandbox, tracing: tuple[TracerProvider, InMemorySpanExporter]
) -> None:
    provider, exporter = tracing
    confirma_sandbox.faults.fail_next(1, "GET", "/payments", 503)
    async with traced_client(confirma_sandbox, provider) as client:
        await client.payments.payments_window(DAY, DAY)

    spans = exporter.get_finished_spans()
    (call,) = named(spans, "payments.payments_window")
    assert call.kind is SpanKind.INTERNAL
    assert call.attributes is not None
    assert call.attributes["confirma.window"] == "2026-01-05/2026-01-05"
    assert call.attributes["confirma.outcome_unknown"] is False
    first, second = children(spans, call)
    assert (first.kind, first.name, second.name) == (SpanKind.CLIENT, "GET", "GET")
    assert first.attributes is not None
    assert second.attributes is not None
    assert first.attributes["http.response.status_code"] == 503
    assert first.attributes["error.type"] == "ServerError"
    assert first.status.status_code is StatusCode.ERROR
    assert second.attributes["http.response.status_code"] == 200
    assert second.attributes["http.request.resend_count"] == 1
    assert second.attributes["http.request.method"] == "GET"
    assert second.attributes["url.full"] == (
        f"{confirma_sandbox.base_url}/payments?fromDate=2026-01-05&toDate=2026-01-05"
    )
    assert second.attributes["server.address"] == "127.0.0.1"
    assert second.attributes["server.port"] == confirma_sandbox.port
    assert second.attributes["url.scheme"] == "http"


async def test_an_invoice_call_carries_its_number(
    confirma_sandbox: Sandbox, tracing: tuple[TracerProvider, InMemorySpanExporter]
) -> None:
    provider, exporter = tracing
    async with traced_client(confirma_sandbox, provider) as client:
        await client.invoices.create(make_invoice(251601000))

    spans = exporter.get_finished_spans()
    (call,) = named(spans, "invoices.create")
    assert call.attributes is not None
    assert call.attributes["confirma.invoice_number"] == "251601000"
    assert call.attributes["confirma.operation"] == "invoices.create"
    (attempt,) = children(spans, call)
    assert attempt.attributes is not None
    assert (attempt.name, attempt.attributes["http.response.status_code"]) == ("POST", 201)


async def test_an_unknown_outcome_is_marked_on_the_call_span(
    confirma_sandbox: Sandbox, tracing: tuple[TracerProvider, InMemorySpanExporter]
) -> None:
    provider, exporter = tracing
    confirma_sandbox.faults.fail_next(1, "POST", "/invoice", 503)
    async with traced_client(confirma_sandbox, provider) as client:
        with pytest.raises(ServerError):
            await client.invoices.create(make_invoice(251601000))

    (call,) = named(exporter.get_finished_spans(), "invoices.create")
    assert call.attributes is not None
    assert call.attributes["confirma.outcome_unknown"] is True
    assert call.status.status_code is StatusCode.ERROR


async def test_the_renewal_is_a_child_span_of_the_call_that_needed_it(
    confirma_sandbox: Sandbox, tracing: tuple[TracerProvider, InMemorySpanExporter]
) -> None:
    provider, exporter = tracing
    soon = datetime.now(UTC) + timedelta(seconds=5)  # inside the mandatory window
    async with traced_client(confirma_sandbox, provider, token_expires_at=soon) as client:
        await client.payments.payments_window(DAY, DAY)
        assert client.tokens.renewals == 1

    spans = exporter.get_finished_spans()
    (call,) = named(spans, "payments.payments_window")
    (renewal,) = named(spans, "confirma.tokens.renew")
    assert renewal in children(spans, call)
    (renew_attempt,) = children(spans, renewal)
    assert renew_attempt.attributes is not None
    assert renew_attempt.attributes["url.full"] == f"{confirma_sandbox.base_url}/renew"


async def test_a_batch_lookup_is_a_span_around_its_call(
    confirma_sandbox: Sandbox, tracing: tuple[TracerProvider, InMemorySpanExporter]
) -> None:
    provider, exporter = tracing
    confirma_sandbox.faults.add("POST /invoice:commit-drop:x1")  # stored, answer lost: unknown
    async with traced_client(confirma_sandbox, provider) as client:
        batch = client.batch(concurrency=2)
        summary = await batch.run(batch.submit_invoices([make_invoice(251601000)]))
    assert summary.lookups == 1

    spans = exporter.get_finished_spans()
    (lookup,) = named(spans, "confirma.batch.lookup")
    assert lookup.attributes is not None
    assert lookup.attributes["confirma.invoice_number"] == "251601000"
    assert lookup.attributes["confirma.window"] == "2026-01-05/2026-01-05"
    (lookup_call,) = children(spans, lookup)
    assert lookup_call.name == "invoices.distribution_window"
    assert lookup_call.attributes is not None
    assert lookup_call.attributes["confirma.invoice_number"] == "251601000"


async def test_no_token_is_anywhere_in_the_spans(
    confirma_sandbox: Sandbox, tracing: tuple[TracerProvider, InMemorySpanExporter]
) -> None:
    provider, exporter = tracing
    renewed: list[str] = []

    async def keep(token: str, expires_at: datetime | None) -> None:
        renewed.append(token)

    confirma_sandbox.faults.fail_next(1, "POST", "/invoice", 503)
    async with traced_client(confirma_sandbox, provider, on_token_renewed=keep) as client:
        await client.onboarding.validate_token()
        with pytest.raises(ServerError):
            await client.invoices.create(make_invoice(251601000))
        await client.onboarding.renew_token()
        await client.invoices.create(make_invoice(251601001))

    spans = exporter.get_finished_spans()
    assert len(spans) >= 6
    dumped = "\n".join(span.to_json() for span in spans)
    assert renewed
    for secret in (confirma_sandbox.client_token, *renewed):
        assert secret not in dumped


def test_tracing_must_be_true_false_or_a_provider() -> None:
    with pytest.raises(ConfigurationError, match="TracerProvider") as caught:
        ConfirmaClient(api_key="k" * 20, base_url="http://127.0.0.1:9", tracing="yes")
    assert caught.value.field == "tracing"


def run_python(script: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-W", "error", "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_without_tracing_opentelemetry_is_never_imported() -> None:
    done = run_python(
        """
        import asyncio, sys
        from datetime import date
        from confirma_async import ConfirmaClient
        from confirma_async.testing import Sandbox

        async def main():
            async with Sandbox() as sandbox, ConfirmaClient(
                api_key=sandbox.client_token, base_url=sandbox.base_url
            ) as client:
                await client.payments.payments_window(date(2026, 1, 5), date(2026, 1, 5))
                batch = client.batch()
                await client.onboarding.renew_token()
        asyncio.run(main())
        print(sorted(m for m in sys.modules if m.startswith("opentelemetry")))
        """
    )
    assert (done.returncode, done.stdout.strip()) == (0, "[]"), done.stderr


def test_tracing_without_the_extra_says_how_to_install_it() -> None:
    done = run_python(
        """
        import sys
        sys.modules["opentelemetry"] = None
        from confirma_async import ConfigurationError, ConfirmaClient
        try:
            ConfirmaClient(api_key="k" * 20, base_url="http://127.0.0.1:9", tracing=True)
        except ConfigurationError as exc:
            print(exc)
        """
    )
    assert "pip install 'confirma-async[otel]'" in done.stdout, done.stderr
