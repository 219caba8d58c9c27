"""Watching a sandbox's ``GET /renew`` traffic, and what a failure caused by a renewal looks like.

Used by ``test_chaos_renew.py``. The sandbox keeps no API key in its request log, so a spy on its
request recorder notes the key of every ``/renew`` request (which token asked, at which moment of
the sandbox clock), and a spy on its token registry notes every renewal it applied.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest

from confirma_async import (
    APIConnectionError,
    AuthenticationError,
    ConfirmaError,
    TokenNotFoundError,
)
from confirma_async._core import wire
from confirma_async.testing import ReceivedRequest, Sandbox
from confirma_async.testing._tokens import TokenRecord

FAILED_RENEWAL_PAUSE = timedelta(seconds=30)
"""How long a failed automatic renewal stands for its token (the client's; not asked again)."""


@dataclass
class RenewWatch:
    """Every ``/renew`` request (the key it carried, when) and every renewal the sandbox applied."""

    sandbox: Sandbox
    asked: dict[str, list[datetime]] = field(default_factory=lambda: defaultdict(list))
    received: dict[str, list[ReceivedRequest | None]] = field(
        default_factory=lambda: defaultdict(list)
    )
    """Per key, the sandbox's log entry of each ask in ``asked`` (its fault is filled later)."""
    applied: list[tuple[int, str, str]] = field(default_factory=list)
    """(the test's event number, old token, new token) per renewal the server made."""
    event: int = 0
    """Bumped by the test at every expiry or clock step: renewals are counted per event."""

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        state, tokens = self.sandbox.state, self.sandbox.state.tokens
        record, renew = state.record, tokens.renew

        def record_and_note(
            endpoint: str, client: str | None, headers: Mapping[str, str], *rest: Any
        ) -> Any:
            entry = record(endpoint, client, headers, *rest)
            if endpoint == f"GET {wire.PATH_RENEW}":
                key = headers.get(wire.API_KEY_HEADER, "")
                self.asked[key].append(self.sandbox.clock.now())
                self.received[key].append(entry)
            return entry

        def renew_and_note(old: TokenRecord, now: datetime) -> TokenRecord:
            new = renew(old, now)
            self.applied.append((self.event, old.token, new.token))
            return new

        self.sandbox.record_requests()  # the recorder is only called while recording
        monkeypatch.setattr(state, "record", record_and_note)
        monkeypatch.setattr(tokens, "renew", renew_and_note)

    def check_no_storm(self, why: str, clients: int = 1) -> None:
        """No renewal storm among ``clients`` sharing one token (A70 when more than one).

        A client asks ``/renew`` again with one token only after the failed-renewal pause, or
        once at once when the ask before lost its connection (A108: never twice in a row), and
        every expiry or clock step costs the server at most one renewal: between two clock
        events each client fails to renew once at most and one renewal succeeds for all.
        """
        first_asks = 0
        for key, moments in self.asked.items():
            firsts = [
                m for m, again in zip(moments, self.asked_again(key), strict=True) if not again
            ]
            first_asks += len(firsts)
            for earlier, later in zip(firsts, firsts[clients:], strict=False):
                assert later - earlier >= FAILED_RENEWAL_PAUSE, f"{why}: {moments}"
        per_event = Counter(event for event, _, _ in self.applied)
        assert max(per_event.values(), default=0) <= 1, f"{why}: {per_event}"
        bound = (clients + 1) * (self.event + 1)
        assert first_asks <= bound, f"{why}: {first_asks} /renew asked (not again)"
        renewed_twice = Counter(old for _, old, _ in self.applied)
        assert max(renewed_twice.values(), default=0) <= 1, why  # a revoked token never renews

    def asked_again(self, key: str) -> list[bool]:
        """Per ask of ``key``: whether it is the one ask again after a broken connection (A108)."""
        again: list[bool] = []
        for i, _ in enumerate(self.received[key]):
            before = self.received[key][i - 1] if i else None
            broke = before is not None and before.fault in ("drop", "commit_drop")
            again.append(broke and not again[i - 1])
        return again

    @property
    def requests(self) -> int:
        """``/renew`` requests received so far."""
        return sum(len(moments) for moments in self.asked.values())


def caused_by_renewal(error: BaseException, method: str, path: str) -> bool:
    """True for a failure the rules allow when only ``/renew`` misbehaves (A47, A20).

    The error names the endpoint the caller called and is a known failure: a 401 (refused; its
    renewal failed, or a second expiry struck its replay), or a request not sent because the
    renewal before it failed. A renewal's failure is the error's ``__cause__`` and names
    ``GET /renew`` (or is the dedicated no-token error).
    """
    if not isinstance(error, ConfirmaError) or getattr(error, "outcome_unknown", False):
        return False
    if f"{method} {path}" not in str(error):
        return False
    cause = error.__cause__
    renewal = isinstance(cause, ConfirmaError) and (
        f"GET {wire.PATH_RENEW}" in str(cause) or isinstance(cause, TokenNotFoundError)
    )
    if renewal and getattr(cause, "outcome_unknown", False) and not lockout_note(error):
        return False  # a renewal that may have been applied must say the client may be locked out
    if isinstance(cause, AuthenticationError) and isinstance(cause.__cause__, APIConnectionError):
        notes = getattr(cause, "__notes__", [])
        if not any("set_token" in note for note in notes):
            return False  # asked again after a broken connection, refused: a sure lock-out (A108)
    if isinstance(error, AuthenticationError):
        return cause is None or renewal
    return renewal and "renewing the token first failed" in str(error)


def lockout_note(error: Any) -> bool:
    """True when the renewal behind ``error`` says its outcome is unknown and how to get out."""
    cause = getattr(error, "__cause__", None)
    notes = getattr(cause, "__notes__", [])
    return bool(getattr(cause, "outcome_unknown", False)) and any("set_token" in n for n in notes)
