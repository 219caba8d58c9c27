"""Onboarding: create a client, validate and renew the access token."""

from __future__ import annotations

from datetime import datetime

from .. import _wire
from ..auth import TokenManager, _check_token
from ..models._convert import from_wire, to_wire
from ..models.onboarding import NewClient, NewClientRequest, TokenValidation
from ..transport import Transport
from ._params import require_model


class Onboarding:
    """``client.onboarding``: the onboarding endpoints (marked "Developing" on the portal)."""

    def __init__(self, transport: Transport, tokens: TokenManager) -> None:
        self._transport = transport
        self._tokens = tokens

    async def create_client(self, request: NewClientRequest, *, partner_token: str) -> NewClient:
        """Onboard a new client (``POST /client``) with the partner provisioning token.

        The response carries the client's initial access token (never shown in reprs).
        Not re-sent automatically if the outcome is unknown.
        """
        require_model("request", request, NewClientRequest)
        key = _check_token(partner_token, "partner_token")
        data = await self._transport.request(
            "POST", _wire.PATH_CLIENT, json=to_wire(request), idempotent=False, api_key=key
        )
        return from_wire(data, NewClient)

    async def validate_token(self) -> TokenValidation:
        """Check the current token (``GET /validate``); a 401 gives ``is_valid=False``."""
        return await self._tokens.validate_token()

    async def renew_token(self) -> datetime | None:
        """Renew the current token (``GET /renew``, never retried); returns the new expiry."""
        return await self._tokens.renew_token()
