"""Onboarding: create a client, validate and renew the access token.

Every method takes ``extra_headers`` and ``extra_query`` (sent in addition to its own).
"""

from __future__ import annotations

from datetime import datetime

from .._core import wire as _wire
from .._core.checks import ExtraHeaders, ExtraQuery, require_model
from .._core.checks import check_token as _check_token
from ..auth import TokenManager
from ..errors import TokenNotFoundError
from ..models._aliases import WireAliases
from ..models.onboarding import NewClient, NewClientRequest, TokenValidation
from ..transport import Transport
from ._base import Resource


class Onboarding(Resource):
    """``client.onboarding``: the onboarding endpoints (marked "Developing" on the portal)."""

    def __init__(self, transport: Transport, aliases: WireAliases, tokens: TokenManager) -> None:
        super().__init__(transport, aliases)
        self._tokens = tokens

    async def create_client(
        self,
        request: NewClientRequest,
        *,
        partner_token: str,
        extra_headers: ExtraHeaders = None,
        extra_query: ExtraQuery = None,
    ) -> NewClient:
        """Onboard a new client (``POST /client``) with the partner provisioning token.

        The answer carries the client's initial access token (never shown in reprs). Its names
        are our guess (A21): a 2xx answer without a token the client can read raises
        :class:`~confirma_async.TokenNotFoundError`, whose ``raw_body`` holds the answer, so
        the token of the client that now exists is never lost. Not re-sent automatically if the
        outcome is unknown.
        """
        require_model("request", request, NewClientRequest)
        key = _check_token(partner_token, "partner_token")
        created, answer = await self._post(
            _wire.PATH_CLIENT, request, NewClient, extra_headers, extra_query, api_key=key
        )
        if not created.access_token:
            names = ["accessToken", "token", "access_token"]
            names += self._aliases.names(NewClient, "access_token")
            raise TokenNotFoundError(
                f"POST {_wire.PATH_CLIENT} succeeded: the client was created, but no access token "
                f"was found under {', '.join(names)} (keys: {', '.join(created.extra) or 'none'})"
                "; the answer is in raw_body. Add a wire alias NewClient.access_token=<name>.",
                status=answer.status,
                method="POST",
                path=_wire.PATH_CLIENT,
                raw_body=created.raw_body,
                keys=sorted(created.extra),
            )
        return created

    async def validate_token(
        self, *, extra_headers: ExtraHeaders = None, extra_query: ExtraQuery = None
    ) -> TokenValidation:
        """Check the current token (``GET /validate``); a 401 gives ``is_valid=False``."""
        return await self._tokens.validate_token(
            extra_headers=extra_headers, extra_query=extra_query
        )

    async def renew_token(
        self, *, extra_headers: ExtraHeaders = None, extra_query: ExtraQuery = None
    ) -> datetime | None:
        """Renew the current token (``GET /renew``, never retried); returns the new expiry."""
        return await self._tokens.renew_token(extra_headers=extra_headers, extra_query=extra_query)
