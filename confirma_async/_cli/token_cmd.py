"""``confirma token validate`` and ``confirma token renew``; neither ever prints the key in use.

A renewal revokes the old key at once, so ``renew`` refuses to run unless the new key has
somewhere to go: ``--save-to FILE`` (mode 0600, replaced atomically, created before the renewal
so a path that cannot be written fails first), ``--show-token`` (stdout), or the ``--token-file``
given to the group (updated in place).
"""

from __future__ import annotations

from datetime import datetime

import click

from .params import settings_of
from .runner import EXIT_FAILED, EXIT_OK, run
from .settings import CliConfigError, SecretFile, Settings


@click.group("token")
def token_group() -> None:
    """Check or renew the API key (the key in use is never printed)."""


@token_group.command("validate")
@click.pass_context
def validate_command(ctx: click.Context) -> None:
    """Ask the API whether the API key is valid: exit 0 if it is, 1 if not."""
    settings = settings_of(ctx)
    run(settings, lambda: _validate(settings))


async def _validate(settings: Settings) -> int:
    async with settings.client() as client:
        answer = await client.onboarding.validate_token()
    message = settings.secrets.scrub(answer.message or "")
    if answer.is_valid:
        click.echo("the API key is valid" + (f" ({message})" if message else ""))
        return EXIT_OK
    click.echo("the API key is NOT valid" + (f": {message}" if message else ""))
    return EXIT_FAILED


@token_group.command("renew")
@click.option(
    "--save-to",
    type=click.Path(dir_okay=False),
    help="Write the new key to FILE (mode 0600, replaced atomically).",
)
@click.option(
    "--show-token",
    is_flag=True,
    help="Print the new key on stdout (and only it: other lines go to stderr). It then ends up "
    "in your terminal or wherever stdout goes.",
)
@click.pass_context
def renew_command(ctx: click.Context, save_to: str | None, show_token: bool) -> None:
    """Renew the API key and report the new expiry.

    The server revokes the old key at once, so the new one must be kept: give --save-to FILE or
    --show-token (a --token-file given to confirma is updated too). Without any of them nothing
    is renewed and the exit code is 2.
    """
    settings = settings_of(ctx)
    if not save_to and not show_token and not settings.token_file:
        raise click.UsageError(
            "renewing revokes the current key: give --save-to FILE or --show-token "
            "(or --token-file) so that the new key is not lost"
        )
    run(settings, lambda: _renew(settings, save_to, show_token))


async def _renew(settings: Settings, save_to: str | None, show_token: bool) -> int:
    target = SecretFile(save_to) if save_to else None
    renewed: list[str] = []

    async def keep(token: str, expires_at: datetime | None) -> None:
        renewed.append(token)

    try:
        if target is not None:
            try:
                target.prepare()
            except OSError as exc:
                raise CliConfigError(f"cannot write {save_to}: {exc.strerror}") from None
        async with settings.client(on_token_renewed=keep, warn_unsaved=False) as client:
            expires_at = await client.onboarding.renew_token()
        token = renewed[-1]
        info = show_token  # with --show-token, stdout carries the key alone
        if target is not None:
            target.commit(token)
            click.echo(f"the new API key was saved to {save_to} (mode 0600)", err=info)
        if settings.token_file:
            click.echo(f"the token file {settings.token_file} holds the new key", err=info)
        if show_token:
            click.echo(token)
        expiry = expires_at.isoformat() if expires_at else "not given by the server"
        click.echo(f"API key renewed (the old key no longer works); expires: {expiry}", err=info)
    finally:
        if target is not None:
            target.discard()
    return EXIT_OK
