"""Clients and access tokens: issue, authenticate, renew (A19-A22), revoke and expire."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from ._http import ApiError, unauthorized

TokenKind = Literal["client", "partner"]


@dataclass
class ClientAccount:
    """A creditor account; every client token belongs to one."""

    client_id: str
    name: str
    customer_code: str
    payment_reference_prefix: str


@dataclass
class TokenRecord:
    """One issued token and its lifecycle."""

    token: str
    kind: TokenKind
    client_id: str | None
    issued_at: datetime
    expires_at: datetime | None = None
    revoked: bool = False
    serial: int = 0


class TokenStore:
    """Holds every client and token of one sandbox; tokens are derived from the seed."""

    def __init__(self, seed: int, now: datetime, lifetime: timedelta | None) -> None:
        self._seed = seed
        self._lifetime = lifetime
        self._counter = 0
        self._tokens: dict[str, TokenRecord] = {}
        self.clients: dict[str, ClientAccount] = {}
        self._expire_all_at: tuple[datetime, int] | None = None
        self.partner = self.issue("partner", None, now)
        self.default_client = self.add_client("Sandbox Customer Oy")
        self.default = self.issue("client", self.default_client.client_id, now)

    def _next(self, prefix: str) -> str:
        self._counter += 1
        digest = hashlib.sha256(f"{self._seed}:{self._counter}".encode()).hexdigest()
        return f"{prefix}{digest[:40]}"

    def add_client(self, name: str) -> ClientAccount:
        """Create a client account with the next sequential identifiers."""
        n = len(self.clients) + 1
        account = ClientAccount(
            client_id=f"client-{n:04d}",
            name=name,
            customer_code=f"SBX{n:05d}",
            payment_reference_prefix=f"{1000 + n}",
        )
        self.clients[account.client_id] = account
        return account

    def issue(
        self,
        kind: TokenKind,
        client_id: str | None,
        now: datetime,
        expires_at: datetime | None = None,
    ) -> TokenRecord:
        """Issue a new token (``expires_at`` ``None`` = no expiry)."""
        prefix = "sbx_partner_" if kind == "partner" else "sbx_client_"
        token = self._next(prefix)
        record = TokenRecord(token, kind, client_id, now, expires_at, serial=self._counter)
        self._tokens[record.token] = record
        return record

    def lifetime_expiry(self, now: datetime) -> datetime | None:
        """Expiry of a token issued now by renew or create-client."""
        return None if self._lifetime is None else now + self._lifetime

    def get(self, token: str) -> TokenRecord | None:
        """Look a token up (revoked and expired ones included)."""
        return self._tokens.get(token)

    def expiry_of(self, record: TokenRecord) -> datetime | None:
        """The moment a token stops working, including a global expiry fault."""
        moment = record.expires_at
        if self._expire_all_at is not None:
            cut, last_serial = self._expire_all_at
            if record.serial <= last_serial or record.issued_at < cut:
                moment = cut if moment is None else min(moment, cut)
        return moment

    def is_expired(self, record: TokenRecord, now: datetime) -> bool:
        """True once the token's expiry moment has been reached."""
        moment = self.expiry_of(record)
        return moment is not None and now >= moment

    def known(self, token: str | None) -> TokenRecord:
        """Return the record of a known, unrevoked token or raise 401 (expired ones pass)."""
        if not token:
            raise unauthorized("missing X-Api-Key header")
        record = self._tokens.get(token)
        if record is None or record.revoked:
            raise unauthorized("invalid or revoked access token")
        return record

    def authenticate(self, token: str | None, now: datetime, kind: TokenKind) -> TokenRecord:
        """Check a token for an endpoint that needs ``kind``: 401 unusable, 403 wrong kind (A5)."""
        record = self.known(token)
        if self.is_expired(record, now):
            raise unauthorized("access token expired")
        if record.kind != kind:
            needed = "a partner provisioning token" if kind == "partner" else "a client token"
            raise ApiError(403, "FORBIDDEN", f"this endpoint needs {needed}")
        return record

    def renew(self, old: TokenRecord, now: datetime) -> TokenRecord:
        """Issue a replacement and revoke ``old`` at once (A20)."""
        new = self.issue(old.kind, old.client_id, now, self.lifetime_expiry(now))
        old.revoked = True
        return new

    def revoke(self, token: str) -> None:
        """Revoke a token immediately."""
        self._tokens[token].revoked = True

    def expire(self, token: str, at: datetime) -> None:
        """Make a token expire at ``at``."""
        self._tokens[token].expires_at = at

    def expire_all_at(self, at: datetime | None) -> None:
        """Tokens issued so far, or later but before ``at``, expire at ``at`` (``None`` clears)."""
        self._expire_all_at = None if at is None else (at, self._counter)
