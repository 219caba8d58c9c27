"""Hypothesis: every model survives wire JSON unchanged; bad input always gives a typed error."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from confirma_async import models as m
from confirma_async._core import json as _json
from confirma_async.errors import RequestValidationError, ResponseDecodeError
from confirma_async.models import from_wire, to_wire
from confirma_async.models._iso_codes import COUNTRY_CODES, CURRENCY_CODES

from .strategies import MODELS, json_values, settlement

FAST = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MODEL_CLASSES = sorted(MODELS, key=lambda c: c.__name__)


def test_every_exported_model_has_a_strategy() -> None:
    exported = {
        obj for name in m.__all__ if attrs.has(obj := getattr(m, name)) and isinstance(obj, type)
    }
    assert exported == set(MODELS)
    for cls in exported:
        names = [f.name for f in attrs.fields(cls)]
        # ``extra`` ends the wire fields; only a POST result's ``raw_body`` may follow it.
        assert names[-1] == "extra" or names[-2:] == ["extra", "raw_body"], cls
        assert cls.__doc__, cls


@pytest.mark.parametrize("cls", MODEL_CLASSES, ids=lambda c: c.__name__)
@FAST
@given(data=st.data())
def test_round_trip_through_json(cls: type[Any], data: st.DataObject) -> None:
    original = data.draw(MODELS[cls])
    wire = to_wire(original)
    assert from_wire(wire, cls) == original
    assert from_wire(_json.loads(_json.dumps(wire)), cls) == original


@FAST
@given(st.lists(MODELS[m.Payment], max_size=4))
def test_top_level_list_round_trip(payments: list[m.Payment]) -> None:
    wire = _json.dumps([to_wire(p) for p in payments])
    assert from_wire(_json.loads(wire), list[m.Payment]) == payments


@FAST
@given(settlement)
def test_settlement_ids_above_32_bits_survive_json(s: m.Settlement) -> None:
    back = from_wire(_json.loads(_json.dumps(to_wire(s))), m.Settlement)
    assert back.settlement_id == s.settlement_id >= 2**31


def _invoice(total: Any = Decimal("1.00"), currency: str = "EUR") -> m.InvoiceRequest:
    return m.InvoiceRequest(
        processing=m.Processing(payment_control_enabled=True),
        distribution=m.Distribution(method=m.DistributionMethod.EMAIL),
        invoice=m.Invoice(
            header=m.InvoiceHeader(
                number=1, date=date(2026, 1, 1), due_date=date(2026, 1, 2), currency_code=currency
            ),
            amounts=m.InvoiceAmounts(total_amount=total),
        ),
    )


@FAST
@given(st.floats(allow_nan=True, allow_infinity=True))
def test_any_float_amount_is_rejected(value: float) -> None:
    with pytest.raises(RequestValidationError) as info:
        _invoice(total=value)
    assert info.value.field == "invoice.amounts.totalAmount"


@FAST
@given(
    st.decimals(places=5, allow_nan=False, allow_infinity=False).filter(
        lambda d: d.as_tuple().exponent < -2 and d.as_tuple().digits[-1] != 0
    )
)
def test_more_than_two_decimals_is_rejected(value: Decimal) -> None:
    with pytest.raises(RequestValidationError) as info:
        _invoice(total=value)
    assert info.value.field == "invoice.amounts.totalAmount"


@FAST
@given(
    st.decimals(min_value=-(10**15), max_value=10**15, places=5).filter(
        lambda d: d != d.quantize(Decimal("0.01"))
    )
)
def test_more_than_two_decimals_is_rejected_in_range(value: Decimal) -> None:
    with pytest.raises(RequestValidationError):
        _invoice(total=value)


@FAST
@given(st.decimals(places=2, allow_nan=False, allow_infinity=False))
def test_two_decimals_of_any_size_are_accepted_and_exact(value: Decimal) -> None:
    wire = _json.dumps(to_wire(_invoice(total=value)))
    back = from_wire(_json.loads(wire), m.InvoiceRequest)
    assert back.invoice.amounts is not None
    assert back.invoice.amounts.total_amount == value


@FAST
@given(st.text(max_size=4).filter(lambda c: c not in CURRENCY_CODES))
def test_unknown_currency_is_rejected(code: str) -> None:
    with pytest.raises(RequestValidationError) as info:
        _invoice(currency=code)
    assert info.value.field == "invoice.header.currencyCode"
    assert info.value.value == code


@FAST
@given(st.text(max_size=3).filter(lambda c: c not in COUNTRY_CODES))
def test_unknown_country_is_rejected(code: str) -> None:
    with pytest.raises(RequestValidationError) as info:
        m.validate_request(m.BuyerParty(name="b", country_code=code), "invoice.buyer")
    assert info.value.field == "invoice.buyer.countryCode"


@FAST
@given(st.text(min_size=211, max_size=400))
def test_long_document_description_is_rejected(description: str) -> None:
    row = m.LedgerRow(
        booking_date=date(2026, 1, 1),
        account_number="1",
        vat_percentage=Decimal(0),
        amount=Decimal(1),
        net_amount=Decimal(1),
    )
    with pytest.raises(RequestValidationError) as info:
        m.LedgerSubmission(
            ledgers=m.LedgerDocument(
                ledger_identifier="l",
                company_identifier="c",
                document_type="ML",
                document_name="1",
                document_date=date(2026, 1, 1),
                document_description=description,
                calculation_mode=m.CalculationMode.GROSS,
                ledger_rows=[row],
            )
        )
    assert info.value.field == "ledgers.documentDescription"


@FAST
@given(st.datetimes(timezones=st.none()))
def test_naive_datetime_is_rejected_on_encode(when: datetime) -> None:
    with pytest.raises(RequestValidationError) as info:
        to_wire(m.InvoiceCreated(invoice_number=1, received_at=when))
    assert info.value.field == "receivedAt"


@pytest.mark.parametrize("cls", MODEL_CLASSES, ids=lambda c: c.__name__)
@settings(max_examples=25, deadline=None)
@given(junk=json_values)
def test_arbitrary_json_gives_a_typed_error_or_a_model(cls: type[Any], junk: Any) -> None:
    try:
        result = from_wire(junk, cls)
    except (ResponseDecodeError, RequestValidationError):
        return
    assert isinstance(result, cls)


@FAST
@given(data=st.data())
def test_dropping_a_required_key_names_it(data: st.DataObject) -> None:
    page = data.draw(MODELS[m.SettlementsPage].filter(lambda p: p.settlements))
    wire = to_wire(page)
    required = ["settlementId", "settlementDate", "agency", "settlementAmount", "currency"]
    key = data.draw(st.sampled_from(required))
    del wire["settlements"][0][key]
    with pytest.raises(ResponseDecodeError) as info:
        from_wire(wire, m.SettlementsPage)
    assert info.value.path == f"settlements[0].{key}"


@FAST
@given(st.text(max_size=10), st.integers(-(2**40), 2**40))
def test_open_enums_round_trip_unknown_values(raw: str, number: int) -> None:
    item = from_wire({"type": raw, "amount": 1}, m.BreakdownItem)
    assert item.type == raw
    assert to_wire(item)["type"] == raw
    status = from_wire({"sourceIdentifier": "s", "status": number}, m.SubmissionStatus)
    assert status.status == number
    assert to_wire(status)["status"] == number


def test_utc_is_kept() -> None:
    when = datetime(2026, 1, 1, tzinfo=UTC)
    back = from_wire(
        to_wire(m.InvoiceCreated(invoice_number=1, received_at=when)), m.InvoiceCreated
    )
    assert back.received_at == when
    assert back.received_at is not None
    assert back.received_at.tzinfo is not None
