"""Where a command's client comes from: API key, environment or base URL, and the token file.

The key is read from exactly one source: ``--api-key`` / ``CONFIRMA_API_KEY``, or
``--token-file`` / ``CONFIRMA_TOKEN_FILE``. Every key the process holds (the configured one and
any renewed one) is registered in :class:`Secrets`, which scrubs it from any text the CLI prints.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Awaitable, Callable
from datetime import datetime

import attrs
import click

from .. import ConfirmaClient, Environment
from ..errors import ConfigurationError

REDACTED = "<redacted>"

OnRenewed = Callable[[str, "datetime | None"], Awaitable[None]]


class CliConfigError(click.ClickException):
    """A configuration problem the operator must fix (exit code 2)."""

    exit_code = 2


class Secrets:
    """The tokens this process knows; :meth:`scrub` removes them from text before it is shown."""

    def __init__(self) -> None:
        self._values: set[str] = set()

    def add(self, value: str | None) -> None:
        """Remember a secret (empty values are ignored)."""
        if value:
            self._values.add(value)
            stripped = value.strip()
            if stripped:
                self._values.add(stripped)

    def scrub(self, text: str) -> str:
        """``text`` with every known secret replaced by ``<redacted>``."""
        for value in sorted(self._values, key=len, reverse=True):
            text = text.replace(value, REDACTED)
        return text


@attrs.define(kw_only=True)
class Settings:
    """The group's global options, resolved into a client only by commands that need one."""

    api_key: str | None = attrs.field(default=None, repr=False)
    token_file: str | None = None
    environment: str | None = None
    base_url: str | None = None
    environment_from_flag: bool = False
    base_url_from_flag: bool = False
    api_key_from_flag: bool = False
    token_file_from_flag: bool = False
    verbose: int = 0
    wire_aliases: tuple[str, ...] = ()
    secrets: Secrets = attrs.field(factory=Secrets)

    def read_api_key(self) -> str:
        """The configured API key; :class:`CliConfigError` when it is missing or ambiguous."""
        key = self.api_key or None
        if key is not None and self.token_file:
            if self.api_key_from_flag == self.token_file_from_flag:
                raise CliConfigError(
                    "give the API key one way: --api-key/CONFIRMA_API_KEY or "
                    "--token-file/CONFIRMA_TOKEN_FILE, not both"
                )
            if self.token_file_from_flag:
                key = None  # an explicit --token-file beats CONFIRMA_API_KEY
        if key is None and self.token_file:
            key = _read_token_file(self.token_file)
        if key is None or not key.strip():
            raise CliConfigError(
                "no API key: set CONFIRMA_API_KEY (or pass --api-key, or --token-file FILE)"
            )
        self.secrets.add(key)
        return key.strip()

    def endpoint(self) -> tuple[Environment | None, str | None]:
        """The environment or the base URL (exactly one; a flag beats an environment variable)."""
        environment, base_url = self.environment or None, self.base_url or None
        if environment is not None and base_url is not None:
            if self.environment_from_flag == self.base_url_from_flag:
                raise CliConfigError(
                    "give either --environment/CONFIRMA_ENVIRONMENT or "
                    "--base-url/CONFIRMA_BASE_URL, not both"
                )
            if self.base_url_from_flag:
                environment = None
            else:
                base_url = None
        if environment is None:
            return None, base_url
        try:
            return Environment[environment.strip().upper()], None
        except KeyError:
            raise CliConfigError(
                f"unknown environment {environment!r}: use staging or production"
            ) from None

    def client(
        self, on_token_renewed: OnRenewed | None = None, *, warn_unsaved: bool = True
    ) -> ConfirmaClient:
        """A new client for these settings (the caller closes it: ``async with``).

        Renewed keys are saved to the token file when there is one (otherwise, with
        ``warn_unsaved``, a warning says the new key is lost); ``on_token_renewed`` is awaited
        after that.
        """
        key = self.read_api_key()
        environment, base_url = self.endpoint()

        async def renewed(token: str, expires_at: datetime | None) -> None:
            self.secrets.add(token)
            self._keep_renewed(token, warn_unsaved)
            if on_token_renewed is not None:
                await on_token_renewed(token, expires_at)

        try:
            return ConfirmaClient(
                api_key=key,
                environment=environment,
                base_url=base_url,
                on_token_renewed=renewed,
                wire_aliases=list(self.wire_aliases),
            )
        except ConfigurationError as exc:
            raise CliConfigError(self.secrets.scrub(str(exc))) from None

    def _keep_renewed(self, token: str, warn_unsaved: bool) -> None:
        if self.token_file:
            try:
                write_secret_file(self.token_file, token)
            except OSError as exc:
                warn(f"the API key was renewed but could not be saved to {self.token_file}: {exc}")
                return
            warn(f"the API key was renewed; the new key was saved to {self.token_file}")
        elif warn_unsaved:
            warn(
                "the API key was renewed during this run (the old key no longer works); the new "
                "key was NOT saved: pass --token-file FILE to keep renewed keys"
            )


def warn(message: str) -> None:
    """One line on stderr, prefixed ``confirma:``.

    Written to the *current* ``sys.stderr``: while a progress bar runs, rich has replaced it
    with a proxy that prints the line above the bar (``click.echo`` would write under it, into
    the middle of the bar's line).
    """
    print(f"confirma: {message}", file=sys.stderr, flush=True)


def _read_token_file(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as fh:
            token = fh.readline().strip()
    except OSError as exc:
        raise CliConfigError(f"cannot read the token file {path}: {exc.strerror}") from None
    if not token:
        raise CliConfigError(f"the token file {path} is empty")
    return token


class SecretFile:
    """A file written atomically with mode 0600: :meth:`prepare` first, then :meth:`commit`.

    Preparing creates the temporary file next to the target, so a path that cannot be written
    fails before anything irreversible (a token renewal) happens.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._fd: int | None = None
        self._tmp: str | None = None

    def prepare(self) -> None:
        """Create the temporary file (mode 0600) in the target's directory."""
        directory = os.path.dirname(os.path.abspath(self.path))
        self._fd, self._tmp = tempfile.mkstemp(dir=directory, prefix=".confirma-token-")

    def commit(self, secret: str) -> None:
        """Write ``secret`` and a newline, flush to disk, and move the file into place."""
        if self._fd is None or self._tmp is None:
            self.prepare()
        assert self._fd is not None
        assert self._tmp is not None
        fd, tmp, self._fd = self._fd, self._tmp, None
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, (secret + "\n").encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, self.path)
        self._tmp = None

    def discard(self) -> None:
        """Remove the temporary file if it was not committed."""
        fd, tmp, self._fd, self._tmp = self._fd, self._tmp, None, None
        if fd is not None:
            os.close(fd)
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def write_secret_file(path: str, secret: str) -> None:
    """Write ``secret`` to ``path`` atomically with mode 0600."""
    target = SecretFile(path)
    try:
        target.commit(secret)
    finally:
        target.discard()
