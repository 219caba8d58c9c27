"""Fault injection: deterministic from a seed, global or per endpoint, from Python or the CLI.

A :class:`FaultRule` matches requests by method and path (the path after ``/api/v1/partner``, an
``fnmatch`` pattern, ``*`` = every endpoint) and fires with probability ``rate`` (draws come from
one ``random.Random(seed)``, so a given request sequence always meets the same faults), at most
``count`` times when ``count`` is set ("fail the next N requests"). Latency rules add up; of the
other rules the first one that fires decides (holds, like latency, add to it) the request's fate:

``error``        answer ``status`` (a 5xx, or 401/403: the token refused) with an A3 body; the
                 request is not applied.
``rate_limit``   answer 429 with ``Retry-After: <retry_after seconds>``; not applied.
``drop``         read the request, then close the connection without answering; not applied.
``commit_drop``  apply the request (e.g. store the invoice), then reset the connection (TCP RST)
                 before any byte of the response is written.
``slow``         apply the request, then wait ``delay`` seconds before answering (to trip client
                 timeouts; the wait ends early when the sandbox stops).
``latency``      wait ``latency`` + uniform(0, ``jitter``) seconds before handling.
``hold``         wait until the test releases the request (:meth:`Faults.hold`, Python only).

CLI syntax (``confirma sandbox --fault SPEC``, repeatable)::

    SPEC     := TARGET ':' ACTION (':' MODIFIER)*
    TARGET   := '*' | METHOD | PATH | METHOD ' ' PATH      e.g. 'POST /invoice', '/accounting/*'
    ACTION   := 500 | 502 | 503 | 504 | 401 | 403 | 429[=SECONDS] | drop | commit-drop
              | slow[=DURATION] | latency=DURATION['+'JITTER]
    MODIFIER := RATE (0.1 or 10%) | 'x'N (only the next N matching requests)
              | 'client='ID (only requests with a token of that client)
    DURATION := NUMBER ('ms' | 's' | 'm')?                  (bare number = seconds)

    'POST /invoice:503:0.1'   10 % of invoice uploads answer 503
    '*:latency=20ms+10ms'     every request waits 20-30 ms
    'GET /payments:429=2:5%'  5 % of payment reads are rate limited with Retry-After: 2
    'POST /invoice:commit-drop:x3'   the next 3 uploads are stored, then the connection is reset
    'GET /distribution:503:client=client-0002'   only that client's distribution reads fail

Token expiry is not a per-request fault: ``tokens:expire=DURATION`` on the command line (or
``SandboxConfig(expire_tokens_after=...)`` / ``Sandbox.expire_tokens_at(moment)``) makes every token
issued before that moment expire at it, so clients must renew mid-run.
"""

from __future__ import annotations

import fnmatch
import random
import re
from collections import Counter
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Literal

from ._hold import HeldRequests

FaultKind = Literal["latency", "error", "rate_limit", "drop", "commit_drop", "slow", "hold"]
_ADDITIVE = ("latency", "hold")
TOKEN_EXPIRY_TARGET = "tokens"
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m)?")
_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}


