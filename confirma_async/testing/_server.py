"""Run a sandbox in-process: ``async with Sandbox() as sb: sb.base_url``."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from types import TracebackType

from aiohttp import web

from .._core import wire as _wire
from ._admin import ADMIN_PREFIX
from ._app import build_app
from ._clock import Clock, SystemClock
from ._config import SandboxConfig
from ._faults import Faults
from ._inspect import ReceivedRequest
from ._state import SandboxState

_MAX_PORT = 65535


class Sandbox:
    """A local CFIS emulation served over real sockets.

    ``Sandbox(config, clock=ManualClock())`` builds the state at once (so tokens and inspection
    work before it starts); :meth:`start` (or ``async with``) binds ``host:port`` (port 0 = any
    free port) and :meth:`stop` closes every connection. ``base_url`` includes the
    ``/api/v1/partner`` prefix. A client that hangs up mid-request (a timeout, a cancelled task)
    ends that request's handler at once, quietly: the sandbox logs no error for it.
    """

    def __init__(
        self,
        config: SandboxConfig | None = None,
        *,
        clock: Clock | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        if not 0 <= port <= _MAX_PORT:
            raise ValueError(f"port must be within 0..{_MAX_PORT}, not {port}")
        self.config = config or SandboxConfig()
        self.clock: Clock = clock or SystemClock()
        self.faults = Faults(self.config.seed, self.config.faults)
        """Live fault rules: ``sandbox.faults.add(...)``, ``fail_next(...)``, ``clear()``."""
        self.state = SandboxState(self.config, self.clock)
        """Everything stored, plus the inspection API (``accepted_count`` and friends)."""
        self.host = host
        self._port = port
        self._runner: web.AppRunner | None = None
        self._stopping = asyncio.Event()

    # --- lifecycle ------------------------------------------------------------------------

    async def start(self) -> Sandbox:
        """Start serving; returns ``self``."""
        if self._runner is not None:
            raise RuntimeError("sandbox already started")
        self._stopping = asyncio.Event()  # bound to the loop that runs this start
        app = build_app(self.state, self.faults, self._stopping)
        runner = web.AppRunner(
            app,
            access_log=None,
            shutdown_timeout=self.config.shutdown_timeout,
            handler_cancellation=True,  # a client that hangs up ends its handler, quietly
        )
        await runner.setup()
        site = web.TCPSite(runner, self.host, self._port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self._port = int(runner.addresses[0][1])
        return self

    async def stop(self) -> None:
        """Stop serving and close every connection (deliberately slow answers end at once)."""
        runner, self._runner = self._runner, None
        if runner is not None:
            self._stopping.set()
            await runner.cleanup()

    async def __aenter__(self) -> Sandbox:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # --- addresses and credentials --------------------------------------------------------

    @property
    def port(self) -> int:
        """The bound port (after :meth:`start`)."""
        return self._port

    @property
    def url(self) -> str:
        """``http://host:port`` (no path)."""
        if self._runner is None:
            raise RuntimeError("the sandbox is not running")
        return f"http://{self.host}:{self._port}"

    @property
    def base_url(self) -> str:
        """The API base URL to give a client: ``http://host:port/api/v1/partner``."""
        return self.url + _wire.API_PREFIX

    @property
    def admin_url(self) -> str:
        """The admin/inspection routes' base: ``http://host:port/_sandbox``."""
        return self.url + ADMIN_PREFIX

    @property
    def client_token(self) -> str:
        """The seeded client's original access token."""
        return self.state.tokens.default.token

    @property
    def partner_token(self) -> str:
        """The seeded partner provisioning token (for ``POST /client``)."""
        return self.state.tokens.partner.token

    @property
    def client_id(self) -> str:
        """The seeded client's id (it owns the generated records)."""
        return self.state.default_client_id

    @property
    def connections(self) -> int:
        """How many TCP connections have sent API requests so far (each counted once)."""
        return self.state.connections

    def requests_of(self, client_id: str | None, endpoint: str | None = None) -> int:
        """API requests made with a token of ``client_id`` (``None``: no known token).

        ``endpoint`` (``"GET /renew"``) counts only those; otherwise every endpoint.
        """
        counts = self.state.client_requests
        if endpoint is not None:
            return counts[(client_id, endpoint)]
        return sum(n for (client, _), n in counts.items() if client == client_id)

    def record_requests(self, *, bodies: bool = False) -> list[ReceivedRequest]:
        """Log every API request from now on; the live log (``endpoint``, ``client_id``, headers).

        ``client_id`` is the client whose token the request carried, so a test can check that
        each request went with the credentials it was meant for (tag requests with a header of
        your own, e.g. ``client.with_options(headers={"X-Test-Creditor": ...})``). The API key
        itself is never kept. Each entry also tells what became of the request: the ``fault``
        that decided it and the ``status`` answered. ``bodies=True`` keeps each request's raw
        ``body`` too (read on arrival, before any fault), so a test can count the requests
        received per item, faulted ones included. Calling it again returns the same log (and
        ``bodies=True`` then starts keeping bodies).
        """
        if self.state.received is None:
            self.state.received = []
        self.state.record_bodies = self.state.record_bodies or bodies
        return self.state.received

    def add_client(self, name: str, expires_at: datetime | None = None) -> tuple[str, str]:
        """Create a client account without HTTP: its id and first token (like ``POST /client``)."""
        account = self.state.tokens.add_client(name)
        return account.client_id, self.create_token(expires_at, account.client_id)

    # --- tokens and time ------------------------------------------------------------------

    def create_token(self, expires_at: datetime | None = None, client_id: str | None = None) -> str:
        """Issue another client token (default: for the seeded client), optionally expiring."""
        owner = client_id or self.client_id
        if owner not in self.state.tokens.clients:
            raise KeyError(f"unknown client {owner!r}")
        return self.state.tokens.issue("client", owner, self.clock.now(), expires_at).token

    def revoke_token(self, token: str) -> None:
        """Revoke a token now (it answers 401 afterwards)."""
        self.state.tokens.revoke(token)

    def expire_token(self, token: str, at: datetime | None = None) -> None:
        """Make one token expire at ``at`` (default: now)."""
        self.state.tokens.expire(token, at or self.clock.now())

    def expire_tokens_at(self, moment: datetime | None) -> None:
        """Every token issued so far (or later, before ``moment``) expires at ``moment``.

        Tokens renewed after ``moment`` work again; ``None`` cancels the rule.
        """
        self.state.tokens.expire_all_at(moment)

    def advance(self, delta: timedelta) -> None:
        """Move the sandbox clock forward (works with both clocks)."""
        self.clock.advance(delta)

    def __repr__(self) -> str:
        where = self.url if self._runner else "not running"
        return f"Sandbox({where}, seed={self.config.seed}, clock={self.clock!r})"
