"""The compiled dict -> wire path writes exactly the body the model path writes, or declines.

The bulk submitter writes a dict item's body without building its model (``_request_wire``). For
every input, valid or not, that path either declines (and the model path decides the body or the
error), or writes the very bytes ``encode_invoice(from_wire(item))`` writes: the journal compares
and digests those bytes across runs, whichever form the input came in.
"""

from __future__ import annotations

import copy
import io
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from aioresponses import aioresponses
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from confirma_async import BatchStatus, ConfirmaClient
from confirma_async._cli.reader import ModelLines
from confirma_async._core.json import dumps
from confirma_async.batch.invoices import WrittenInvoice, _from_dict, write_invoice
from confirma_async.errors import ConfirmaError
from confirma_async.models import ActionsRequest, InvoiceRequest, from_wire, to_wire
from confirma_async.models._request_wire import wire_writer
from confirma_async.resources.invoices import encode_invoice
from tests.unit.test_request_fast import (
    MALFORMED_INVOICES,
    invoice_requests,
    invoice_with,
    mutate,
)
from tests.unit.test_strict_input import BODIES

from .batch_fakes import FakeCfis, invoice
from .conftest import BASE, FAST, TOKEN, calls


def model_path(data: Any) -> tuple[bytes, int, date] | None:
    """What the model path sends for ``data``: body, number, date (``None``: refused)."""
    try:
        model = from_wire(copy.deepcopy(data), InvoiceRequest, strict=True)
        return encode_invoice(model), model.invoice_number, model.invoice.header.date
    except ConfirmaError:
        return None


def assert_written_alike_or_declined(data: Any) -> None:
    written = _from_dict(copy.deepcopy(data))
    if written is not None:  # declining is always allowed: the model path then decides
        assert written == model_path(data)


def test_a_valid_invoice_is_written_with_no_model_exactly_as_the_model_path_writes_it() -> None:
    body = BODIES[InvoiceRequest]()
    written = _from_dict(copy.deepcopy(body))
    assert written is not None
    assert written == model_path(body)


def test_a_class_that_checks_rules_across_fields_is_not_compiled() -> None:
    assert wire_writer(InvoiceRequest) is not None
    assert wire_writer(ActionsRequest) is None  # _check_request: the model path only


@pytest.mark.parametrize("change", MALFORMED_INVOICES.values(), ids=MALFORMED_INVOICES.keys())
def test_an_unusual_or_bad_invoice_is_written_alike_or_left_to_the_model_path(
    change: Callable[[dict[str, Any]], object],
) -> None:
    data = invoice_with(change)
    assert_written_alike_or_declined(data)
    if model_path(data) is None:
        assert _from_dict(copy.deepcopy(data)) is None  # never a body the model path refuses


@pytest.mark.parametrize(
    ("name", "change"),
    [
        ("an int amount is written as cents", lambda b: b["invoice"]["amounts"].update(
            totalAmount=12)),
        ("a null VAT is written as null", lambda b: b["invoice"]["amounts"].update(
            vatAmount=None)),
        ("unknown keys are sent as given", lambda b: b["invoice"].update(terms="30 days")),
        ("null sections are written as null", lambda b: b["invoice"].update(
            amounts=None, buyer=None)),
    ],
)  # fmt: skip
def test_normalised_forms_are_written_by_the_wire_path_as_by_the_model_path(
    name: str, change: Callable[[dict[str, Any]], object]
) -> None:
    data = invoice_with(change)
    written = _from_dict(copy.deepcopy(data))
    assert written is not None, name
    assert written == model_path(data)


@pytest.mark.parametrize("value", [None, [], "x", 3, {"invoice": []}])
def test_a_body_that_is_not_an_invoice_object_is_declined(value: Any) -> None:
    assert _from_dict(value) is None


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(invoice_requests, st.data())
def test_generated_invoices_and_their_mutations_are_written_alike_or_declined(
    model: InvoiceRequest, data: st.DataObject
) -> None:
    wire = to_wire(model)
    assert_written_alike_or_declined(wire)
    mutate(wire, data)
    assert_written_alike_or_declined(wire)


# -- confirma submit: lines read as written invoices ------------------------------------------


def test_a_valid_line_is_read_as_a_written_invoice_and_a_bad_one_is_reported_by_number() -> None:
    good = BODIES[InvoiceRequest]()
    bad = invoice_with(lambda b: b["invoice"]["header"].update(currencyCode="eur"))
    lines = b"".join(dumps(body) + b"\n" for body in (good, bad, good))
    reported: list[tuple[int, str]] = []

    items = list(
        ModelLines(
            io.BytesIO(lines),
            InvoiceRequest,
            on_bad=lambda n, why: reported.append((n, why)),
            prewrite=write_invoice,
        )
    )

    assert [type(item) for item in items] == [WrittenInvoice, WrittenInvoice]
    assert [item.body for item in items] == [model_path(good)[0]] * 2  # type: ignore[index]
    assert [n for n, _ in reported] == [2]
    assert "currencyCode" in reported[0][1]


async def test_the_batch_sends_a_written_invoice_as_it_would_send_its_model(
    mocked: aioresponses,
) -> None:
    cfis = FakeCfis(mocked)
    written = [write_invoice(to_wire(invoice(n))) for n in (1, 2)]
    assert all(isinstance(item, WrittenInvoice) for item in written)
    async with ConfirmaClient(api_key=TOKEN, base_url=BASE, config=FAST) as client:
        results = [r async for r in client.batch(2, ordered=True).submit_invoices(written)]
    bodies = [call.kwargs["data"] for call in calls(mocked, "POST", "/invoice")]

    assert [(r.key, r.status, r.item) for r in results] == [
        (1, BatchStatus.CREATED, written[0]),
        (2, BatchStatus.CREATED, written[1]),
    ]
    assert sorted(bodies) == sorted(encode_invoice(invoice(n)) for n in (1, 2))
    assert cfis.stored == {1: 1, 2: 1}
