"""ConfirmaClient: the one entry point. Builds the session, token manager, transport, resources."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Self

import aiohttp

from ._core.closing import AsyncClosing
from ._core.logging import default_logger
from .auth import TokenKey, TokenManager, TokenRenewedCallback, TokenStore
from .batch._store import JournalStore
from .batch.submitter import BatchSubmitter
from .config import ClientConfig, Environment, resolve_base_url
from .errors import ClientClosedError, ConfigurationError
from .models._aliases import WireAliases
from .resources.accounting import Accounting
from .resources.invoices import Invoices
from .resources.onboarding import Onboarding
from .resources.payments import Payments
from .transport import Transport


class ConfirmaClient(AsyncClosing):
    """Async client for the Confirma Finance Integrations API.

    Use it as an async context manager::

        async with ConfirmaClient(api_key=token, environment=Environment.STAGING) as client:
            created = await client.invoices.create(invoice)

    or call :meth:`aclose` yourself. The client owns one ``aiohttp.ClientSession``, created on first
    use inside the running event loop and closed by :meth:`aclose`.

    ``wire_aliases`` names response fields the real API spells differently from our guesses
    (``["DistributionRecord.distribution_status=deliveryState"]``, a mapping, or a
    :class:`~confirma_async.WireAliases`); ``client.wire_aliases.add(...)`` adds more later.
    ``confirma doctor`` (or :func:`~confirma_async.check_assumptions`) suggests them.
    ``client_id`` names the creditor account the key acts for (the identifier onboarding
    returns): bulk journals are then bound to it as well as to the server, so a journal is never
    reused for another creditor. Optional; never the key, which rotates on renewal.
    ``token_store`` shares the token with other clients and processes (e.g.
    ``confirma_async.postgres.PostgresTokenStore``), keyed by base URL and ``client_id`` (then
    required): one renewal per expiry across replicas. ``auto_renew=False`` never renews: a 401
    is raised unless the store holds a newer token (set one with ``client.tokens.set_token``).
    """

    def __init__(
        self,
        *,
        api_key: str,
        environment: Environment | None = None,
        base_url: str | None = None,
        config: ClientConfig | None = None,
        token_expires_at: datetime | None = None,
        on_token_renewed: TokenRenewedCallback | None = None,
        logger: Any = None,
        clock: Callable[[], datetime] | None = None,
        wire_aliases: WireAliases | Iterable[str] | Mapping[str, str | Sequence[str]] | None = None,
        client_id: str | None = None,
        token_store: TokenStore | None = None,
        auto_renew: bool = True,
    ) -> None:
        if client_id is not None and (not isinstance(client_id, str) or not client_id.strip()):
            raise ConfigurationError("client_id", client_id, "must be a non-empty string")
        if token_store is not None and client_id is None:
            raise ConfigurationError(
                "client_id", None, "is required with token_store (the token's key in the store)"
            )
        self.client_id = client_id
        """The creditor account this client acts for, if given (binds bulk journals)."""
        self.config = config if config is not None else ClientConfig()
        """The client's (frozen) configuration."""
        self._base_url = resolve_base_url(
            environment, base_url, allow_http=self.config.allow_insecure_http
        )
        self.wire_aliases = WireAliases.coerce(wire_aliases)
        """Alternative wire names of response fields (``client.wire_aliases.add(...)``)."""
        self._log = logger if logger is not None else default_logger()
        extra: dict[str, Any] = {} if clock is None else {"clock": clock}
        self.tokens = TokenManager(
            api_key,
            expires_at=token_expires_at,
            advisory_window=self.config.token_advisory_window,
            mandatory_window=self.config.token_mandatory_window,
            on_token_renewed=on_token_renewed,
            logger=self._log,
            wire_aliases=self.wire_aliases,
            store=token_store,
            key=None if client_id is None else TokenKey(self._base_url, client_id),
            auto_renew=auto_renew,
            **extra,
        )
        """The token manager: ``validate_token()``, ``renew_token()``, ``generation``."""
        self._session: aiohttp.ClientSession | None = None
        self._closed = False
        self._transport = Transport(
            session=self._get_session,
            base_url=self._base_url,
            config=self.config,
            tokens=self.tokens,
            logger=self._log,
        )
        self.tokens.bind(self._transport)
        aliases = self.wire_aliases
        self.onboarding = Onboarding(self._transport, aliases, self.tokens)
        """Create clients, validate and renew tokens."""
        self.invoices = Invoices(self._transport, aliases)
        """Create invoices and actions, read cases and distribution records."""
        self.payments = Payments(self._transport, aliases)
        """Read payments and settlements."""
        self.accounting = Accounting(self._transport, aliases)
        """Submit ledger documents and payments to accounting; read sync status."""

    @property
    def base_url(self) -> str:
        """The base URL requests go to (including the ``/api/v1/partner`` prefix)."""
        return self._base_url

    @property
    def transport(self) -> Transport:
        """The transport shared by all resources (for extensions such as the batch submitter)."""
        return self._transport

    def batch(
        self,
        concurrency: int = 32,
        *,
        rate_limit: float | None = None,
        ordered: bool = False,
        journal: JournalStore | str | os.PathLike[str] | None = None,
        max_attempts: int = 5,
        breaker_threshold: int | None = 20,
        accept_journal_mismatch: bool = False,
    ) -> BatchSubmitter:
        """A bulk submitter for invoices and actions using this client (see ``BatchSubmitter``).

        At most ``concurrency`` requests in flight, optionally at most ``rate_limit`` requests
        per second, results in input order if ``ordered``; ``journal`` (a JSONL path or a
        ``Journal``) makes the job resumable (bound to this client's base URL, and to what each
        item sent: ``accept_journal_mismatch`` goes by it anyway); ``max_attempts`` bounds the
        submissions per item, re-sends paced by this client's backoff; after
        ``breaker_threshold`` submissions in a row failed like a down server (``None``: never)
        the rest is held back as ``CircuitOpenError``, which a rerun sends.
        """
        return BatchSubmitter(
            self.invoices,
            closed=lambda: self._closed,
            concurrency=concurrency,
            rate_limit=rate_limit,
            ordered=ordered,
            journal=journal,
            max_attempts=max_attempts,
            target=self._base_url,
            client_id=self.client_id,
            backoff=(self.config.backoff_base, self.config.backoff_cap),
            breaker_threshold=breaker_threshold,
            accept_journal_mismatch=accept_journal_mismatch,
        )

    def __repr__(self) -> str:
        return f"ConfirmaClient(base_url={self._base_url!r}, api_key=<secret>)"

    def _get_session(self) -> aiohttp.ClientSession:
        if self._closed:
            raise ClientClosedError("this ConfirmaClient is closed")
        if self._session is None:
            cfg = self.config
            connector = aiohttp.TCPConnector(
                limit=cfg.pool_limit, keepalive_timeout=cfg.keepalive_timeout
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(
                    total=cfg.total_timeout,
                    # A request waiting for a pooled connection fails here, known not sent,
                    # before the total timeout (which would leave a POST's outcome unknown).
                    connect=cfg.pool_timeout,
                    sock_connect=cfg.connect_timeout,
                    sock_read=cfg.read_timeout,
                ),
                # The transport serialises JSON itself (exact Decimal amounts).
                json_serialize=_no_json_serialize,
            )
        return self._session

    async def __aenter__(self) -> Self:
        self._get_session()
        return self

    @property
    def closed(self) -> bool:
        """True once :meth:`aclose` has run."""
        return self._closed

    async def aclose(self) -> None:
        """Close the HTTP session. Safe to call more than once."""
        self._closed = True
        await self.tokens.aclose()
        session, self._session = self._session, None
        if session is not None:
            await session.close()


def _no_json_serialize(obj: Any) -> str:
    raise TypeError("confirma_async serialises request bodies itself")
