"""Hypothesis strategies for every model (valid by construction for request models)."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import attrs
from hypothesis import strategies as st

from confirma_async import models as m
from confirma_async.models._fields import WIRE_ALIASES, wire_name
from confirma_async.models._iso_codes import COUNTRY_CODES, CURRENCY_CODES, LANGUAGE_CODES
from confirma_async.models._validate import _EMAIL

# Request strings never hold control characters or bidi overrides (models._validate.text), so
# generated strings leave them out; test_strict_input_property.py covers responses that hold them.
plain = st.characters(
    exclude_categories=("Cs", "Cc"),
    exclude_characters="\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069",
)
text = st.text(plain, max_size=12)
opt_text = st.none() | text
money = st.decimals(
    min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=2, allow_nan=False
)
opt_money = st.none() | money
ids = st.integers(min_value=1, max_value=2**53)
opt_ids = st.none() | ids
counts = st.integers(min_value=0, max_value=10**6)
dates = st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31))
opt_dates = st.none() | dates
utc_datetimes = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
).map(lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000))
opt_datetimes = st.none() | utc_datetimes
currencies = st.sampled_from(sorted(CURRENCY_CODES))
countries = st.sampled_from(sorted(COUNTRY_CODES))
languages = st.sampled_from(sorted(LANGUAGE_CODES)).flatmap(
    lambda c: st.sampled_from([c, c.upper()])
)
emails = st.emails().filter(lambda e: _EMAIL.fullmatch(e) is not None)
json_scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=8)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


def open_enum(cls: type[enum.Enum]) -> st.SearchStrategy[Any]:
    """Listed members plus arbitrary unknown values (pseudo-members)."""
    raw = st.integers(-(2**31), 2**31) if issubclass(cls, int) else st.text(plain, max_size=10)
    return st.sampled_from(list(cls)) | raw.map(cls)


def known_keys(cls: type[Any]) -> set[str]:
    keys = set()
    for f in attrs.fields(cls):
        keys.add(wire_name(f))
        keys.update(f.metadata.get(WIRE_ALIASES, ()))
    return keys


def extra_for(cls: type[Any]) -> st.SearchStrategy[dict[str, Any]]:
    known = known_keys(cls)
    return st.dictionaries(
        st.text(min_size=1, max_size=8).filter(lambda k: k not in known), json_values, max_size=2
    )


def model(cls: type[Any], **fields: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.builds(cls, **fields, extra=extra_for(cls))


service_config = model(m.ServiceConfig, type=open_enum(m.ServiceType), partner_code=text)
client_details = model(
    m.ClientDetails,
    name=text,
    business_code=text,
    vat_reg_nbr=text,
    postal_address=text,
    postal_code=text,
    postal_district=text,
    country_code=countries,
    telephone=text,
    email=emails,
    website=st.sampled_from(["", "example.fi", "https://www.example.com/a?b=1"]),
    language_code=languages,
)
contact = model(m.Contact, role=open_enum(m.ContactRole), name=text, email=emails, telephone=text)
processing = model(
    m.Processing,
    payment_control_enabled=st.booleans(),
    manual_approval_enabled=st.booleans(),
    accounting_invoice_enabled=st.booleans(),
)
distribution = model(m.Distribution, method=open_enum(m.DistributionMethod), enabled=st.booleans())
invoice_header = model(
    m.InvoiceHeader,
    number=ids,
    type=open_enum(m.InvoiceType),
    date=dates,
    due_date=dates,
    description=opt_text,
    additional_information=opt_text,
    currency_code=currencies,
)
invoice_amounts = model(m.InvoiceAmounts, total_amount=money, vat_amount=opt_money)
buyer = model(
    m.BuyerParty,
    name=text,
    email=st.none() | emails,
    country_code=st.none() | countries,
    language_code=st.none() | languages,
    postal_address=opt_text,
    postal_code=opt_text,
    postal_district=opt_text,
)
invoice = model(
    m.Invoice, header=invoice_header, amounts=st.none() | invoice_amounts, buyer=st.none() | buyer
)
action_data = model(
    m.ActionData,
    invoice_number=opt_ids,
    case_id=ids,
    new_due_date=opt_dates,
    amount=opt_money,
    payment_date=opt_dates,
)
invoice_action = model(
    m.InvoiceAction, code=open_enum(m.ActionCode), comment=opt_text, data=action_data
)
queued_action = model(
    m.QueuedAction, index=counts, code=open_enum(m.ActionCode), status=opt_text, action_id=opt_text
)
case_summary = model(
    m.CaseSummary,
    case_id=ids,
    status=open_enum(m.CaseStatus),
    stage=opt_text,
    created_at=utc_datetimes,
    closed_at=opt_dates,
    active_days=st.none() | counts,
    creditor=opt_text,
    currency=opt_text,
    agency=opt_text,
)
case_balance = model(
    m.CaseBalance,
    capital_amount=money,
    interest_amount=money,
    costs_amount=money,
    total_amount=opt_money,
)
case_payment = model(m.CasePayment, payment_date=dates, amount=money, reference=opt_text)
case_event = model(m.CaseEvent, event_date=utc_datetimes, type=text, description=opt_text)
case = model(
    m.Case,
    summary=case_summary,
    balance=case_balance,
    payments=st.lists(case_payment, max_size=2),
    events=st.lists(case_event, max_size=2),
)
distribution_record = model(
    m.DistributionRecord,
    invoice_number=ids,
    invoice_date=dates,
    case_id=opt_ids,
    distribution_method=open_enum(m.DistributionMethod),
    distribution_status=open_enum(m.DistributionStatus),
    payment_control_status=open_enum(m.PaymentControlStatus),
    created_at=utc_datetimes,
    updated_at=utc_datetimes,
    delivered_at=opt_datetimes,
)
distribution_filters = model(
    m.DistributionFilters,
    invoice_number=opt_ids,
    from_inv_date=opt_text,
    to_inv_date=opt_text,
    fetch_type=opt_text,
    default_last30_days=st.booleans(),
)
distribution_meta = model(
    m.DistributionMeta,
    total_count=counts,
    successful_count=counts,
    failed_count=counts,
    filters_applied=distribution_filters,
)
payment = model(
    m.Payment,
    case_id=opt_ids,
    invoice_number=text,
    invoice_payment_reference=opt_text,
    original_payment_reference=opt_text,
    account_name=opt_text,
    booking_date=opt_datetimes,
    payment_date=utc_datetimes,
    amount=opt_money,
    currency=opt_text,
)
breakdown_item = model(m.BreakdownItem, type=open_enum(m.BreakdownType), amount=money)
allocation = model(
    m.Allocation,
    allocation_id=ids,
    allocated_total_amount=money,
    allocation_date=dates,
    currency=text,
    case_id=opt_ids,
    original_invoice_number=text,
    original_payment_reference=opt_text,
    breakdown=st.lists(breakdown_item, max_size=3),
)
beneficiary = model(m.Beneficiary, name=text, iban=text, bic=text)
settlement = model(
    m.Settlement,
    settlement_id=st.integers(min_value=2**31, max_value=2**62),
    settlement_date=dates,
    agency=text,
    remittance_reference=opt_text,
    beneficiary=st.none() | beneficiary,
    settlement_amount=money,
    currency=text,
    api_fetch_date=opt_datetimes,
    allocations=st.lists(allocation, max_size=2),
)
ledger_dimension = model(
    m.LedgerDimension, dimension_type=open_enum(m.DimensionType), dimension_value=text
)
ledger_row = model(
    m.LedgerRow,
    booking_date=dates,
    account_number=text,
    vat_account_number=opt_text,
    vat_type=opt_text,
    vat_percentage=st.decimals(min_value=0, max_value=100, places=2),
    vat_code=text,
    amount=money,
    net_amount=money,
    is_vat_row=st.booleans(),
    project_number=opt_text,
    transaction_type=opt_text,
    transaction_description=opt_text,
    ledger_dimensions=st.lists(ledger_dimension, max_size=2),
)
ledger_document = model(
    m.LedgerDocument,
    ledger_identifier=text,
    company_identifier=text,
    document_type=text,
    document_name=text,
    document_date=dates,
    document_description=st.text(plain, max_size=210),
    calculation_mode=open_enum(m.CalculationMode),
    ledger_rows=st.lists(ledger_row, min_size=1, max_size=3),
)
sync = open_enum(m.SyncStatus)
submission_status = model(
    m.SubmissionStatus, source_identifier=text, status=sync, description=opt_text
)
ledger_status = model(
    m.LedgerStatus,
    source_identifier=text,
    document_date=opt_dates,
    document_name=opt_text,
    document_status=opt_text,
    sync_date=opt_dates,
    status=sync,
    description=opt_text,
)
accounting_payment = model(
    m.AccountingPayment,
    payment_identifier=text,
    invoice_number=text,
    payment_date=dates,
    booking_date=opt_dates,
    amount=money,
    currency=currencies,
    target_identifier=open_enum(m.TargetIdentifier),
    payment_reference=text,
    source_name=text,
)
accounting_payment_status = model(
    m.AccountingPaymentStatus,
    source_identifier=text,
    invoice_number=opt_text,
    payment_date=opt_dates,
    sync_date=opt_dates,
    status=sync,
    description=opt_text,
)
accounting_invoice_status = model(
    m.AccountingInvoiceStatus,
    source_identifier=text,
    invoice_number=opt_text,
    invoice_date=opt_dates,
    sync_date=opt_dates,
    status=sync,
    description=opt_text,
)

MODELS: dict[type[Any], st.SearchStrategy[Any]] = {
    m.ServiceConfig: service_config,
    m.ClientDetails: client_details,
    m.Contact: contact,
    m.NewClientRequest: model(
        m.NewClientRequest,
        service=service_config,
        client=client_details,
        contacts=st.lists(contact, max_size=3),
    ),
    m.NewClient: model(
        m.NewClient,
        client_id=text,
        customer_code=opt_text,
        payment_reference_prefix=opt_text,
        access_token=text,
        expires_at=opt_datetimes,
    ),
    m.TokenValidation: model(m.TokenValidation, is_valid=st.booleans(), message=opt_text),
    m.RenewedToken: model(m.RenewedToken, token=opt_text, expires_at=opt_datetimes),
    m.Processing: processing,
    m.Distribution: distribution,
    m.InvoiceHeader: invoice_header,
    m.InvoiceAmounts: invoice_amounts,
    m.BuyerParty: buyer,
    m.Invoice: invoice,
    m.InvoiceRequest: model(
        m.InvoiceRequest, processing=processing, distribution=distribution, invoice=invoice
    ),
    m.InvoiceCreated: model(
        m.InvoiceCreated, invoice_number=ids, status=opt_text, received_at=opt_datetimes
    ),
    m.ActionData: action_data,
    m.InvoiceAction: invoice_action,
    m.ActionsRequest: model(
        m.ActionsRequest, actions=st.lists(invoice_action, min_size=1, max_size=3)
    ),
    m.QueuedAction: queued_action,
    m.ActionsQueued: model(m.ActionsQueued, actions=st.lists(queued_action, max_size=3)),
    m.CaseSummary: case_summary,
    m.CaseBalance: case_balance,
    m.CasePayment: case_payment,
    m.CaseEvent: case_event,
    m.Case: case,
    m.CaseDetails: model(m.CaseDetails, case=case),
    m.DistributionRecord: distribution_record,
    m.DistributionFilters: distribution_filters,
    m.DistributionMeta: distribution_meta,
    m.DistributionPage: model(
        m.DistributionPage,
        meta_data=distribution_meta,
        distributions=st.lists(distribution_record, max_size=3),
    ),
    m.Payment: payment,
    m.BreakdownItem: breakdown_item,
    m.Allocation: allocation,
    m.Beneficiary: beneficiary,
    m.Settlement: settlement,
    m.SettlementsPage: model(
        m.SettlementsPage, created_at=opt_datetimes, settlements=st.lists(settlement, max_size=2)
    ),
    m.LedgerDimension: ledger_dimension,
    m.LedgerRow: ledger_row,
    m.LedgerDocument: ledger_document,
    m.LedgerSubmission: model(m.LedgerSubmission, ledgers=ledger_document),
    m.SubmissionStatus: submission_status,
    m.LedgerStatus: ledger_status,
    m.LedgerStatusList: model(m.LedgerStatusList, ledgers=st.lists(ledger_status, max_size=3)),
    m.AccountingPayment: accounting_payment,
    m.AccountingPaymentsSubmission: model(
        m.AccountingPaymentsSubmission,
        payments=st.lists(accounting_payment, min_size=1, max_size=3),
    ),
    m.AccountingPaymentsAccepted: model(
        m.AccountingPaymentsAccepted, payments=st.lists(submission_status, max_size=3)
    ),
    m.AccountingPaymentStatus: accounting_payment_status,
    m.AccountingPaymentStatusList: model(
        m.AccountingPaymentStatusList, payments=st.lists(accounting_payment_status, max_size=3)
    ),
    m.AccountingInvoiceStatus: accounting_invoice_status,
    m.AccountingInvoiceStatusList: model(
        m.AccountingInvoiceStatusList, invoices=st.lists(accounting_invoice_status, max_size=3)
    ),
}
