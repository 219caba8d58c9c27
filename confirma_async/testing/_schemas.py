"""Request bodies: check the raw JSON of each POST endpoint and extract what the state needs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from ._http import validation_error
from ._validate import Check

ACTION_CODES_NEEDING = {"EXTEND_DUE_DATE": "newDueDate", "DIRECT_PAYMENT": "amount"}


def _root(body: Any) -> Mapping[str, Any]:
    if not isinstance(body, dict):
        raise validation_error([("", "request body must be a JSON object")])
    return body


@dataclass(frozen=True)
class InvoiceInput:
    """What the state keeps of a valid ``POST /invoice`` body."""

    number: int
    invoice_date: date
    due_date: date
    currency: str
    payment_control: bool
    accounting: bool
    method: str
    distribution_enabled: bool
    buyer_email: str | None
    buyer_name: str | None
    total_amount: Decimal | None


def check_invoice(body: Any) -> InvoiceInput:
    """Validate a create-invoice body (A7, A8) or raise 400 with every field error."""
    root, c = _root(body), Check()
    processing = c.obj(root, "processing", "processing", required=False) or {}
    control = c.boolean(processing, "paymentControlEnabled", "processing.paymentControlEnabled")
    c.boolean(processing, "manualApprovalEnabled", "processing.manualApprovalEnabled")
    accounting = c.boolean(
        processing, "accountingInvoiceEnabled", "processing.accountingInvoiceEnabled"
    )
    dist = c.obj(root, "distribution", "distribution", required=False) or {}
    method = c.string(dist, "method", "distribution.method")
    enabled = c.boolean(dist, "enabled", "distribution.enabled")
    invoice_obj = c.obj(root, "invoice", "invoice")
    invoice = invoice_obj or {}
    head_obj = c.obj(invoice, "header", "invoice.header") if invoice_obj is not None else None
    head, need = head_obj or {}, head_obj is not None
    number = c.integer(head, "number", "invoice.header.number", required=need)
    c.string(head, "type", "invoice.header.type")
    inv_date = c.date(head, "date", "invoice.header.date", required=need)
    due = c.date(head, "dueDate", "invoice.header.dueDate", required=need)
    c.string(head, "description", "invoice.header.description")
    c.string(head, "additionalInformation", "invoice.header.additionalInformation")
    currency = c.currency(head, "currencyCode", "invoice.header.currencyCode", required=need)
    amounts = c.obj(invoice, "amounts", "invoice.amounts", required=False) or {}
    total = c.amount(amounts, "totalAmount", "invoice.amounts.totalAmount")
    c.amount(amounts, "vatAmount", "invoice.amounts.vatAmount")
    buyer = c.obj(invoice, "buyer", "invoice.buyer", required=False) or {}
    name = c.string(buyer, "name", "invoice.buyer.name")
    email = c.email(buyer, "email", "invoice.buyer.email")
    country = c.country(buyer, "countryCode", "invoice.buyer.countryCode")
    c.language(buyer, "languageCode", "invoice.buyer.languageCode")
    c.string(buyer, "postalAddress", "invoice.buyer.postalAddress")
    c.postal_code(buyer, "postalCode", "invoice.buyer.postalCode", country)
    c.string(buyer, "postalDistrict", "invoice.buyer.postalDistrict")
    c.done()
    assert number is not None
    assert inv_date is not None
    assert due is not None
    assert currency is not None
    return InvoiceInput(
        number=number,
        invoice_date=inv_date,
        due_date=due,
        currency=currency,
        payment_control=bool(control),
        accounting=bool(accounting),
        method=method or "EMAIL",
        distribution_enabled=enabled is not False,
        buyer_email=email or None,
        buyer_name=name,
        total_amount=total,
    )


@dataclass(frozen=True)
class ActionInput:
    """One validated invoice action (A9)."""

    index: int
    code: str
    comment: str | None
    invoice_number: int | None
    case_id: int | None
    new_due_date: date | None
    amount: Decimal | None
    payment_date: date | None


def check_actions(body: Any) -> list[ActionInput]:
    """Validate a ``POST /invoice/action`` body (A9) or raise 400."""
    root, c = _root(body), Check()
    items = c.array(root, "actions", "actions") or []
    if not items and not c.errors:
        c.fail("actions", "must contain at least one action")
    out: list[ActionInput] = []
    for i, item in enumerate(items):
        p = f"actions[{i}]"
        if not isinstance(item, dict):
            c.fail(p, "must be an object")
            continue
        code = c.string(item, "code", f"{p}.code", required=True)
        comment = c.string(item, "comment", f"{p}.comment")
        data = c.obj(item, "data", f"{p}.data") or {}
        number = c.integer(data, "invoiceNumber", f"{p}.data.invoiceNumber")
        case_id = c.integer(data, "caseId", f"{p}.data.caseId")
        targets = (data.get("invoiceNumber"), data.get("caseId"))
        if isinstance(item.get("data"), dict) and targets == (None, None):
            c.fail(f"{p}.data", "needs invoiceNumber or caseId")
        needs = ACTION_CODES_NEEDING.get(code or "")
        new_due = c.date(data, "newDueDate", f"{p}.data.newDueDate", required=needs == "newDueDate")
        amount = c.amount(data, "amount", f"{p}.data.amount", required=needs == "amount")
        if amount is not None and amount <= 0:
            c.fail(f"{p}.data.amount", "must be greater than zero")
        paid = c.date(data, "paymentDate", f"{p}.data.paymentDate", required=needs == "amount")
        out.append(ActionInput(i, code or "", comment, number, case_id, new_due, amount, paid))
    c.done()
    return out


def check_client(body: Any) -> str:
    """Validate a ``POST /client`` body (A21); return the client's name."""
    root, c = _root(body), Check()
    service = c.obj(root, "service", "service") or {}
    c.string(service, "type", "service.type", required=bool(service))
    c.string(service, "partnerCode", "service.partnerCode")
    client = c.obj(root, "client", "client") or {}
    name = c.string(client, "name", "client.name", required=True)
    for key in ("businessCode", "vatRegNbr", "postalAddress", "postalDistrict", "telephone"):
        c.string(client, key, f"client.{key}")
    country = c.country(client, "countryCode", "client.countryCode")
    c.postal_code(client, "postalCode", "client.postalCode", country)
    c.email(client, "email", "client.email")
    c.website(client, "website", "client.website")
    c.language(client, "languageCode", "client.languageCode")
    for i, contact in enumerate(c.array(root, "contacts", "contacts", required=False) or []):
        p = f"contacts[{i}]"
        if not isinstance(contact, dict):
            c.fail(p, "must be an object")
            continue
        c.string(contact, "role", f"{p}.role", required=True)
        c.string(contact, "name", f"{p}.name")
        c.email(contact, "email", f"{p}.email")
        c.string(contact, "telephone", f"{p}.telephone")
    c.done()
    assert name is not None
    return name


