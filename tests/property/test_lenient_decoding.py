"""Strict where the docs are, lenient where we guessed: the decoding rule, field by field."""

from __future__ import annotations

import typing
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from confirma_async import models as m
from confirma_async.errors import ResponseDecodeError
from confirma_async.models import from_wire, to_wire
from confirma_async.models._fields import guess_of, wire_fields, wire_name

from .strategies import MODELS

FAST = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])

RESPONSE_MODELS = (
    m.TokenValidation,
    m.RenewedToken,
    m.NewClient,
    m.InvoiceCreated,
    m.QueuedAction,
    m.ActionsQueued,
    m.CaseSummary,
    m.CaseBalance,
    m.CasePayment,
    m.CaseEvent,
    m.Case,
    m.CaseDetails,
    m.DistributionRecord,
    m.DistributionFilters,
    m.DistributionMeta,
    m.DistributionPage,
    m.Payment,
    m.BreakdownItem,
    m.Allocation,
    m.Beneficiary,
    m.Settlement,
    m.SettlementsPage,
    m.SubmissionStatus,
    m.LedgerStatus,
    m.LedgerStatusList,
    m.AccountingPaymentsAccepted,
    m.AccountingPaymentStatus,
    m.AccountingPaymentStatusList,
    m.AccountingInvoiceStatus,
    m.AccountingInvoiceStatusList,
)

GUESSED = [(cls, f) for cls in RESPONSE_MODELS for f in wire_fields(cls) if guess_of(f) is not None]
DOCUMENTED = [(cls, f) for cls in RESPONSE_MODELS for f in wire_fields(cls) if guess_of(f) is None]


def _id(case: tuple[type[Any], attrs.Attribute[Any]]) -> str:
    return f"{case[0].__name__}.{case[1].name}"


def _default(field: attrs.Attribute[Any]) -> Any:
    default = field.default
    return default.factory() if isinstance(default, attrs.Factory) else default  # type: ignore[arg-type]


def _wrong_value(cls: type[Any], field: attrs.Attribute[Any]) -> Any:
    """A JSON value no decoder of this field's type accepts."""
    hint = typing.get_type_hints(cls)[field.name]
    args = [a for a in typing.get_args(hint) if a is not type(None)] or [hint]
    inner = args[0]
    if typing.get_origin(inner) is list or (isinstance(inner, type) and attrs.has(inner)):
        return "not an object or a list"
    return {"unexpected": [1]}


def test_every_response_model_is_covered() -> None:
    exported = {
        obj for name in m.__all__ if attrs.has(obj := getattr(m, name)) and isinstance(obj, type)
    }
    requests = {cls for cls in exported if not any(guess_of(f) for f in wire_fields(cls))}
    assert set(RESPONSE_MODELS) <= exported
    # Request models carry no guessed field: what we send is checked by documented rules only.
    assert {cls for cls, _ in GUESSED} <= set(RESPONSE_MODELS)
    assert exported - set(RESPONSE_MODELS) <= requests


def test_the_fields_we_guessed_are_exactly_these() -> None:
    guessed = {f"{cls.__name__}.{f.name}: {guess_of(f)}" for cls, f in GUESSED}
    assert guessed == {
        "RenewedToken.token: A20",
        "RenewedToken.expires_at: A20",
        "NewClient.client_id: A21",
        "NewClient.customer_code: A21",
        "NewClient.payment_reference_prefix: A21",
        "NewClient.access_token: A21",
        "NewClient.expires_at: A21",
        "InvoiceCreated.invoice_number: A7",
        "InvoiceCreated.status: A7",
        "InvoiceCreated.received_at: A7",
        "QueuedAction.index: A9",
        "QueuedAction.code: A9",
        "QueuedAction.status: A9",
        "QueuedAction.action_id: A9",
        "ActionsQueued.actions: A9",
        "CaseBalance.costs_amount: A10",
        "CaseBalance.total_amount: A10",
        "CasePayment.payment_date: A10",
        "CasePayment.amount: A10",
        "CasePayment.reference: A10",
        "CaseEvent.event_date: A10",
        "CaseEvent.type: A10",
        "CaseEvent.description: A10",
        "Case.payments: A10",
        "Case.events: A10",
        *(f"DistributionRecord.{f.name}: A11" for f in wire_fields(m.DistributionRecord)),
        "DistributionFilters.invoice_number: A11",
        "DistributionFilters.fetch_type: A11",
        "DistributionFilters.default_last30_days: A11",
        "DistributionPage.distributions: A11",
        "Payment.amount: A12",
        "Payment.currency: A12",
        "Settlement.api_fetch_date: A13",
        "SubmissionStatus.source_identifier: A14",
        "SubmissionStatus.status: A14",
        "SubmissionStatus.description: A14",
        "AccountingPaymentsAccepted.payments: A16",
        *(f"AccountingInvoiceStatus.{f.name}: A17" for f in wire_fields(m.AccountingInvoiceStatus)),
        "AccountingInvoiceStatusList.invoices: A17",
    }


@pytest.mark.parametrize("case", GUESSED, ids=_id)
@FAST
@given(data=st.data())
def test_a_guessed_field_that_is_absent_decodes_to_its_default(
    case: tuple[type[Any], attrs.Attribute[Any]], data: st.DataObject
) -> None:
    cls, field = case
    wire = to_wire(data.draw(MODELS[cls]))
    wire.pop(wire_name(field), None)
    decoded = from_wire(wire, cls)
    assert getattr(decoded, field.name) == _default(field)
    assert wire_name(field) not in decoded.extra


@pytest.mark.parametrize("case", GUESSED, ids=_id)
@FAST
@given(data=st.data())
def test_a_guessed_field_of_another_type_is_its_default_with_the_value_in_extra(
    case: tuple[type[Any], attrs.Attribute[Any]], data: st.DataObject
) -> None:
    cls, field = case
    original = data.draw(MODELS[cls])
    wire = to_wire(original)
    bad = _wrong_value(cls, field)
    wire[wire_name(field)] = bad
    decoded = from_wire(wire, cls)
    assert getattr(decoded, field.name) == _default(field)
    assert decoded.extra[wire_name(field)] == bad
    for other in wire_fields(cls):  # the rest of the object is untouched
        if other is not field:
            assert getattr(decoded, other.name) == getattr(original, other.name)


@pytest.mark.parametrize("case", DOCUMENTED, ids=_id)
@FAST
@given(data=st.data())
def test_a_documented_field_of_another_type_is_an_error_naming_its_wire_path(
    case: tuple[type[Any], attrs.Attribute[Any]], data: st.DataObject
) -> None:
    cls, field = case
    wire = to_wire(data.draw(MODELS[cls]))
    wire[wire_name(field)] = _wrong_value(cls, field)
    with pytest.raises(ResponseDecodeError) as caught:
        from_wire(wire, cls)
    assert caught.value.path == wire_name(field)


def test_a_nested_documented_field_error_names_the_full_path() -> None:
    page = {"createdAt": None, "settlements": [{"settlementId": 1}, {"settlementAmount": "x"}]}
    with pytest.raises(ResponseDecodeError) as caught:
        from_wire(page, m.SettlementsPage)
    assert caught.value.path.startswith("settlements[0].")
