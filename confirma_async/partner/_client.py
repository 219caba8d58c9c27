"""A partner's lightweight client: one creditor's token on the partner's shared session.

A :class:`PartnerClient` is a :class:`~confirma_async.ConfirmaClient` (same resources, same
``batch()``) whose requests go through the partner's one ``aiohttp`` session, each taking a slot
from the partner's :class:`FairScheduler` first: the gate sits where the transport opens a
request, so first attempts, retries, redirect hops, token renewals and bulk uploads all pass it.
A plain ``ConfirmaClient`` has no gate and pays nothing for this.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, cast

import aiohttp

from ..client import ConfirmaClient
from ..errors import ClientClosedError
from ._scheduler import Lane, LaneMetrics

if TYPE_CHECKING:
    from ..auth import TokenStore
    from ..config import ClientConfig
    from ..models._aliases import WireAliases


class _Partner(Protocol):
    """What a client takes from its :class:`~confirma_async.ConfirmaPartner`."""

    @property
    def base_url(self) -> str: ...
    @property
    def logger(self) -> Any: ...

    config: ClientConfig
    wire_aliases: WireAliases

    def shared_session(self) -> aiohttp.ClientSession: ...

    request_defaults: Mapping[str, Any] | None
    tracing: Any


_FROM_STORE = "from-the-token-store"
"""The placeholder a store-backed client is built with: never sent (``require_stored``)."""


class _GatedRequest:
    """``session.request(...)`` behind the lane: a slot first, back once the answer is read."""

    __slots__ = ("_args", "_inner", "_lane", "_session")

    def __init__(
        self, session: aiohttp.ClientSession, lane: Lane, args: tuple[Any, ...], kw: Any
    ) -> None:
        self._session = session
        self._lane = lane
        self._args = (args, kw)
        self._inner: Any = None

    async def __aenter__(self) -> aiohttp.ClientResponse:
        lane = self._lane
        await lane.__aenter__()
        try:
            args, kw = self._args
            self._inner = self._session.request(*args, **kw)
            return cast(aiohttp.ClientResponse, await self._inner.__aenter__())
        except BaseException:
            await lane.__aexit__(None, None, None)
            raise

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            await self._inner.__aexit__(exc_type, exc, tb)
        finally:
            await self._lane.__aexit__(None, None, None)


class _GatedSession:
    """What the transport sees as its session: the partner's, behind one client's lane."""

    __slots__ = ("_defaults", "_lane", "_session")

    def __init__(
        self,
        session: Callable[[], aiohttp.ClientSession],
        lane: Lane,
        defaults: Mapping[str, Any] | None,
    ) -> None:
        self._session = session
        self._lane = lane
        self._defaults = defaults

    @property
    def closed(self) -> bool:
        return self._session().closed

    def request(self, *args: Any, **kw: Any) -> _GatedRequest:
        defaults = self._defaults
        if defaults is not None:  # a caller's session: the client's timeouts, unless the call's
            kw = {**defaults, **kw}
        return _GatedRequest(self._session(), self._lane, args, kw)


class PartnerClient(ConfirmaClient):
    """One creditor's client of a :class:`~confirma_async.ConfirmaPartner` (``partner.client(id)``).

    Everything a :class:`~confirma_async.ConfirmaClient` has (``invoices``, ``payments``,
    ``accounting``, ``onboarding``, ``tokens``, ``batch()``), on the partner's session: it opens
    no connection pool of its own, and closing it closes nothing but its token subscription. Its
    token is the one the partner's token store holds for ``client_id``; its renewals are
    single-flight per client (in the process, and across processes with a shared store).
    """

    def __init__(
        self,
        partner: _Partner,
        lane: Lane,
        *,
        client_id: str | None,
        token_store: TokenStore | None,
        api_key: str | None = None,
        **options: Any,
    ) -> None:
        super().__init__(
            api_key=_FROM_STORE if api_key is None else api_key,
            base_url=partner.base_url,
            config=partner.config,
            logger=partner.logger,
            wire_aliases=partner.wire_aliases,
            client_id=client_id,
            tracing=partner.tracing,
            token_store=token_store,
            **options,
        )
        if api_key is None:
            self.tokens.require_stored()
        self._gated = _GatedSession(partner.shared_session, lane, partner.request_defaults)
        self.lane = lane
        """This client's place in the partner's fair scheduler."""

    @property
    def metrics(self) -> LaneMetrics:
        """The client's figures: requests in flight, waiting, sent, waits and time waited."""
        return self.lane.metrics()

    def __repr__(self) -> str:
        return f"PartnerClient(client_id={self.client_id!r}, base_url={self.base_url!r})"

    def _get_session(self) -> aiohttp.ClientSession:
        if self._closed:
            raise ClientClosedError(f"the partner client {self.client_id!r} is closed")
        return cast(aiohttp.ClientSession, self._gated)

    async def aclose(self) -> None:
        """Stop this client (its token subscription); the partner's session stays open."""
        if self._root is not self:
            return  # a view of this client (with_options) closes nothing
        self._closed = True
        await self.tokens.aclose()


def metrics_of(clients: Mapping[str, PartnerClient]) -> dict[str, LaneMetrics]:
    """Every client's figures, by client id."""
    return {client_id: client.lane.metrics() for client_id, client in clients.items()}
