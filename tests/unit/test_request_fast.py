"""The compiled dict -> request model path builds exactly what the general converter builds.

``from_wire`` (and so the bulk submitter and ``confirma submit``) first tries the compiled builder
of a request class; on anything unusual it runs the general converter, which decides the result or
the error. So for every input, valid or not, both paths give the same model (same types all the
way down) or the same ``RequestValidationError`` (field, value, reason).
"""

from __future__ import annotations

import copy
import io
import sys
from collections import UserDict
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from confirma_async import WireAliases
from confirma_async._cli.reader import ModelLines
from confirma_async._core.json import dumps
from confirma_async.errors import ConfirmaError
from confirma_async.models import (
    AccountingPaymentsSubmission,
    ActionsRequest,
    InvoiceAction,
    InvoiceRequest,
    LedgerSubmission,
    NewClientRequest,
    _convert,
    from_wire,
    to_wire,
)
from confirma_async.models._open_enum import OpenStrEnum
from confirma_async.models._request_encode import fast_encoder
from confirma_async.models._request_fast import fast_builder
from confirma_async.models._validate import _NOT_FREE_TEXT, _NOT_TEXT
from tests.property import strategies as s
from tests.unit.test_strict_input import BODIES


class MemberLike(OpenStrEnum):
    X = "EUR"


REQUESTS = [
    InvoiceRequest,
    ActionsRequest,
    LedgerSubmission,
    NewClientRequest,
    AccountingPaymentsSubmission,
]


def general(data: Any, cls: type[Any], aliases: WireAliases | None = None) -> Any:
    """``from_wire`` with the compiled path switched off for ``cls``."""
    saved = _convert._FAST.get(cls)
    _convert._FAST[cls] = None
    try:
        return from_wire(data, cls, aliases)
    finally:
        _convert._FAST[cls] = saved


def outcome(decode: Callable[[], Any]) -> tuple[str, Any]:
    try:
        return "model", decode()
    except ConfirmaError as exc:
        return type(exc).__name__, (getattr(exc, "field", None), repr(getattr(exc, "value", None)),
                                    str(exc))  # fmt: skip


