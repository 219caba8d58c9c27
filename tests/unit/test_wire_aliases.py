"""Runtime wire aliases: building a WireAliases, decoding with it, and wiring it through the client.

An alias is another wire name a response field may arrive under: the model's own name is read
first, then the aliases in the order given; a key read through an alias does not land in ``extra``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import attrs
import pytest
from aioresponses import CallbackResult, aioresponses
from click.testing import CliRunner, Result
from yarl import URL

from confirma_async import (
    CaseDetails,
    CaseEvent,
    ConfigurationError,
    ConfirmaClient,
    DistributionMeta,
    DistributionPage,
    DistributionRecord,
    LookupInconclusiveError,
    NewClient,
    Payment,
    ResponseDecodeError,
    SettlementsPage,
    WatchStats,
    WireAliases,
)
from confirma_async._cli.settings import Settings
from confirma_async.cli import cli
from confirma_async.models import from_wire
from confirma_async.models._distribution_fast import decode_distribution_page

from .conftest import BASE, FAST, TOKEN, url

DAY = date(2026, 1, 15)
NEXT = DAY + timedelta(days=1)
STATUS_ALIAS = "DistributionRecord.distribution_status=deliveryState"
NUMBER_ALIAS = "DistributionRecord.invoice_number=invoiceNo"


def record(number: int | None = 42, day: date = DAY, **renamed: Any) -> dict[str, Any]:
    """A distribution record on the wire; ``renamed={"invoiceNumber": "invoiceNo"}`` moves keys."""
    wire: dict[str, Any] = {
        "invoiceNumber": number,
        "invoiceDate": day.isoformat(),
        "caseId": None,
        "distributionMethod": "EMAIL",
        "distributionStatus": "QUEUED",
        "paymentControlStatus": "NONE",
        "createdAt": "2026-01-15T10:00:00.000Z",
        "updatedAt": "2026-01-15T10:05:00.000Z",
        "deliveredAt": None,
    }
    for own, alias in renamed.items():
        wire[alias] = wire.pop(own)
    return wire


def page(*records: dict[str, Any], key: str = "distributions", **more: Any) -> dict[str, Any]:
    return {"metaData": {"totalCount": len(records)}, key: list(records), **more}


def payment(**renamed: str) -> dict[str, Any]:
    wire: dict[str, Any] = {
        "caseId": 481920,
        "invoiceNumber": "202600145",
        "originalPaymentReference": "RF71999999999999999999",
        "paymentDate": "2026-01-15T00:00:00Z",
        "amount": 10.5,  # a JSON number: the client reads it as Decimal("10.5")
    }
    for own, alias in renamed.items():
        wire[alias] = wire.pop(own)
    return wire


def case_details(**event: Any) -> dict[str, Any]:
    return {
        "case": {
            "summary": {"caseId": 1, "status": "OPEN", "createdAt": "2026-01-01T10:00:00Z"},
            "balance": {"capitalAmount": 100, "interestAmount": 0},
            "events": [{"type": "REMINDER", **event}],
        }
    }


def settlements(**allocation: Any) -> dict[str, Any]:
    return {
        "createdAt": "2026-04-01T09:34:12.123Z",
        "settlements": [
            {
                "settlementId": 202603280001,
                "settlementDate": "2026-03-28",
                "agency": "CASH-IN",
                "settlementAmount": Decimal("1000.00"),
                "currency": "EUR",
                "allocations": [
                    {
                        "allocationId": 9001001,
                        "allocatedTotalAmount": Decimal("1000.00"),
                        "allocationDate": "2026-03-28",
                        "currency": "EUR",
                        **allocation,
                    }
                ],
            }
        ],
    }


# --- construction -------------------------------------------------------------------------------


def test_aliases_are_built_from_specs() -> None:
    aliases = WireAliases([STATUS_ALIAS])

    assert aliases.names(DistributionRecord, "distribution_status") == ("deliveryState",)
    assert aliases.names(DistributionRecord, "invoice_number") == ()


def test_a_spec_can_give_several_names_tried_in_order() -> None:
    aliases = WireAliases(["DistributionRecord.invoice_number=invoiceNo,number"])

    assert aliases.names(DistributionRecord, "invoice_number") == ("invoiceNo", "number")


def test_aliases_are_built_from_a_mapping_of_one_name_or_several() -> None:
    aliases = WireAliases(
        {
            "DistributionRecord.distribution_status": "deliveryState",
            "DistributionRecord.invoice_number": ["invoiceNo", "number"],
        }
    )

    assert aliases == WireAliases(
        [STATUS_ALIAS, "DistributionRecord.invoice_number=invoiceNo,number"]
    )


@pytest.mark.parametrize("model", [DistributionRecord, "DistributionRecord"])
def test_an_alias_is_added_for_a_model_class_or_its_name(model: Any) -> None:
    aliases = WireAliases()

    aliases.add(model, "invoice_number", "invoiceNo")

    assert aliases.specs() == [NUMBER_ALIAS]


def test_adding_more_names_to_a_field_appends_them_once() -> None:
    aliases = WireAliases([NUMBER_ALIAS])

    aliases.add(DistributionRecord, "invoice_number", "number", "invoiceNo")

    assert aliases.names(DistributionRecord, "invoice_number") == ("invoiceNo", "number")


def test_specs_round_trip_through_the_constructor() -> None:
    aliases = WireAliases([STATUS_ALIAS, "DistributionRecord.invoice_number=invoiceNo,number"])
    aliases.add(CaseEvent, "event_date", "occurredAt")

    again = WireAliases(aliases.specs())

    assert again == aliases
    assert again.specs() == aliases.specs()
    assert list(again) == aliases.specs()


def test_version_increases_on_each_change() -> None:
    aliases = WireAliases()
    versions = [aliases.version]

    aliases.add(DistributionRecord, "invoice_number", "invoiceNo")
    versions.append(aliases.version)
    aliases.add_spec(STATUS_ALIAS)
    versions.append(aliases.version)
    aliases.add(DistributionRecord, "invoice_number", "number")
    versions.append(aliases.version)

    assert versions == sorted(set(versions))
    assert len(versions) == 4


def test_a_rejected_alias_changes_nothing() -> None:
    aliases = WireAliases([NUMBER_ALIAS])
    before = (aliases.specs(), aliases.version)

    with pytest.raises(ConfigurationError):
        aliases.add(DistributionRecord, "invoice_number", "number", "caseId")

    assert (aliases.specs(), aliases.version) == before


def test_len_counts_aliased_fields() -> None:
    assert len(WireAliases()) == 0
    assert len(WireAliases([STATUS_ALIAS, "DistributionRecord.invoice_number=a,b"])) == 2


def test_equality_compares_the_aliases() -> None:
    assert WireAliases([STATUS_ALIAS]) == WireAliases(
        {"DistributionRecord.distribution_status": "deliveryState"}
    )
    assert WireAliases([STATUS_ALIAS]) != WireAliases([NUMBER_ALIAS])
    assert WireAliases(["DistributionRecord.invoice_number=a,b"]) != WireAliases(
        ["DistributionRecord.invoice_number=b,a"]
    )  # the order is the lookup order
    assert WireAliases() != [STATUS_ALIAS]


def test_aliases_are_not_hashable_since_they_change() -> None:
    with pytest.raises(TypeError):
        hash(WireAliases())


def test_repr_lists_the_specs() -> None:
    assert repr(WireAliases([STATUS_ALIAS])) == f"WireAliases({[STATUS_ALIAS]!r})"


# --- construction errors ------------------------------------------------------------------------


def config_error(build: Any) -> ConfigurationError:
    with pytest.raises(ConfigurationError) as info:
        build()
    return info.value


@pytest.mark.parametrize(
    ("spec", "why"),
    [
        ("DistributionRecord.nope=x", "has no wire field 'nope'"),
        ("DistributionRecord.extra=x", "has no wire field 'extra'"),
        ("NewClient.raw_body=x", "has no wire field 'raw_body'"),
        ("DistributionRecord.invoice_number=", "bad wire name ''"),
        ("DistributionRecord.invoice_number=a,,b", "bad wire name ''"),
        ("DistributionRecord.invoice_number=a=b", "bad wire name 'a=b'"),
        ("DistributionRecord.invoice_number=caseId", "already the wire name"),
        ("DistributionRecord.invoice_number=invoiceNumber", "already the wire name"),
        ("DistributionRecord.invoice_number", "expected 'Model.field=name"),
        ("DistributionRecord=x", "expected 'Model.field=name"),
        (".invoice_number=x", "expected 'Model.field=name"),
        ("DistributionRecord.=x", "expected 'Model.field=name"),
    ],
)
def test_a_bad_spec_is_a_configuration_error_naming_it(spec: str, why: str) -> None:
    error = config_error(lambda: WireAliases([spec]))

    assert spec in str(error)
    assert why in str(error)


@pytest.mark.parametrize("spec", ["Nope.field=x", "DistributionStatus.value=x", "WireAliases.x=y"])
def test_an_unknown_model_name_is_a_configuration_error_naming_the_model(spec: str) -> None:
    error = config_error(lambda: WireAliases([spec]))

    assert spec.partition(".")[0] in str(error)
    assert "is not a model class" in str(error)


@pytest.mark.parametrize("spec", ["Nope.field=x", "DistributionStatus.value=x"])
def test_an_unknown_model_name_is_an_error_naming_the_whole_spec(spec: str) -> None:
    assert spec in str(config_error(lambda: WireAliases([spec])))


@attrs.frozen
class Foreign:
    number: int = 0


@pytest.mark.parametrize("model", [Foreign, WatchStats, int, dict, None])
def test_a_class_that_is_not_a_confirma_model_is_refused(model: Any) -> None:
    error = config_error(lambda: WireAliases().add(model, "number", "n"))

    assert repr(model) in str(error)
    assert "is not a model class" in str(error)


@pytest.mark.parametrize("name", [" invoiceNo", "invoiceNo ", "\tinvoiceNo", "a=b", "", 5])
def test_add_refuses_a_bad_wire_name(name: Any) -> None:
    error = config_error(lambda: WireAliases().add(DistributionRecord, "invoice_number", name))

    assert "DistributionRecord.invoice_number=" in str(error)
    assert "bad wire name" in str(error)


def test_a_mapping_refuses_a_name_with_surrounding_spaces() -> None:
    error = config_error(lambda: WireAliases({"DistributionRecord.invoice_number": " invoiceNo"}))

    assert "bad wire name ' invoiceNo'" in str(error)


def test_add_needs_at_least_one_name() -> None:
    error = config_error(lambda: WireAliases().add(DistributionRecord, "invoice_number"))

    assert "DistributionRecord.invoice_number=" in str(error)


def test_a_name_already_an_alias_of_another_field_of_the_model_is_refused() -> None:
    aliases = WireAliases([NUMBER_ALIAS])

    error = config_error(lambda: aliases.add(DistributionRecord, "case_id", "invoiceNo"))

    assert "DistributionRecord.case_id=invoiceNo" in str(error)
    assert "already an alias of DistributionRecord.invoice_number" in str(error)


def test_the_same_name_may_alias_fields_of_different_models() -> None:
    aliases = WireAliases([NUMBER_ALIAS, "DistributionFilters.invoice_number=invoiceNo"])

    assert len(aliases) == 2


def test_a_built_in_alias_of_another_field_is_refused() -> None:
    config_error(lambda: WireAliases(["NewClient.client_id=token"]))


def test_one_string_instead_of_a_list_is_refused() -> None:
    error = config_error(lambda: WireAliases("A.b=c"))  # type: ignore[arg-type]

    assert "'A.b=c'" in str(error)
    assert "not one string" in str(error)


def test_a_client_refuses_one_string_of_aliases() -> None:
    with pytest.raises(ConfigurationError):
        ConfirmaClient(api_key=TOKEN, base_url=BASE, wire_aliases="A.b=c")  # type: ignore[arg-type]


# --- decoding -----------------------------------------------------------------------------------


def test_the_aliased_key_is_read_when_the_own_name_is_absent() -> None:
    data = record(distributionStatus="deliveryState")

    decoded = from_wire(data, DistributionRecord, WireAliases([STATUS_ALIAS]))

    assert decoded.distribution_status == "QUEUED"
    assert decoded.extra == {}


def test_the_own_name_wins_when_both_are_present() -> None:
    data = {**record(), "deliveryState": "DELIVERED"}

    decoded = from_wire(data, DistributionRecord, WireAliases([STATUS_ALIAS]))

    assert decoded.distribution_status == "QUEUED"
    assert decoded.extra == {"deliveryState": "DELIVERED"}  # not read, so kept


def test_only_the_key_read_through_an_alias_stays_out_of_extra() -> None:
    data = {**record(invoiceNumber="invoiceNo"), "channel": "web", "deliveryState": "x"}

    decoded = from_wire(data, DistributionRecord, WireAliases([NUMBER_ALIAS]))

    assert decoded.invoice_number == 42
    assert decoded.extra == {"channel": "web", "deliveryState": "x"}


@pytest.mark.parametrize(
    ("keys", "expected", "left"),
    [
        ({"invoiceNo": 1}, 1, {}),
        ({"number": 2}, 2, {}),
        ({"number": 2, "invoiceNo": 1}, 1, {"number": 2}),
        ({"invoiceNumber": 3, "number": 2, "invoiceNo": 1}, 3, {"number": 2, "invoiceNo": 1}),
    ],
)
def test_several_aliases_are_tried_in_order(
    keys: dict[str, int], expected: int, left: dict[str, int]
) -> None:
    data = {**record(), **keys}
    if "invoiceNumber" not in keys:
        del data["invoiceNumber"]
    aliases = WireAliases(["DistributionRecord.invoice_number=invoiceNo,number"])

    decoded = from_wire(data, DistributionRecord, aliases)

    assert decoded.invoice_number == expected
    assert decoded.extra == left


def test_an_alias_applies_to_its_model_only() -> None:
    data = {"invoiceNo": 7}
    aliases = WireAliases([NUMBER_ALIAS])

    meta = from_wire({"filtersApplied": data, "totalCount": 0}, DistributionMeta, aliases)

    assert meta.filters_applied.invoice_number is None
    assert meta.filters_applied.extra == {"invoiceNo": 7}


def test_aliases_apply_to_nested_models() -> None:
    aliases = WireAliases(["CaseEvent.event_date=occurredAt", "CaseSummary.status=state"])
    data = case_details(occurredAt="2026-01-02T08:00:00Z")
    data["case"]["summary"]["state"] = data["case"]["summary"].pop("status")

    details = from_wire(data, CaseDetails, aliases)

    assert details.case.summary.status == "OPEN"
    assert details.case.summary.extra == {}
    assert details.case.events[0].event_date is not None
    assert details.case.events[0].event_date.isoformat() == "2026-01-02T08:00:00+00:00"
    assert details.case.events[0].extra == {}


def test_an_alias_satisfies_a_required_field_of_a_nested_model() -> None:
    data = settlements(invoiceNo="202600145")
    aliases = WireAliases(["Allocation.original_invoice_number=invoiceNo"])

    page_ = from_wire(data, SettlementsPage, aliases)

    allocation = page_.settlements[0].allocations[0]
    assert allocation.original_invoice_number == "202600145"
    assert allocation.extra == {}
    with pytest.raises(ResponseDecodeError) as info:
        from_wire(data, SettlementsPage)
    assert "originalInvoiceNumber" in info.value.path


def test_aliases_apply_to_every_item_of_a_top_level_list() -> None:
    data = [payment(amount="paidAmount"), payment(amount="paidAmount")]

    payments = from_wire(data, list[Payment], WireAliases(["Payment.amount=paidAmount"]))

    assert [p.amount for p in payments] == [Decimal("10.5")] * 2
    assert [p.extra for p in payments] == [{}, {}]


def test_the_alias_set_is_per_call() -> None:
    data = record(distributionStatus="deliveryState")
    from_wire(data, DistributionRecord, WireAliases([STATUS_ALIAS]))

    plain = from_wire(data, DistributionRecord)

    assert plain.distribution_status is None
    assert plain.extra == {"deliveryState": "QUEUED"}


def test_an_alias_added_after_a_decode_is_used_by_the_next_one() -> None:
    aliases = WireAliases()
    data = record(distributionStatus="deliveryState")
    before = from_wire(data, DistributionRecord, aliases)

    aliases.add_spec(STATUS_ALIAS)

    assert before.distribution_status is None
    assert from_wire(data, DistributionRecord, aliases).distribution_status == "QUEUED"


# --- the fast distribution path -----------------------------------------------------------------

FAST_CASES = [
    pytest.param([], page(record()), id="no-aliases"),
    pytest.param([NUMBER_ALIAS], page(record(invoiceNumber="invoiceNo")), id="aliased-number"),
    pytest.param(
        [NUMBER_ALIAS, STATUS_ALIAS],
        page(
            record(1, invoiceNumber="invoiceNo", distributionStatus="deliveryState"),
            {**record(2), "invoiceNo": 9, "channel": "web"},
            record(3),
        ),
        id="aliases-and-extra-keys",
    ),
    pytest.param(
        ["DistributionRecord.invoice_number=invoiceNo,number"],
        page(record(invoiceNumber="number"), {**record(invoiceNumber="number"), "invoiceNo": 5}),
        id="alias-order",
    ),
    pytest.param(
        ["DistributionPage.distributions=records", NUMBER_ALIAS],
        page(record(invoiceNumber="invoiceNo"), key="records"),
        id="aliased-record-list",
    ),
    pytest.param(
        ["DistributionPage.distributions=records"],
        page(record(1), key="distributions", records=[record(2)]),
        id="own-record-list-wins",
    ),
    pytest.param(
        ["DistributionPage.distributions=records"],
        page(record(), key="records", nextCursor="abc", generatedAt="2026-01-15"),
        id="page-extra-keys",
    ),
    pytest.param([], page(record(), key="records"), id="unknown-record-list"),
    pytest.param(
        ["DistributionMeta.total_count=count"],
        {"metaData": {"count": 1}, "distributions": [record()]},
        id="aliased-meta",
    ),
    pytest.param(
        [NUMBER_ALIAS],
        page(record("77", invoiceNumber="invoiceNo")),  # type: ignore[arg-type]
        id="aliased-number-as-string",
    ),
]


@pytest.mark.parametrize(("specs", "data"), FAST_CASES)
def test_the_fast_distribution_decoder_gives_what_the_generic_one_gives(
    specs: list[str], data: dict[str, Any]
) -> None:
    aliases = WireAliases(specs)

    assert decode_distribution_page(data, aliases) == from_wire(data, DistributionPage, aliases)


def test_the_fast_decoder_reads_an_aliased_record_list_and_invoice_number() -> None:
    data = page(record(invoiceNumber="invoiceNo"), key="records", nextCursor="abc")
    aliases = WireAliases(["DistributionPage.distributions=records", NUMBER_ALIAS])

    decoded = decode_distribution_page(data, aliases)

    assert [r.invoice_number for r in decoded.distributions] == [42]
    assert decoded.distributions[0].extra == {}
    assert decoded.extra == {"nextCursor": "abc"}


# --- through a client ---------------------------------------------------------------------------

CLIENT_ALIASES = [
    NUMBER_ALIAS,
    STATUS_ALIAS,
    "Payment.amount=paidAmount",
    "CaseEvent.event_date=occurredAt",
]


@pytest.fixture
async def aliased() -> AsyncIterator[ConfirmaClient]:
    async with ConfirmaClient(
        api_key=TOKEN, base_url=BASE, config=FAST, wire_aliases=CLIENT_ALIASES
    ) as c:
        yield c


def test_a_client_keeps_the_aliases_it_was_given() -> None:
    given = WireAliases([STATUS_ALIAS])

    assert ConfirmaClient(api_key=TOKEN, base_url=BASE, wire_aliases=given).wire_aliases is given
    built = ConfirmaClient(
        api_key=TOKEN, base_url=BASE, wire_aliases={NUMBER_ALIAS.split("=")[0]: "invoiceNo"}
    )
    assert built.wire_aliases.specs() == [NUMBER_ALIAS]
    assert len(ConfirmaClient(api_key=TOKEN, base_url=BASE).wire_aliases) == 0


async def test_a_client_decodes_a_distribution_window_with_its_aliases(
    mocked: aioresponses, aliased: ConfirmaClient
) -> None:
    data = page(record(invoiceNumber="invoiceNo", distributionStatus="deliveryState"))
    mocked.get(url("/invoice/distribution"), payload=data)

    decoded = await aliased.invoices.distribution_window(DAY, DAY)

    (found,) = decoded.distributions
    assert (found.invoice_number, found.distribution_status) == (42, "QUEUED")
    assert found.extra == {}


async def test_a_client_decodes_payments_with_its_aliases(
    mocked: aioresponses, aliased: ConfirmaClient
) -> None:
    mocked.get(url("/payments"), payload=[payment(amount="paidAmount")])

    (decoded,) = await aliased.payments.payments_window(DAY, DAY)

    assert decoded.amount == Decimal("10.5")
    assert decoded.extra == {}


async def test_a_client_decodes_case_details_with_its_aliases(
    mocked: aioresponses, aliased: ConfirmaClient
) -> None:
    mocked.get(url("/invoice/case"), payload=case_details(occurredAt="2026-01-02T08:00:00Z"))

    details = await aliased.invoices.case(case_id=1)

    (event,) = details.case.events
    assert event.event_date is not None
    assert event.event_date.isoformat() == "2026-01-02T08:00:00+00:00"


async def test_an_alias_added_to_the_client_later_is_used_by_the_next_call(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    mocked.get(url("/payments"), payload=[payment(amount="paidAmount")], repeat=True)
    (before,) = await client.payments.payments_window(DAY, DAY)

    client.wire_aliases.add(Payment, "amount", "paidAmount")
    (after,) = await client.payments.payments_window(DAY, DAY)

    assert before.amount is None
    assert before.extra == {"paidAmount": Decimal("10.5")}
    assert after.amount == Decimal("10.5")


def same_record_every_window(*records: dict[str, Any]) -> Any:
    """A listing that answers ``records`` for every window, as if they straddled its edges."""

    def reply(request_url: URL, **kwargs: Any) -> CallbackResult:
        return CallbackResult(payload=page(*records))

    return reply


async def test_the_pager_de_duplicates_by_an_aliased_invoice_number(
    mocked: aioresponses, aliased: ConfirmaClient
) -> None:
    answer = same_record_every_window(record(invoiceNumber="invoiceNo"))
    mocked.get(url("/invoice/distribution"), callback=answer, repeat=True)
    pager = aliased.invoices.distributions(DAY, NEXT)

    found = await pager.to_list()

    assert [r.invoice_number for r in found] == [42]
    assert pager.stats.duplicates == 1
    assert len(mocked.requests) == 2  # one request per one-day window


async def test_without_the_alias_the_pager_cannot_de_duplicate(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    answer = same_record_every_window(record(invoiceNumber="invoiceNo"))
    mocked.get(url("/invoice/distribution"), callback=answer, repeat=True)

    found = await client.invoices.distributions(DAY, NEXT).to_list()

    assert [r.invoice_number for r in found] == [None, None]


async def test_the_payments_pager_de_duplicates_by_an_aliased_amount(
    mocked: aioresponses, aliased: ConfirmaClient, client: ConfirmaClient
) -> None:
    mocked.get(url("/payments"), payload=[payment(amount="paidAmount")], repeat=True)

    with_alias = await aliased.payments.list(DAY, NEXT).to_list()
    without = await client.payments.list(DAY, NEXT).to_list()

    assert [p.amount for p in with_alias] == [Decimal("10.5")]
    assert [p.amount for p in without] == [None, None]  # no amount read: never de-duplicated


async def test_find_distribution_finds_an_invoice_number_read_through_an_alias(
    mocked: aioresponses, aliased: ConfirmaClient
) -> None:
    mocked.get(url("/invoice/distribution"), payload=page(record(invoiceNumber="invoiceNo")))

    found = await aliased.invoices.find_distribution(42, DAY)

    assert found is not None
    assert found.invoice_number == 42


async def test_without_the_alias_find_distribution_is_inconclusive_not_none(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    mocked.get(url("/invoice/distribution"), payload=page(record(invoiceNumber="invoiceNo")))

    with pytest.raises(LookupInconclusiveError) as info:
        await client.invoices.find_distribution(42, DAY)

    assert info.value.keys == ["invoiceNo"]


async def test_find_distribution_with_an_aliased_record_list(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    data = page(record(), key="records")
    mocked.get(url("/invoice/distribution"), payload=data, repeat=True)

    with pytest.raises(LookupInconclusiveError):
        await client.invoices.find_distribution(42, DAY)
    client.wire_aliases.add("DistributionPage", "distributions", "records")
    found = await client.invoices.find_distribution(42, DAY)

    assert found is not None
    assert found.invoice_number == 42


# --- the command line ---------------------------------------------------------------------------

CLEAN_ENV: dict[str, str | None] = {
    "CONFIRMA_API_KEY": TOKEN,
    "CONFIRMA_BASE_URL": BASE,
    "CONFIRMA_ENVIRONMENT": None,
    "CONFIRMA_TOKEN_FILE": None,
    "CONFIRMA_WIRE_ALIASES": None,
}
VALIDATE_ALIASES = ["TokenValidation.is_valid=valid", "TokenValidation.message=detail"]
FLAG_ALIASES = [STATUS_ALIAS, *VALIDATE_ALIASES]


@pytest.fixture
def built_clients(monkeypatch: pytest.MonkeyPatch) -> list[ConfirmaClient]:
    """Every client the CLI builds from its Settings."""
    built: list[ConfirmaClient] = []
    original = Settings.client

    def spy(self: Settings, *args: Any, **kwargs: Any) -> ConfirmaClient:
        made = original(self, *args, **kwargs)
        built.append(made)
        return made

    monkeypatch.setattr(Settings, "client", spy)
    return built


def confirma(args: list[str], **env: str) -> Result:
    return CliRunner().invoke(cli, args, env={**CLEAN_ENV, **env}, catch_exceptions=False)


def test_wire_alias_flags_reach_the_client(
    mocked: aioresponses, built_clients: list[ConfirmaClient]
) -> None:
    mocked.get(url("/validate"), payload={"valid": True, "detail": "read through an alias"})
    flags = [arg for spec in FLAG_ALIASES for arg in ("--wire-alias", spec)]

    result = confirma([*flags, "token", "validate"])

    assert result.exit_code == 0, result.output
    assert "the API key is valid (read through an alias)" in result.output
    (made,) = built_clients
    assert made.wire_aliases.specs() == FLAG_ALIASES


def test_wire_alias_flags_beat_the_variable(
    mocked: aioresponses, built_clients: list[ConfirmaClient]
) -> None:
    mocked.get(url("/validate"), payload={"isValid": True})

    result = confirma(
        ["--wire-alias", STATUS_ALIAS, "token", "validate"], CONFIRMA_WIRE_ALIASES=NUMBER_ALIAS
    )

    assert result.exit_code == 0, result.output
    (made,) = built_clients
    assert made.wire_aliases.specs() == [STATUS_ALIAS]


def test_the_wire_aliases_variable_is_split_on_spaces(
    mocked: aioresponses, built_clients: list[ConfirmaClient]
) -> None:
    mocked.get(url("/validate"), payload={"valid": True, "detail": "from the environment"})

    result = confirma(["token", "validate"], CONFIRMA_WIRE_ALIASES=" ".join(VALIDATE_ALIASES))

    assert result.exit_code == 0, result.output
    assert "(from the environment)" in result.output
    (made,) = built_clients
    assert made.wire_aliases.specs() == VALIDATE_ALIASES


def test_settings_pass_their_aliases_to_the_client() -> None:
    settings = Settings(api_key=TOKEN, base_url=BASE, wire_aliases=(STATUS_ALIAS, NUMBER_ALIAS))

    assert settings.client().wire_aliases.specs() == [STATUS_ALIAS, NUMBER_ALIAS]


@pytest.mark.parametrize(
    "spec", ["DistributionRecord.nope=x", "bad", "DistributionRecord.invoice_number=caseId"]
)
def test_a_bad_wire_alias_flag_exits_2_naming_the_spec(mocked: aioresponses, spec: str) -> None:
    result = confirma(["--wire-alias", spec, "token", "validate"])

    assert result.exit_code == 2
    assert spec in result.output
    assert mocked.requests == {}


def test_a_bad_wire_aliases_variable_exits_2_naming_the_spec(mocked: aioresponses) -> None:
    result = confirma(["token", "validate"], CONFIRMA_WIRE_ALIASES=f"{STATUS_ALIAS} Oops.x")

    assert result.exit_code == 2
    assert "Oops.x" in result.output
    assert mocked.requests == {}


def test_a_wire_alias_flag_with_an_unknown_model_exits_2_naming_the_spec(
    mocked: aioresponses,
) -> None:
    result = confirma(["--wire-alias", "Nope.field=x", "token", "validate"])

    assert result.exit_code == 2
    assert "Nope.field=x" in result.output


def test_runtime_aliases_and_built_in_aliases_work_together() -> None:
    aliases = WireAliases(["NewClient.client_id=customerId"])

    decoded = from_wire({"customerId": "c-1", "token": "tok-new"}, NewClient, aliases)

    assert decoded.client_id == "c-1"
    assert decoded.access_token == "tok-new"  # read under its built-in alias "token"
    assert decoded.extra == {}
    assert "tok-new" not in repr(decoded)
