"""ConfirmaClient: the one entry point. Builds the session, token manager, transport, resources."""

from __future__ import annotations

import copy
import functools
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
from .config import (
    ClientConfig,
    Environment,
    api_key_from_env,
    endpoint_from_env,
    resolve_base_url,
)
from .errors import ClientClosedError, ConfigurationError
from .models._aliases import WireAliases
from .resources.accounting import Accounting
from .resources.invoices import Invoices
from .resources.onboarding import Onboarding
from .resources.payments import Payments
from .transport import Transport
from .transport._session import Plumbing, SSLOption


class ConfirmaClient(AsyncClosing):
    """Async client for the Confirma Finance Integrations API.

    Use it as an async context manager::

        async with ConfirmaClient(api_key=token, environment=Environment.STAGING) as client:
            created = await client.invoices.create(invoice)

    or call :meth:`aclose` yourself. The client owns one ``aiohttp.ClientSession``, created on first
    use inside the running event loop and closed by :meth:`aclose`.

    ``api_key``, ``environment`` and ``base_url`` not given are read from ``CONFIRMA_API_KEY`` and
    ``CONFIRMA_ENVIRONMENT`` or ``CONFIRMA_BASE_URL`` (the command line's names); an explicit
    ``environment`` or ``base_url`` wins over both variables.

    HTTP plumbing (see the *Proxies, CAs and sessions* guide): ``session`` is your own
    ``aiohttp.ClientSession``, used as it is and never closed by the client (its connector, proxy
    and TLS settings apply; ``ClientConfig``'s pool settings do not, its timeouts do); otherwise
    the client builds one with ``ssl`` (an ``ssl.SSLContext``, or the path of a CA bundle; TLS
    verification stays on), ``proxy`` (a URL), ``trust_env`` (default on: ``HTTPS_PROXY``,
    ``HTTP_PROXY``, ``NO_PROXY`` and ``.netrc`` apply), ``trace_configs`` (aiohttp's) and
    ``connector_options`` (more ``aiohttp.TCPConnector`` arguments). Options that cannot apply
    to a session you pass raise ``ConfigurationError``. ``tracing`` turns OpenTelemetry spans
    on (``True``: the global tracer provider, or a ``TracerProvider``; needs the ``otel``
    extra). :meth:`with_options` gives a view with other per-call options.

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

    onboarding: Onboarding
    """Create clients, validate and renew tokens."""
    invoices: Invoices
    """Create invoices and actions, read cases and distribution records."""
    payments: Payments
    """Read payments and settlements."""
    accounting: Accounting
    """Submit ledger documents and payments to accounting; read sync status."""

    def __init__(
        self,
        *,
        api_key: str | None = None,
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
        session: aiohttp.ClientSession | None = None,
        ssl: SSLOption = None,
        proxy: str | None = None,
        trust_env: bool | None = None,
        trace_configs: Sequence[aiohttp.TraceConfig] | None = None,
        connector_options: Mapping[str, Any] | None = None,
        tracing: Any = False,
    ) -> None:
        if api_key is None:
            api_key = api_key_from_env()
        if environment is None and base_url is None:
            environment, base_url = endpoint_from_env()
        plumbing = Plumbing.from_arguments(
            session=session,
            ssl=ssl,
            proxy=proxy,
            trust_env=trust_env,
            trace_configs=trace_configs,
            connector_options=connector_options,
        )
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
        plumbing.check_clear_text(self._base_url, self.config)
        self._plumbing = plumbing
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
            logger=_for_client(self._log, client_id),
            wire_aliases=self.wire_aliases,
            store=token_store,
            key=None if client_id is None else TokenKey(self._base_url, client_id),
            auto_renew=auto_renew,
            **extra,
        )
        """The token manager: ``validate_token()``, ``renew_token()``, ``generation``."""
        self._session: aiohttp.ClientSession | None = None
        self._closed = False
        self._root = self
        transport_class: Callable[..., Transport] = (
            Transport if tracing is False or tracing is None else traced_transport(tracing)
        )
        self._transport = transport_class(
            session=self._get_session if session is None else self._get_callers_session,
            base_url=self._base_url,
            config=self.config,
            tokens=self.tokens,
            logger=self._log,
            request_options=plumbing.request_options(self.config),
        )
        self.tokens.bind(self._transport)
        self._bind_resources()

    def _bind_resources(self) -> None:
        aliases = self.wire_aliases
        self.onboarding = Onboarding(self._transport, aliases, self.tokens)
        self.invoices = Invoices(self._transport, aliases)
        self.payments = Payments(self._transport, aliases)
        self.accounting = Accounting(self._transport, aliases)

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
        root = self._root
        return BatchSubmitter(
            self.invoices,
            closed=lambda: root._closed,
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

    def with_options(
        self,
        *,
        timeout: float | aiohttp.ClientTimeout | None = None,
        max_retries: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Self:
        """A view of this client with other per-call options (like openai's ``with_options``).

        The view shares the session, the token and its renewals; it costs a few small objects,
        so make one for a single call (``await client.with_options(timeout=5).invoices.case(...)``)
        or keep it for a block. ``timeout``: seconds for each request (or an
        ``aiohttp.ClientTimeout``); ``max_retries``: re-sends after a failed attempt;
        ``headers``: sent with every request (a call's ``extra_headers`` win; never the API key).
        Closing a view closes nothing: the client it came from owns the session.
        """
        view = copy.copy(self)
        view._transport = self._transport.with_options(
            timeout=timeout, max_retries=max_retries, headers=headers
        )
        view._bind_resources()
        return view

    def __repr__(self) -> str:
        return f"ConfirmaClient(base_url={self._base_url!r}, api_key=<secret>)"

    def _get_session(self) -> aiohttp.ClientSession:
        if self._closed:
            raise ClientClosedError("this ConfirmaClient is closed")
        if self._session is None:
            self._session = self._plumbing.build_session(self.config, self._base_url)
        return self._session

    def _get_callers_session(self) -> aiohttp.ClientSession:
        session = self._plumbing.session
        if self._closed:
            raise ClientClosedError("this ConfirmaClient is closed")
        if session is None or session.closed:
            raise ClientClosedError("the aiohttp session given as session= is closed")
        return session

    async def __aenter__(self) -> Self:
        root = self._root
        if root._plumbing.session is None:
            root._get_session()
        else:
            root._get_callers_session()
        return self

    @property
    def closed(self) -> bool:
        """True once :meth:`aclose` has run (on the client a view came from)."""
        return self._root._closed

    async def aclose(self) -> None:
        """Close the HTTP session unless it is the caller's. Safe to call more than once.

        On a :meth:`with_options` view it does nothing: the client it came from owns the session.
        """
        if self._root is not self:
            return
        self._closed = True
        await self.tokens.aclose()
        session, self._session = self._session, None
        if session is not None:
            await session.close()


def traced_transport(tracing: Any) -> Callable[..., Transport]:
    """The transport that makes OpenTelemetry spans (imported only when asked for)."""
    try:
        from .transport._tracing import TracedTransport, resolve_tracer
    except ImportError as exc:
        raise ConfigurationError(
            "tracing", tracing, f"needs the otel extra: pip install 'confirma-async[otel]' ({exc})"
        ) from None
    return functools.partial(TracedTransport, tracer=resolve_tracer(tracing))


def _for_client(log: Any, client_id: str | None) -> Any:
    """``log`` naming ``client_id`` in every event (a partner's token events say whose)."""
    bind = getattr(log, "bind", None)
    return log if client_id is None or bind is None else bind(client_id=client_id)