def leaves(value: Any, path: str = "") -> Iterator[tuple[str, type[Any], Any]]:
    """Every value of a model tree with its path and exact type."""
    yield path, type(value), value
    if attrs.has(type(value)):
        for f in attrs.fields(type(value)):
            yield from leaves(getattr(value, f.name), f"{path}.{f.name}")
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from leaves(item, f"{path}[{i}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from leaves(item, f"{path}{{{key}}}")


def assert_same(data: Any, cls: type[Any]) -> tuple[str, Any]:
    fast = outcome(lambda: from_wire(copy.deepcopy(data), cls))
    slow = outcome(lambda: general(copy.deepcopy(data), cls))
    assert fast[0] == slow[0]
    if fast[0] == "model":
        assert list(leaves(fast[1])) == list(leaves(slow[1]))  # equal, and the same types
    else:
        assert fast[1] == slow[1]
    return fast


@pytest.mark.parametrize("cls", [*REQUESTS, InvoiceAction])
def test_every_request_model_has_a_compiled_builder(cls: type[Any]) -> None:
    assert fast_builder(cls) is not None


@pytest.mark.parametrize("cls", REQUESTS)
def test_a_valid_body_is_built_by_the_compiled_path_as_by_the_general_one(
    cls: type[Any],
) -> None:
    build = fast_builder(cls)
    assert build is not None
    body = BODIES[cls]()
    assert list(leaves(build(copy.deepcopy(body)))) == list(leaves(general(body, cls)))
    assert assert_same(body, cls)[0] == "model"


def invoice_with(change: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    body = BODIES[InvoiceRequest]()
    change(body)
    return body


MALFORMED_INVOICES = {
    "number as a string": lambda b: b["invoice"]["header"].update(number="1001"),
    "number as a bool": lambda b: b["invoice"]["header"].update(number=True),
    "number zero": lambda b: b["invoice"]["header"].update(number=0),
    "number missing": lambda b: b["invoice"]["header"].pop("number"),
    "amount as a float": lambda b: b["invoice"]["amounts"].update(totalAmount=124.5),
    "amount as a string": lambda b: b["invoice"]["amounts"].update(totalAmount="124.50"),
    "amount with 3 decimals": lambda b: b["invoice"]["amounts"].update(
        totalAmount=Decimal("1.005")
    ),
    "amount NaN": lambda b: b["invoice"]["amounts"].update(totalAmount=Decimal("NaN")),
    "amount too long": lambda b: b["invoice"]["amounts"].update(vatAmount=Decimal("1e99")),
    "amount as an int": lambda b: b["invoice"]["amounts"].update(totalAmount=12),
    "amount with trailing zeros": lambda b: b["invoice"]["amounts"].update(
        totalAmount=Decimal("1.5000")
    ),
    "vat null": lambda b: b["invoice"]["amounts"].update(vatAmount=None),
    "date as a datetime": lambda b: b["invoice"]["header"].update(date="2026-01-05T00:00:00Z"),
    "date not a calendar day": lambda b: b["invoice"]["header"].update(date="2026-02-30"),
    "date as a week": lambda b: b["invoice"]["header"].update(date="2026-W01-1"),
    "currency lower case": lambda b: b["invoice"]["header"].update(currencyCode="eur"),
    "unlisted method": lambda b: b["distribution"].update(method="CARRIER_PIGEON"),
    "method as an int": lambda b: b["distribution"].update(method=1),
    "enabled as 1": lambda b: b["distribution"].update(enabled=1),
    "bad e-mail": lambda b: b["invoice"]["buyer"].update(email="nobody"),
    "control character": lambda b: b["invoice"]["buyer"].update(name="a\x07b"),
    "newline in a single-line field": lambda b: b["invoice"]["buyer"].update(name="a\nb"),
    "newline in free text": lambda b: b["invoice"]["header"].update(description="a\nb"),
    "bidi override": lambda b: b["invoice"]["header"].update(description="a\u202eb"),
    "unknown keys": lambda b: b["invoice"].update(rows=[{"x": 1}], terms="30 days"),
    "unknown top-level key": lambda b: b.update(extraThing={"a": Decimal("1.5")}),
    "section null": lambda b: b["invoice"].update(amounts=None, buyer=None),
    "section missing": lambda b: b.pop("processing"),
    "section a list": lambda b: b.update(processing=[]),
    "section a mapping that is not a dict": lambda b: b.update(
        processing=UserDict(b["processing"])
    ),
    "buyer name null": lambda b: b["invoice"]["buyer"].update(name=None),
    "language DK": lambda b: b["invoice"]["buyer"].update(languageCode="DK"),
}


@pytest.mark.parametrize("change", MALFORMED_INVOICES.values(), ids=MALFORMED_INVOICES.keys())
def test_an_unusual_or_bad_invoice_gives_the_general_paths_model_or_error(
    change: Callable[[dict[str, Any]], object],
) -> None:
    assert_same(invoice_with(change), InvoiceRequest)


BAD_OTHERS = [
    (ActionsRequest, lambda b: b.update(actions=[])),
    (ActionsRequest, lambda b: b["actions"][0]["data"].update(caseId=-1)),
    (ActionsRequest, lambda b: b["actions"][0]["data"].update(amount=Decimal("0.001"))),
    (ActionsRequest, lambda b: b["actions"][0]["data"].update(newDueDate="2026-13-01")),
    (ActionsRequest, lambda b: b["actions"][0].update(code="NOT_A_CODE")),
    (ActionsRequest, lambda b: b.update(actions=tuple(b["actions"]))),
    (ActionsRequest, lambda b: b["actions"][0]["data"].clear()),
    (LedgerSubmission, lambda b: b["ledgers"]["ledgerRows"][0].update(isVatRow=2)),
    (LedgerSubmission, lambda b: b["ledgers"]["ledgerRows"][0].update(isVatRow=True)),
    (LedgerSubmission, lambda b: b["ledgers"].update(documentDescription="x" * 10_000)),
    (LedgerSubmission, lambda b: b["ledgers"].update(ledgerRows=[])),
    (NewClientRequest, lambda b: b["client"].update(website="not a site")),
    (NewClientRequest, lambda b: b["client"].update(countryCode="XX")),
    (NewClientRequest, lambda b: b.update(contacts=[{"role": "MAIN"}])),
    (AccountingPaymentsSubmission, lambda b: b["payments"][0].update(currency="EURO")),
    (AccountingPaymentsSubmission, lambda b: b["payments"][0].update(paymentDate=None)),
]


@pytest.mark.parametrize(("cls", "change"), BAD_OTHERS)
def test_other_requests_give_the_general_paths_model_or_error(
    cls: type[Any], change: Callable[[dict[str, Any]], object]
) -> None:
    body = BODIES[cls]()
    change(body)
    assert_same(body, cls)


@pytest.mark.parametrize("value", [None, [], "x", 3, Decimal("1.5")])
def test_a_body_that_is_not_an_object_gives_the_general_error(value: Any) -> None:
    assert assert_same(value, InvoiceRequest)[0] != "model"


def test_runtime_wire_aliases_take_the_general_path() -> None:
    aliases = WireAliases(["InvoiceHeader.currency_code=currency"])
    body = BODIES[InvoiceRequest]()
    body["invoice"]["header"]["currency"] = body["invoice"]["header"].pop("currencyCode")
    fast = outcome(lambda: from_wire(copy.deepcopy(body), InvoiceRequest, aliases))
    slow = outcome(lambda: general(copy.deepcopy(body), InvoiceRequest, aliases))
    assert fast == slow
    assert fast[0] == "model"
    assert fast[1].invoice.header.currency_code == "EUR"


def test_confirma_submit_reads_lines_through_the_compiled_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built: list[Any] = []
    build = fast_builder(InvoiceRequest)
    assert build is not None

    def counting(data: Any) -> Any:
        built.append(data)
        return build(data)

    monkeypatch.setitem(_convert._FAST, InvoiceRequest, counting)
    lines = b"".join(dumps(BODIES[InvoiceRequest]()) + b"\n" for _ in range(3))
    models = list(ModelLines(io.BytesIO(lines), InvoiceRequest, on_bad=lambda n, why: None))
    assert len(built) == 3
    assert models == [general(BODIES[InvoiceRequest](), InvoiceRequest)] * 3


# -- property: generated models and their mutations --------------------------------------------

invoice_requests = st.builds(
    InvoiceRequest,
    processing=s.processing,
    distribution=s.distribution,
    invoice=s.invoice,
    extra=s.extra_for(InvoiceRequest),
)
json_leaf = s.json_scalars | st.decimals(allow_nan=True, places=3) | st.floats() | s.text


def paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if path:
        yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from paths(item, (*path, i))


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(invoice_requests, st.data())
def test_generated_invoices_and_their_mutations_decode_alike(
    model: InvoiceRequest, data: st.DataObject
) -> None:
    wire = to_wire(model)
    kind, result = assert_same(wire, InvoiceRequest)
    if kind == "model":  # an open-enum pseudo-member or a generated extra may still be refused
        assert to_wire(result) == wire
    mutate(wire, data)
    assert_same(wire, InvoiceRequest)


def mutate(wire: dict[str, Any], data: st.DataObject) -> None:
    """Replace one value anywhere in ``wire`` by any JSON value, or drop one key."""
    where = data.draw(st.sampled_from(list(paths(wire))))
    node: Any = wire
    for step in where[:-1]:
        node = node[step]
    if data.draw(st.booleans()):
        node[where[-1]] = data.draw(json_leaf)
    elif isinstance(node, dict):
        del node[where[-1]]


def test_a_printable_string_never_holds_a_character_the_text_rule_refuses() -> None:
    # The compiled path skips the text rule's regular expressions for printable strings.
    refused = [
        chr(code)
        for code in range(sys.maxunicode + 1)
        if chr(code).isprintable()
        and (_NOT_TEXT.search(chr(code)) or _NOT_FREE_TEXT.search(chr(code)))
    ]
    assert refused == []


# -- the compiled encoder: the same wire dict, key for key and in order ------------------------


def general_wire(model: Any) -> Any:
    saved = _convert._ENCODERS.get(type(model))
    _convert._ENCODERS[type(model)] = None
    try:
        return to_wire(model)
    finally:
        _convert._ENCODERS[type(model)] = saved


def ordered(value: Any) -> Any:
    """``value`` with every dict as a list of items: equality then also compares key order."""
    if isinstance(value, dict):
        return [(k, ordered(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [ordered(v) for v in value]
    return (type(value), value)


def wire_outcome(make: Callable[[], Any]) -> Any:
    try:
        return ordered(make())
    except ConfirmaError as exc:
        return (type(exc).__name__, getattr(exc, "field", None), str(exc))


@pytest.mark.parametrize("cls", REQUESTS)
def test_every_request_model_is_written_by_a_compiled_encoder_as_by_the_converter(
    cls: type[Any],
) -> None:
    model = from_wire(BODIES[cls](), cls)
    assert fast_encoder(cls) is not None
    assert ordered(to_wire(model)) == ordered(general_wire(model))


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("invoice.header.date", datetime(2026, 1, 5, tzinfo=UTC)),  # a datetime in a date field
        ("invoice.header.currency_code", MemberLike.X),  # an enum member for a string field
        ("invoice.header.type", "CUSTOM"),  # a plain string for an enum field
        ("invoice.header.type", 7),
        ("invoice.amounts.total_amount", Decimal("NaN")),
        ("invoice.amounts.total_amount", 12.5),
        ("invoice.amounts.total_amount", Decimal("1.005")),
        ("invoice.header.number", True),
        ("distribution.enabled", 1),
        ("invoice.buyer", None),
        ("invoice.amounts.vat_amount", None),
    ],
)
def test_an_unusual_value_is_written_by_the_general_path(path: str, value: Any) -> None:
    model: Any = from_wire(BODIES[InvoiceRequest](), InvoiceRequest)
    *parents, last = path.split(".")
    node = model
    for name in parents:
        node = getattr(node, name)
    object.__setattr__(node, last, value)  # past validation, as a subclass or a bug might
    assert wire_outcome(lambda: to_wire(model)) == wire_outcome(lambda: general_wire(model))


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(invoice_requests | st.builds(ActionsRequest, actions=st.lists(s.invoice_action, min_size=1)))
def test_generated_requests_are_written_alike(model: Any) -> None:
    assert ordered(to_wire(model)) == ordered(general_wire(model))
