"""``confirma doctor``: check the client's guesses about the API against your environment."""

from __future__ import annotations

from datetime import date

import click

from .._core.json import dumps
from ..doctor import AssumptionVerdict, DoctorReport, check_assumptions
from .params import DATE_METAVAR, binary_stream, parse_date, settings_of
from .runner import EXIT_FAILED, EXIT_OK, run
from .settings import Settings

_STYLE = {
    AssumptionVerdict.CONFIRMED: "green",
    AssumptionVerdict.ALIASED: "cyan",
    AssumptionVerdict.CONTRADICTED: "bold red",
    AssumptionVerdict.NOT_EXERCISED: "dim",
}


@click.command("doctor")
@click.option("--from", "start", callback=parse_date, metavar=DATE_METAVAR, help="Window start.")
@click.option("--to", "end", callback=parse_date, metavar=DATE_METAVAR, help="Window end.")
@click.option("--invoice-number", type=click.IntRange(min=1), help="Read this invoice's case.")
@click.option("--case-id", type=click.IntRange(min=1), help="Read this case.")
@click.option(
    "--json", "as_json", is_flag=True, help="Print the report as JSON (for a bug report)."
)
@click.option("--all", "show_all", is_flag=True, help="Show the details of every row.")
@click.pass_context
def doctor_command(
    ctx: click.Context,
    start: date | None,
    end: date | None,
    invoice_number: int | None,
    case_id: int | None,
    as_json: bool,
    show_all: bool,
) -> None:
    """Check our guesses about the API against this environment (read-only).

    Validates the API key, calls each read endpoint once on a small window (default: the last
    7 days), compares every answer with the client's models and prints one row per assumption of
    docs/api-assumptions.md: confirmed, aliased (read through your --wire-alias), contradicted
    (with the keys seen and the wire alias to add) or not exercised. It never POSTs, never renews
    the key and never marks settlements fetched. Exit code 0 only when nothing is contradicted.
    """
    if start is not None and end is not None and end < start:
        raise click.BadParameter(f"--to {end} is before --from {start}", param_hint="--to")
    settings = settings_of(ctx)
    run(settings, lambda: _doctor(settings, start, end, invoice_number, case_id, as_json, show_all))


async def _doctor(
    settings: Settings,
    start: date | None,
    end: date | None,
    invoice_number: int | None,
    case_id: int | None,
    as_json: bool,
    show_all: bool,
) -> int:
    async with settings.client(warn_unsaved=False) as client:
        report = await check_assumptions(
            client, start=start, end=end, invoice_number=invoice_number, case_id=case_id
        )
    if as_json:
        out = binary_stream("stdout")
        out.write(dumps(report.to_json()) + b"\n")
        out.flush()
    else:
        render(report, show_all=show_all)
    return EXIT_OK if report.ok else EXIT_FAILED


def render(report: DoctorReport, *, show_all: bool = False) -> None:
    """Print the report: one row per assumption, details where something is off, the aliases."""
    from rich import box
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from .tables import print_plain

    console = Console(highlight=False)
    console.print(
        f"confirma doctor: {escape(report.base_url)}, window {report.start} .. {report.end}"
    )
    if not report.token_valid:
        details = "; ".join(d for c in report.checks for d in c.details)
        console.print(f"[bold red]the API key is not valid[/]: {escape(details)}")
        return
    table = Table(box=box.SIMPLE, show_edge=False, pad_edge=False)
    for column in ("id", "verdict", "assumption"):
        table.add_column(column, overflow="fold")
    for check in report.checks:
        style = _STYLE[check.verdict]
        table.add_row(check.id, f"[{style}]{check.verdict.value}[/]", escape(check.title))
        if show_all or check.verdict in (AssumptionVerdict.CONTRADICTED, AssumptionVerdict.ALIASED):
            for detail in check.details:
                table.add_row("", "", f"[dim]- {escape(detail)}[/]")
    print_plain(console, table)
    counts = {v: sum(c.verdict is v for c in report.checks) for v in AssumptionVerdict}
    console.print(", ".join(f"{n} {v.value}" for v, n in counts.items()))
    if report.suggested_aliases:
        specs = " ".join(report.suggested_aliases)
        console.print("\nTo read the names this environment uses, add these wire aliases:")
        console.print(f'  export CONFIRMA_WIRE_ALIASES="{escape(specs)}"', soft_wrap=True)
        console.print(
            "  (or ConfirmaClient(..., wire_aliases=[...]); check each before you rely on it)"
        )
