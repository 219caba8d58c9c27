"""``confirma accounting ...`` (ledger, payment and invoice sync) and ``confirma clients create``.

Same conventions as the rest: JSONL in (one request body a line, ``-`` = stdin), ``--journal``
where a command writes (see ``writes``), ``--format`` out; the status commands stream like the
other listings (``listing``).
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

import click

from .. import (
    AccountingInvoiceStatus,
    AccountingPaymentsSubmission,
    AccountingPaymentStatus,
    ConfirmaClient,
    LedgerStatus,
    LedgerSubmission,
    NewClient,
    NewClientRequest,
)
from .listing import check_range, export, output_of, output_options, pages_of, window_option
from .params import DATE_METAVAR, parse_date, settings_of, stack
from .runner import run
from .settings import CliConfigError, Settings
from .writes import WriteJob, send_lines

_JSONL = click.Path(dir_okay=False, exists=True, allow_dash=True)


_write_options = stack(
    click.option(
        "--journal",
        type=click.Path(dir_okay=False),
        help="Append-only JSONL record of outcomes: a rerun skips what is done and never "
        "re-sends a line whose outcome is unknown.",
    ),
    click.option("--fsync", is_flag=True, help="Force every journal line to disk."),
    click.option(
        "--format",
        "fmt",
        type=click.Choice(["table", "jsonl"]),
        default="table",
        show_default=True,
        help="table: a summary at the end; jsonl: one result object a line.",
    ),
)


_status_options = stack(
    click.option("--from", "start", callback=parse_date, metavar=DATE_METAVAR, required=True),
    click.option("--to", "end", callback=parse_date, metavar=DATE_METAVAR, required=True),
    window_option,
    output_options,
)


def _submit(ctx: click.Context, job: WriteJob, path: str, options: dict[str, Any]) -> None:
    settings = settings_of(ctx)
    run(
        settings,
        lambda: send_lines(
            settings.client(),
            job,
            path,
            journal_path=options["journal"],
            fsync=options["fsync"],
            fmt=options["fmt"],
        ),
    )


@click.group("accounting")
def accounting_group() -> None:
    """Accounting sync: submit ledger documents and payments, read their sync status."""


@accounting_group.group("ledger")
def ledger_group() -> None:
    """Ledger documents (POST/GET /accounting/ledger)."""


@accounting_group.group("payments")
def payments_group() -> None:
    """Accounting payments (POST/GET /accounting/payment)."""


@accounting_group.group("invoices")
def invoices_group() -> None:
    """Invoices in accounting (GET /accounting/invoice, assumption A17)."""


LEDGER = WriteJob(
    kind="ledger",
    model=LedgerSubmission,
    key=lambda s: f"ledger:{s.ledgers.ledger_identifier}",
    send=lambda c, s: c.accounting.submit_ledger(s),
)
PAYMENTS = WriteJob(
    kind="accounting-payment",
    model=AccountingPaymentsSubmission,
    key=lambda s: "payment:" + ",".join(p.payment_identifier for p in s.payments),
    send=lambda c, s: c.accounting.submit_payments(s),
)


@ledger_group.command("submit")
@click.argument("path", metavar="LEDGERS.jsonl", type=_JSONL)
@_write_options
@click.pass_context
def ledger_submit(ctx: click.Context, /, path: str, **options: Any) -> None:
    """Submit ledger documents: each line is one POST /accounting/ledger body ({"ledgers": ...}).

    The journal knows a line by its ledgerIdentifier. Exit code 0 when nothing failed, 1
    otherwise.
    """
    _submit(ctx, LEDGER, path, options)


@payments_group.command("submit")
@click.argument("path", metavar="PAYMENTS.jsonl", type=_JSONL)
@_write_options
@click.pass_context
def payments_submit(ctx: click.Context, /, path: str, **options: Any) -> None:
    """Submit accounting payments: each line is one POST /accounting/payment body.

    A line is {"payments": [...]} (one request each); the journal knows it by its payments'
    paymentIdentifiers. Exit code 0 when nothing failed, 1 otherwise.
    """
    _submit(ctx, PAYMENTS, path, options)


def _status(
    ctx: click.Context,
    cls: type[Any],
    method: str,
    filters: dict[str, Any],
    options: dict[str, Any],
) -> None:
    """Stream ``client.accounting.<method>(--from, --to, **filters)`` like the other listings."""
    settings = settings_of(ctx)
    output = output_of(options)
    start, end = options["start"], options["end"]
    check_range(start, end)
    window = timedelta(days=options["window_days"])
    pages = pages_of(lambda c: getattr(c.accounting, method)(start, end, window=window, **filters))
    run(settings, lambda: export(settings, pages, output, cls, (start, end)))


@ledger_group.command("status")
@_status_options
@click.option("--source-identifier", metavar="ID", help="Only this ledger document.")
@click.pass_context
def ledger_status(ctx: click.Context, /, source_identifier: str | None, **options: Any) -> None:
    """Sync status of ledger documents dated from --from to --to."""
    filters = {"source_identifier": source_identifier}
    _status(ctx, LedgerStatus, "ledger_statuses", filters, options)


@payments_group.command("status")
@_status_options
@click.option("--source-identifier", metavar="ID", help="Only this payment.")
@click.pass_context
def payments_status(ctx: click.Context, /, source_identifier: str | None, **options: Any) -> None:
    """Sync status of accounting payments dated from --from to --to."""
    filters = {"source_identifier": source_identifier}
    _status(ctx, AccountingPaymentStatus, "payment_statuses", filters, options)


@invoices_group.command("status")
@_status_options
@click.option("--invoice-number", type=click.IntRange(min=1), help="Only this invoice.")
@click.pass_context
def invoices_status(ctx: click.Context, /, invoice_number: int | None, **options: Any) -> None:
    """Sync status of invoices in accounting from --from to --to (A17: undocumented endpoint)."""
    filters = {"invoice_number": invoice_number}
    _status(ctx, AccountingInvoiceStatus, "invoice_statuses", filters, options)


@click.group("clients")
def clients_group() -> None:
    """Onboarding: create creditor clients (POST /client, with the partner token); list them."""


@clients_group.command("create")
@click.argument("path", metavar="CLIENTS.jsonl", type=_JSONL)
@click.option(
    "--partner-token",
    envvar="CONFIRMA_PARTNER_TOKEN",
    metavar="TOKEN",
    required=True,
    help="The partner provisioning token (default: $CONFIRMA_PARTNER_TOKEN; prefer the variable).",
)
@click.option(
    "--tokens",
    "tokens_path",
    type=click.Path(dir_okay=False),
    required=True,
    help="Append each new client's access token here (JSONL, mode 0600): it is shown once, "
    "and never printed.",
)
@_write_options
@click.pass_context
def clients_create(
    ctx: click.Context, /, path: str, partner_token: str, tokens_path: str, **options: Any
) -> None:
    """Create clients: each line is one POST /client body (service, client, contacts).

    The journal knows a line by the client's businessCode. Output shows the new clients'
    identifiers; their access tokens go only to --tokens. Exit code 0 when nothing failed.
    """
    settings = settings_of(ctx)
    settings.secrets.add(partner_token)
    token = partner_token.strip()

    def keep(created: NewClient) -> dict[str, Any]:
        _append_token(tokens_path, created)
        settings.secrets.add(created.access_token)
        return {"clientId": created.client_id, "customerCode": created.customer_code}

    job = WriteJob(
        kind="client",
        model=NewClientRequest,
        key=lambda r: f"client:{r.client.business_code}",
        send=lambda c, r: c.onboarding.create_client(r, partner_token=token),
        answer=keep,
    )
    run(
        settings,
        lambda: send_lines(
            _partner_client(settings, token),
            job,
            path,
            journal_path=options["journal"],
            fsync=options["fsync"],
            fmt=options["fmt"],
        ),
    )


def _partner_client(settings: Settings, partner_token: str) -> ConfirmaClient:
    """A client for POST /client: that request carries the partner token, not a client key.

    Without a configured client key the partner token stands in as the client's key (only
    POST /client is sent, with the partner token in its own header).
    """
    try:
        settings.read_api_key()
    except CliConfigError:
        settings.api_key = partner_token
    return settings.client()


def _append_token(path: str, created: NewClient) -> None:
    from .._core.json import dumps

    line = dumps({"clientId": created.client_id, "accessToken": created.access_token})
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)  # 0600 from the start
    try:
        os.write(fd, line + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)
