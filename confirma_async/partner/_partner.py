"""ConfirmaPartner: one process acting for many creditors on one session, fairly."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import aiohttp

from .._core.checks import check_token
from .._core.closing import AsyncClosing
from .._core.logging import default_logger
from ..auth import MemoryTokenStore, TokenKey, TokenStore
from ..auth._renewal import Secret
from ..client import ConfirmaClient
from ..config import ClientConfig, Environment
from ..errors import ClientClosedError, ConfigurationError, ConfirmaError
from ..models._aliases import WireAliases
from ..models.onboarding import NewClient, NewClientRequest
from ..pagination.watch import Clock, Sleep
from ..transport._session import SSLOption
from ._client import PartnerClient, metrics_of
from ._fleet import FleetWatcher
from ._scheduler import FairScheduler, LaneMetrics, Observer

_NO_PARTNER_TOKEN = "no-partner-token"
"""What the partner's own client holds without a partner token: never sent (onboard refuses)."""

PARTNER_LANE = "(partner)"
"""The scheduler lane of the partner's own requests (onboarding)."""


class TokenNotStoredError(ConfirmaError):
    """A client was created, but its first token could not be written to the token store.

    The token is not lost: it is in :attr:`new_client` (``new_client.access_token``; never in
    this error's message, repr or logs). Store it yourself, e.g. with
    ``await partner.client(new_client.client_id).tokens.set_token(...)`` once the store is back.
    The store's own error is the cause.
    """

    def __init__(self, message: str, new_client: NewClient) -> None:
        super().__init__(message)
        self.new_client = new_client
        """The created client, its identifiers and its first access token."""