@dataclass(frozen=True)
class LedgerInput:
    """A validated ledger document (A14)."""

    identifier: str
    document_date: date
    document_name: str


def check_ledger(body: Any) -> LedgerInput:
    """Validate a ``POST /accounting/ledger`` body (``{"ledgers": {...}}``) or raise 400."""
    root, c = _root(body), Check()
    doc = c.obj(root, "ledgers", "ledgers") or {}
    p = "ledgers"
    ident = c.string(doc, "ledgerIdentifier", f"{p}.ledgerIdentifier", required=bool(doc))
    for key in ("companyIdentifier", "documentType", "calculationMode"):
        c.string(doc, key, f"{p}.{key}")
    name = c.string(doc, "documentName", f"{p}.documentName")
    doc_date = c.date(doc, "documentDate", f"{p}.documentDate", required=bool(doc))
    c.string(doc, "documentDescription", f"{p}.documentDescription", max_len=210)
    rows = c.array(doc, "ledgerRows", f"{p}.ledgerRows", required=bool(doc)) or []
    for i, row in enumerate(rows):
        r = f"{p}.ledgerRows[{i}]"
        if not isinstance(row, dict):
            c.fail(r, "must be an object")
            continue
        c.date(row, "bookingDate", f"{r}.bookingDate")
        c.string(row, "accountNumber", f"{r}.accountNumber", required=True)
        for key in ("vatAccountNumber", "vatCode", "projectNumber", "transactionDescription"):
            c.string(row, key, f"{r}.{key}")
        c.number(row, "vatPercentage", f"{r}.vatPercentage")
        c.amount(row, "amount", f"{r}.amount", required=True)
        c.amount(row, "netAmount", f"{r}.netAmount")
        c.flag(row, "isVatRow", f"{r}.isVatRow")
        dims = c.array(row, "ledgerDimensions", f"{r}.ledgerDimensions", required=False) or []
        for j, dim in enumerate(dims):
            if not isinstance(dim, dict):
                c.fail(f"{r}.ledgerDimensions[{j}]", "must be an object")
                continue
            c.string(dim, "dimensionType", f"{r}.ledgerDimensions[{j}].dimensionType")
            c.string(dim, "dimensionValue", f"{r}.ledgerDimensions[{j}].dimensionValue")
    c.done()
    assert ident is not None
    assert doc_date is not None
    return LedgerInput(ident, doc_date, name or "")


@dataclass(frozen=True)
class AccountingPaymentInput:
    """A validated accounting payment record (A16)."""

    identifier: str
    invoice_number: str
    payment_date: date


def check_accounting_payments(body: Any) -> list[AccountingPaymentInput]:
    """Validate a ``POST /accounting/payment`` body (``{"payments": [...]}``) or raise 400."""
    root, c = _root(body), Check()
    items = c.array(root, "payments", "payments") or []
    if not items and not c.errors:
        c.fail("payments", "must contain at least one payment")
    out: list[AccountingPaymentInput] = []
    for i, item in enumerate(items):
        p = f"payments[{i}]"
        if not isinstance(item, dict):
            c.fail(p, "must be an object")
            continue
        ident = c.string(item, "paymentIdentifier", f"{p}.paymentIdentifier", required=True)
        number = c.string(item, "invoiceNumber", f"{p}.invoiceNumber", required=True)
        paid = c.date(item, "paymentDate", f"{p}.paymentDate", required=True)
        c.date(item, "bookingDate", f"{p}.bookingDate")
        c.amount(item, "amount", f"{p}.amount", required=True)
        c.currency(item, "currency", f"{p}.currency")
        for key in ("targetIdentifier", "paymentReference", "sourceName"):
            c.string(item, key, f"{p}.{key}")
        if ident and number and paid:
            out.append(AccountingPaymentInput(ident, number, paid))
    idents = [p.identifier for p in out]
    if len(set(idents)) != len(idents):
        c.fail("payments", "paymentIdentifier values must be unique within a request")
    c.done()
    return out
