"""The ``confirma`` click group, its global options, and :func:`main`."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any

import click
from click.core import ParameterSource

from .. import __version__
from .._core import env as _env
from .accounting_cmd import accounting_group, clients_group
from .case_cmd import case_command
from .clients_cmd import clients_list
from .doctor_cmd import doctor_command
from .export import distributions_command, payments_command, settlements_command
from .jobs_cmd import jobs_group
from .runner import EXIT_INTERRUPTED
from .sandbox_cmd import demo_command, sandbox_command
from .settings import Secrets, Settings
from .submit import actions_group, submit_command
from .token_cmd import token_group

EPILOG = """\b
Configuration (flags beat environment variables):
  CONFIRMA_API_KEY       the API key (or --api-key; prefer the variable: flags show in `ps`)
  CONFIRMA_TOKEN_FILE    read the key from this file and save renewed keys to it (0600)
  CONFIRMA_ENVIRONMENT   staging (default) or production
  CONFIRMA_BASE_URL      any base URL instead, e.g. a local sandbox's .../api/v1/partner
  CONFIRMA_WIRE_ALIASES  response field aliases, space-separated Model.field=name specs
                         (as --wire-alias; `confirma doctor` suggests them)
  CONFIRMA_PARTNER_TOKEN the partner provisioning token (`confirma clients create`)

\b
Exit codes: 0 ok, 1 something failed (an API error, a failed item), 2 usage or
configuration error, 130 interrupted by Ctrl-C, 143 stopped by SIGTERM (as cleanly).
The API key is never printed or logged; only `token renew --show-token` prints the NEW key.
"""


class ConfirmaGroup(click.Group):
    """The ``confirma`` group: usage errors never echo a known API key back."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        """Parse the group's options; a usage error is scrubbed of keys given in ``args``."""
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.ClickException as exc:
            _scrub(exc, _argv_secrets(args))
            raise

    def invoke(self, ctx: click.Context) -> Any:
        """Run the subcommand; a usage error is scrubbed of the configured key."""
        try:
            return super().invoke(ctx)
        except click.ClickException as exc:
            settings = ctx.find_object(Settings)
            secrets = settings.secrets if settings is not None else _argv_secrets([])
            secrets.add(ctx.params.get("api_key"))
            _scrub(exc, secrets)
            raise


def _argv_secrets(args: Sequence[str]) -> Secrets:
    secrets = Secrets()
    secrets.add(os.environ.get(_env.API_KEY))
    for i, arg in enumerate(args):
        if arg == "--api-key" and i + 1 < len(args):
            secrets.add(args[i + 1])
        elif arg.startswith("--api-key="):
            secrets.add(arg.partition("=")[2])
    return secrets


def _scrub(exc: click.ClickException, secrets: Secrets) -> None:
    setattr(exc, "message", secrets.scrub(exc.message))  # noqa: B010 (a Final attribute)


@click.group(
    "confirma",
    cls=ConfirmaGroup,
    epilog=EPILOG,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option(
    "--api-key",
    envvar=_env.API_KEY,
    metavar="KEY",
    help="API key (default: $CONFIRMA_API_KEY).",
)
@click.option(
    "--token-file",
    envvar=_env.TOKEN_FILE,
    type=click.Path(dir_okay=False),
    help="Read the API key from FILE; renewed keys are written back to it (mode 0600).",
)
@click.option(
    "--environment",
    envvar=_env.ENVIRONMENT,
    metavar="staging|production",
    help="CFIS environment (default: $CONFIRMA_ENVIRONMENT, else staging).",
)
@click.option(
    "--base-url",
    envvar=_env.BASE_URL,
    metavar="URL",
    help="Base URL including /api/v1/partner (default: $CONFIRMA_BASE_URL).",
)
@click.option(
    "--wire-alias",
    "wire_aliases",
    multiple=True,
    envvar=_env.WIRE_ALIASES,
    metavar="MODEL.FIELD=NAME",
    help="Read a response field also under NAME, e.g. "
    "DistributionRecord.distribution_status=deliveryState (repeatable; `confirma doctor` "
    "suggests them; default: $CONFIRMA_WIRE_ALIASES, space-separated).",
)
@click.option(
    "-v", "--verbose", count=True, help="Log the client's requests to stderr (-vv: debug)."
)
@click.version_option(__version__, prog_name="confirma")
@click.pass_context
def cli(
    ctx: click.Context,
    api_key: str | None,
    token_file: str | None,
    environment: str | None,
    base_url: str | None,
    wire_aliases: tuple[str, ...],
    verbose: int,
) -> None:
    """Command line for the Confirma Finance Integrations API (CFIS).

    Bulk-submit invoices and actions, export distribution records, payments and settlements,
    look up cases, check or renew the API key; or run a local sandbox and a demo against it.
    """
    ctx.obj = Settings(
        api_key=api_key,
        token_file=token_file,
        environment=environment,
        base_url=base_url,
        api_key_from_flag=_from_flag(ctx, "api_key"),
        token_file_from_flag=_from_flag(ctx, "token_file"),
        environment_from_flag=_from_flag(ctx, "environment"),
        base_url_from_flag=_from_flag(ctx, "base_url"),
        verbose=verbose,
        wire_aliases=wire_aliases,
    )
    ctx.obj.secrets.add(api_key)


def _from_flag(ctx: click.Context, name: str) -> bool:
    return ctx.get_parameter_source(name) is ParameterSource.COMMANDLINE


for command in (
    submit_command,
    actions_group,
    jobs_group,
    distributions_command,
    payments_command,
    settlements_command,
    accounting_group,
    clients_group,
    case_command,
    token_group,
    doctor_command,
    sandbox_command,
    demo_command,
):
    cli.add_command(command)
clients_group.add_command(clients_list)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``confirma`` console script; returns the exit code.

    ``--help`` returns 0, usage errors 2, Ctrl-C 130, SIGTERM 143 (see ``confirma --help``).
    """
    args = list(argv) if argv is not None else sys.argv[1:]
    try:
        result = cli.main(args=args, prog_name="confirma", standalone_mode=False)
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.Abort:
        click.echo("confirma: interrupted", err=True)
        return EXIT_INTERRUPTED
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return result if isinstance(result, int) else 0