class ConfirmaPartner(AsyncClosing):
    """Acting for many creditors: the partner token, one session, fair limits for all clients.

    ::

        async with ConfirmaPartner(partner_token=TOKEN, base_url=URL, token_store=store) as p:
            created = await p.onboard(new_client_request)    # token stored before it returns
            client = p.client(created.client_id)              # cheap; no pool of its own
            await client.invoices.create(invoice)

    ``partner_token`` (the provisioning token) is needed only by :meth:`onboard`.
    ``token_store`` holds every client's token, keyed by the base URL and the client id
    (default: a :class:`~confirma_async.MemoryTokenStore`; a
    ``confirma_async.postgres.PostgresTokenStore`` shares them between processes). The partner
    owns one ``aiohttp`` session (one connection pool of ``config.pool_limit`` connections)
    that every client uses. ``max_in_flight`` (default ``config.pool_limit``) caps the requests
    in flight of all clients together, ``rate_limit`` the requests started per second;
    ``per_client_limit`` caps each client's requests in flight. Waiting requests are served
    round robin by client (``partner.client(id, weight=...)`` gives a client more turns), so
    one client's bulk upload cannot starve another's poll. ``observer`` is called with
    ``("queued" | "granted", lane)`` for every request that waits / gets its slot.
    ``session`` (your own ``aiohttp.ClientSession``, never closed by the partner), ``ssl``,
    ``proxy``, ``trust_env``, ``trace_configs``, ``connector_options`` and ``tracing`` are as for
    :class:`~confirma_async.ConfirmaClient` and apply to every client (see *Proxies, CAs and
    sessions*).
    """

    def __init__(
        self,
        *,
        partner_token: str | None = None,
        environment: Environment | None = None,
        base_url: str | None = None,
        config: ClientConfig | None = None,
        token_store: TokenStore | None = None,
        max_in_flight: int | None = None,
        rate_limit: float | None = None,
        burst: float = 1.0,
        per_client_limit: int | None = None,
        logger: Any = None,
        wire_aliases: WireAliases | Iterable[str] | Mapping[str, str | Sequence[str]] | None = None,
        observer: Observer | None = None,
        session: aiohttp.ClientSession | None = None,
        ssl: SSLOption = None,
        proxy: str | None = None,
        trust_env: bool | None = None,
        trace_configs: Sequence[aiohttp.TraceConfig] | None = None,
        connector_options: Mapping[str, Any] | None = None,
        tracing: Any = False,
    ) -> None:
        self._log = logger if logger is not None else default_logger()
        key = _NO_PARTNER_TOKEN if partner_token is None else partner_token
        self._owner = ConfirmaClient(  # owns the one session; sends nothing itself
            api_key=key,
            environment=environment,
            base_url=base_url,
            config=config,
            logger=self._log,
            wire_aliases=wire_aliases,
            session=session,
            ssl=ssl,
            proxy=proxy,
            trust_env=trust_env,
            trace_configs=trace_configs,
            connector_options=connector_options,
        )
        self._session_of = (
            self._owner._get_session if session is None else self._owner._get_callers_session
        )
        self.request_defaults: Mapping[str, Any] | None = self._owner._plumbing.request_options(
            self._owner.config
        )
        """Arguments every request adds (the client's timeouts on a caller's session), if any."""
        self.tracing = tracing
        """The ``tracing=`` every client is made with (OpenTelemetry spans; off by default)."""
        self._partner_token = None if partner_token is None else Secret(partner_token)
        self.config = self._owner.config
        """The configuration every client of this partner shares."""
        self.wire_aliases = self._owner.wire_aliases
        """Alternative wire names of response fields, shared by every client."""
        self.token_store: TokenStore = (
            token_store if token_store is not None else MemoryTokenStore()
        )
        """Where every client's token lives (keyed by base URL and client id)."""
        self.scheduler = FairScheduler(
            max_in_flight=self.config.pool_limit if max_in_flight is None else max_in_flight,
            rate_limit=rate_limit,
            burst=burst,
            per_client_limit=per_client_limit,
            observer=observer,
        )
        """The fair scheduler every request of every client passes."""
        self._clients: dict[str, PartnerClient] = {}
        self._provisioning = PartnerClient(
            self,
            self.scheduler.lane(PARTNER_LANE),
            client_id=None,
            token_store=None,
            api_key=key,
        )

    @property
    def base_url(self) -> str:
        """The base URL every client's requests go to."""
        return self._owner.base_url

    @property
    def logger(self) -> Any:
        """The logger every client logs through."""
        return self._log

    @property
    def closed(self) -> bool:
        """True once :meth:`aclose` has run."""
        return self._owner.closed

    def shared_session(self) -> aiohttp.ClientSession:
        """The one ``aiohttp`` session every client uses (made on first use, or the caller's)."""
        return self._session_of()

    def __repr__(self) -> str:
        return (
            f"ConfirmaPartner(base_url={self.base_url!r}, partner_token=<secret>, "
            f"clients={len(self._clients)})"
        )

    def client(
        self, client_id: str, *, weight: float = 1.0, limit: int | None = None
    ) -> PartnerClient:
        """The client acting for ``client_id`` (the same object on every call for that id).

        Cheap: no session, no connection; its token is read from the store on its first request
        (:class:`ConfigurationError` if the store has none). ``weight`` (turns per round when
        clients wait) and ``limit`` (its requests in flight at most) apply when it is first made.
        """
        if not isinstance(client_id, str) or not client_id.strip():
            raise ConfigurationError("client_id", client_id, "must be a non-empty string")
        found = self._clients.get(client_id)
        if found is None:
            if self.closed:
                raise ClientClosedError("this ConfirmaPartner is closed")
            lane = self.scheduler.lane(client_id, weight=weight, limit=limit)
            found = PartnerClient(self, lane, client_id=client_id, token_store=self.token_store)
            self._clients[client_id] = found
        return found

    @property
    def clients(self) -> Mapping[str, PartnerClient]:
        """The clients made so far, by client id."""
        return self._clients

    def metrics(self) -> dict[str, LaneMetrics]:
        """Every client's figures now (in flight, waiting, sent, waited), by client id."""
        figures = metrics_of(self._clients)
        figures[PARTNER_LANE] = self._provisioning.lane.metrics()
        return figures

    async def onboard(self, request: NewClientRequest) -> NewClient:
        """Create a client (``POST /client``) and store its first token before returning.

        If the token store fails, :class:`TokenNotStoredError` is raised holding the created
        client and its token (never logged); a cancellation cannot interrupt the write.
        """
        if self._partner_token is None:
            raise ConfigurationError("partner_token", None, "is needed to onboard clients")
        created = await self._provisioning.onboarding.create_client(
            request, partner_token=self._partner_token.reveal()
        )
        token = created.access_token
        assert token is not None  # create_client raises TokenNotFoundError otherwise
        if not created.client_id:
            raise TokenNotStoredError(
                "the client was created, but the answer has no client id to store its token "
                "under (add a wire alias NewClient.client_id=<name>); the token is in "
                "new_client.access_token",
                created,
            )
        key = TokenKey(self.base_url, created.client_id)
        try:
            await asyncio.shield(self._store_token(key, token, created.expires_at))
        except Exception as exc:
            self._log.error(
                "partner_token_not_stored",
                client_id=created.client_id,
                error_type=type(exc).__name__,
            )
            raise TokenNotStoredError(
                f"client {created.client_id!r} was created, but writing its token to the token "
                f"store failed ({type(exc).__name__}); the token is in new_client.access_token: "
                "store it once the store is back",
                created,
            ) from exc
        return created

    async def register(
        self, client_id: str, token: str, *, expires_at: datetime | None = None
    ) -> PartnerClient:
        """Store a token of a client onboarded elsewhere (as its next version); the client.

        Every process sharing the token store uses it from then on.
        """
        client = self.client(client_id)
        token = check_token(token, "token")
        if expires_at is not None and expires_at.tzinfo is None:
            raise ConfigurationError("expires_at", expires_at, "must be timezone-aware")
        await self._store_token(client.tokens.key, token, expires_at)
        return client

    async def _store_token(self, key: TokenKey, token: str, expires_at: datetime | None) -> None:
        async with self.token_store.renewal(key) as guard:
            await guard.commit(token, expires_at)

    def watch_distributions(
        self,
        clients: Iterable[str] | None = None,
        *,
        interval: timedelta | float = timedelta(minutes=1),
        since: date | None = None,
        lookback: timedelta = timedelta(days=30),
        checkpoints: Mapping[str, Mapping[str, Any]] | None = None,
        clock: Clock | None = None,
        sleep: Sleep | None = None,
    ) -> FleetWatcher:
        """Poll many clients' distribution records; one iterator of ``(client_id, record)``.

        ``clients``: client ids (default: every client made so far). Each client's records are
        watched as by ``client.invoices.watch_distributions`` (``since``, ``lookback``; one
        checkpoint per client: ``fleet.checkpoint(client_id)``, given back as
        ``checkpoints={client_id: ...}``), the first polls spread evenly over ``interval``.
        Close it (``async with``) to stop every client's polling.
        """
        ids = list(self._clients) if clients is None else list(clients)
        seconds = interval.total_seconds() if isinstance(interval, timedelta) else interval
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
            raise ConfigurationError("interval", interval, "must be a timedelta or seconds >= 0")
        return FleetWatcher(
            [self.client(client_id) for client_id in ids],
            interval=float(seconds),
            since=since,
            lookback=lookback,
            checkpoints=checkpoints,
            clock=clock,
            sleep=sleep,
            logger=self._log,
        )

    async def aclose(self) -> None:
        """Close every client, then the shared session. Safe to call more than once.

        Requests still waiting for a slot of the scheduler fail with ``ClientClosedError``.
        """
        self.scheduler.close()
        for client in [*self._clients.values(), self._provisioning]:
            await client.aclose()
        await self._owner.aclose()
