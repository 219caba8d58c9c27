"""``confirma clients list``: the clients of a tokens file, checked over one partner session.

The tokens file is the one ``confirma clients create --tokens`` appends to (JSONL lines of
``clientId`` and ``accessToken``; a later line for a client wins). Tokens are never printed.
With ``--check`` every token is validated (``GET /validate``) through one
:class:`~confirma_async.ConfirmaPartner`: one connection pool and the partner's fair limits,
however many clients the file holds.
"""

from __future__ import annotations

import asyncio
import json

import click

from .._core.json import loads
from ..errors import ConfigurationError, ConfirmaError
from ..partner import ConfirmaPartner
from .params import settings_of
from .runner import EXIT_FAILED, EXIT_OK, run
from .settings import CliConfigError, Settings


@click.command("list")
@click.option(
    "--tokens",
    "tokens_path",
    type=click.Path(dir_okay=False, exists=True),
    required=True,
    help="The tokens file `confirma clients create --tokens` wrote (JSONL).",
)
@click.option("--check", is_flag=True, help="Validate every client's token (GET /validate).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "jsonl"]),
    default="table",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--max-in-flight",
    type=click.IntRange(min=1),
    default=16,
    show_default=True,
    help="With --check: requests in flight at most, all clients together.",
)
@click.pass_context
def clients_list(
    ctx: click.Context, /, tokens_path: str, check: bool, fmt: str, max_in_flight: int
) -> None:
    """List the clients of a tokens file (never their tokens); --check validates each token.

    Exit code 0, or 1 when --check found a token that is not valid.
    """
    settings = settings_of(ctx)
    tokens = read_tokens(tokens_path, settings)
    run(settings, lambda: _list(settings, tokens, check, fmt, max_in_flight))


def read_tokens(path: str, settings: Settings) -> dict[str, str]:
    """Client id to its latest token; a line that is not a token record names its number."""
    tokens: dict[str, str] = {}
    with open(path, "rb") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                record = loads(line)
            except ValueError:
                record = None
            client_id = record.get("clientId") if isinstance(record, dict) else None
            token = record.get("accessToken") if isinstance(record, dict) else None
            if not isinstance(client_id, str) or not isinstance(token, str) or not token:
                raise CliConfigError(
                    f"{path}, line {number}: not a token record (clientId and accessToken)"
                )
            settings.secrets.add(token)
            tokens[client_id] = token
    return tokens


async def _list(
    settings: Settings, tokens: dict[str, str], check: bool, fmt: str, max_in_flight: int
) -> int:
    rows: list[dict[str, object]] = [{"clientId": client_id} for client_id in tokens]
    if check:
        environment, base_url = settings.endpoint()
        try:
            partner = ConfirmaPartner(
                environment=environment,
                base_url=base_url,
                wire_aliases=list(settings.wire_aliases),
                max_in_flight=max_in_flight,
            )
        except ConfigurationError as exc:
            raise CliConfigError(settings.secrets.scrub(str(exc))) from None
        async with partner:
            for client_id, token in tokens.items():
                await partner.register(client_id, token)
            answers = await asyncio.gather(
                *(partner.client(c).onboarding.validate_token() for c in tokens),
                return_exceptions=True,
            )
        for row, answer in zip(rows, answers, strict=True):
            if isinstance(answer, ConfirmaError):
                row["valid"] = None
                row["error"] = settings.secrets.scrub(str(answer))
            elif isinstance(answer, BaseException):
                raise answer
            else:
                row["valid"] = answer.is_valid
    _print(rows, fmt)
    bad = [row for row in rows if check and row.get("valid") is not True]
    return EXIT_FAILED if bad else EXIT_OK


def _print(rows: list[dict[str, object]], fmt: str) -> None:
    if fmt == "jsonl":
        for row in rows:
            click.echo(json.dumps(row))
        return
    width = max([len("clientId"), *(len(str(row["clientId"])) for row in rows)])
    checked = any("valid" in row for row in rows)
    click.echo("clientId".ljust(width) + ("  valid" if checked else ""))
    for row in rows:
        line = str(row["clientId"]).ljust(width)
        if checked:
            valid = row.get("valid")
            line += "  " + ("yes" if valid else "no" if valid is False else "error: ")
            line += str(row.get("error", "")) if valid is None else ""
        click.echo(line)