@dataclass(frozen=True, kw_only=True)
class FaultRule:
    """One fault: what happens (``kind``), to which requests, how often."""

    kind: FaultKind
    method: str = "*"
    path: str = "*"
    rate: float = 1.0
    count: int | None = None
    status: int = 503
    retry_after: float = 1.0
    latency: float = 0.0
    jitter: float = 0.0
    delay: float = 30.0
    client: str = "*"
    """Only requests made with a token of this client id (``*``: any request)."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"rate must be within [0, 1], got {self.rate}")
        if self.count is not None and self.count < 1:
            raise ValueError("count must be at least 1")
        if self.kind == "error" and not (500 <= self.status <= 599 or self.status in (401, 403)):
            raise ValueError(f"error faults answer a 5xx, 401 or 403 status, got {self.status}")

    def matches(self, method: str, path: str, client: str | None = None) -> bool:
        """True when this rule applies to ``method``, the API-relative ``path`` and ``client``.

        ``client`` is the id of the client whose token the request carried (``None``: none).
        """
        if self.client != "*" and self.client != client:
            return False
        if self.method != "*" and self.method != method.upper():
            return False
        return self.path == "*" or fnmatch.fnmatchcase(path, self.path)

    @classmethod
    def parse(cls, spec: str) -> FaultRule:
        """Parse one CLI fault spec (see the module docstring)."""
        target, _, rest = spec.partition(":")
        if not rest:
            raise ValueError(f"fault {spec!r}: expected TARGET:ACTION")
        action, *modifiers = rest.split(":")
        method, path = _target(target.strip())
        rule = _action(action.strip().lower(), method, path, spec)
        for raw in modifiers:
            modifier = raw.strip().lower()
            if modifier.startswith("client="):
                rule = replace(rule, client=raw.strip()[len("client=") :])
            elif re.fullmatch(r"x\d+", modifier):
                rule = replace(rule, count=int(modifier[1:]))
            elif modifier.endswith("%"):
                rule = replace(rule, rate=float(modifier[:-1]) / 100)
            else:
                rule = replace(rule, rate=float(modifier))
        return rule


def parse_duration(text: str) -> float:
    """``20ms`` / ``1.5s`` / ``2m`` / ``3`` to seconds."""
    match = _DURATION.fullmatch(text.strip())
    if not match:
        raise ValueError(f"bad duration {text!r} (use e.g. 20ms, 1.5s, 2m)")
    value = float(match.group(1))
    return (
        value / 1000 if match.group(2) == "ms" else value * 60 if match.group(2) == "m" else value
    )


def parse_token_expiry(spec: str) -> timedelta | None:
    """``tokens:expire=DURATION`` to the delay it names; ``None`` if ``spec`` is another fault."""
    target, _, action = spec.partition(":")
    if target.strip().lower() != TOKEN_EXPIRY_TARGET:
        return None
    name, _, value = action.partition("=")
    if name.strip().lower() != "expire" or not value:
        raise ValueError(f"fault {spec!r}: expected tokens:expire=DURATION")
    return timedelta(seconds=parse_duration(value))


def _target(target: str) -> tuple[str, str]:
    if target in ("", "*"):
        return "*", "*"
    first, _, second = target.partition(" ")
    if first.upper() in _METHODS or first == "*":
        return first.upper(), second.strip() or "*"
    return "*", target


def _action(action: str, method: str, path: str, spec: str) -> FaultRule:
    name, _, arg = action.partition("=")
    base = FaultRule(kind="error", method=method, path=path)
    if name.isdigit() and name != "429":
        return replace(base, status=int(name))
    if name == "429":
        return replace(base, kind="rate_limit", retry_after=parse_duration(arg or "1"))
    if name in ("drop", "commit-drop") and not arg:
        return replace(base, kind="drop" if name == "drop" else "commit_drop")
    if name == "slow":
        return replace(base, kind="slow", delay=parse_duration(arg or "30"))
    if name == "latency" and arg:
        fixed, _, jitter = arg.partition("+")
        return replace(
            base,
            kind="latency",
            latency=parse_duration(fixed),
            jitter=parse_duration(jitter) if jitter else 0.0,
        )
    raise ValueError(f"fault {spec!r}: unknown action {action!r}")


@dataclass
class _Slot:
    rule: FaultRule
    remaining: int | None
    held: HeldRequests | None = None


@dataclass(frozen=True)
class Decision:
    """What the fault rules decided for one request."""

    latency: float = 0.0
    outcome: FaultRule | None = None
    hold: HeldRequests | None = None
    """Wait on it (``await hold.enter()``) before anything else happens to the request."""


class Faults:
    """The live set of fault rules of a sandbox (mutable while it runs)."""

    def __init__(self, seed: int = 0, rules: tuple[FaultRule, ...] = ()) -> None:
        self._random = random.Random(seed)
        self._slots: list[_Slot] = []
        self.fired: Counter[str] = Counter()
        """How many times each fault kind fired."""
        for rule in rules:
            self.add(rule)

    @property
    def rules(self) -> list[FaultRule]:
        """The installed rules still active, in the order they are consulted."""
        return [slot.rule for slot in self._slots]

    def add(self, rule: FaultRule | str) -> FaultRule:
        """Install a rule (or a CLI spec string) and return it."""
        parsed = FaultRule.parse(rule) if isinstance(rule, str) else rule
        if parsed.kind == "hold":
            raise ValueError("hold rules are added by Faults.hold(), which returns their handle")
        self._slots.append(_Slot(parsed, parsed.count))
        return parsed

    def hold(
        self, method: str = "*", path: str = "*", *, count: int | None = None, client: str = "*"
    ) -> HeldRequests:
        """Hold the matching requests (the next ``count`` only, if set) until released.

        Returns the :class:`HeldRequests` that releases them; :meth:`HeldRequests.end` (or leaving
        its ``with`` block) lets every held request go and uninstalls the rule.
        """
        rule = FaultRule(kind="hold", method=method, path=path, count=count, client=client)
        held = HeldRequests(on_end=lambda: self.remove(rule))
        self._slots.append(_Slot(rule, rule.count, held))
        return held

    def remove(self, rule: FaultRule) -> None:
        """Uninstall a rule (a hold lets its held requests go)."""
        self._uninstall([slot for slot in self._slots if slot.rule is rule])

    def clear(self) -> None:
        """Uninstall every rule (holds let their held requests go)."""
        self._uninstall(list(self._slots))

    def _uninstall(self, slots: list[_Slot]) -> None:
        gone = {id(slot) for slot in slots}
        self._slots = [slot for slot in self._slots if id(slot) not in gone]
        for slot in slots:
            if slot.held is not None:
                slot.held.end()

    def fail_next(
        self, n: int, method: str, path: str, status: int = 503, *, client: str = "*"
    ) -> FaultRule:
        """The next ``n`` matching requests (of ``client``) answer ``status`` (not applied)."""
        rule = FaultRule(kind="error", method=method, path=path, status=status, count=n)
        return self.add(replace(rule, client=client))

    def rate_limit_next(
        self, n: int, method: str, path: str, retry_after: float = 0.0
    ) -> FaultRule:
        """The next ``n`` matching requests answer 429 with ``Retry-After``."""
        rule = FaultRule(
            kind="rate_limit", method=method, path=path, retry_after=retry_after, count=n
        )
        return self.add(rule)

    def drop_next(self, n: int, method: str, path: str, *, commit: bool = False) -> FaultRule:
        """Drop the next ``n`` matching requests' connections (``commit``: apply them first)."""
        kind: FaultKind = "commit_drop" if commit else "drop"
        return self.add(FaultRule(kind=kind, method=method, path=path, count=n))

    def slow_next(self, n: int, method: str, path: str, delay: float = 30.0) -> FaultRule:
        """Apply the next ``n`` matching requests but answer only after ``delay`` seconds."""
        return self.add(FaultRule(kind="slow", method=method, path=path, delay=delay, count=n))

    def decide(self, method: str, path: str, client: str | None = None) -> Decision:
        """Draw the faults for one request of ``client`` (consumes counts and random draws)."""
        latency = 0.0
        outcome: FaultRule | None = None
        hold: HeldRequests | None = None
        for slot in list(self._slots):
            rule = slot.rule
            if (rule.kind not in _ADDITIVE and outcome is not None) or not rule.matches(
                method, path, client
            ):
                continue
            if rule.rate < 1.0 and self._random.random() >= rule.rate:
                continue
            if rule.kind == "latency":
                jitter = self._random.uniform(0, rule.jitter) if rule.jitter else 0.0
                latency += rule.latency + jitter
            elif rule.kind == "hold":
                hold = hold or slot.held
            else:
                outcome = rule
            self.fired[rule.kind] += 1
            if slot.remaining is not None:
                slot.remaining -= 1
                if slot.remaining <= 0:
                    self._slots.remove(slot)
        return Decision(latency, outcome, hold)
