"""What ``confirma doctor`` found: one :class:`AssumptionCheck` per assumption id."""

from __future__ import annotations

import enum
from datetime import date
from typing import Any

import attrs


class AssumptionVerdict(enum.Enum):
    """How an assumption fared against the real answers."""

    CONFIRMED = "confirmed"
    """The answers show it as we guessed."""
    ALIASED = "aliased"
    """The guess was wrong, and one of the client's wire aliases reads the real name."""
    CONTRADICTED = "contradicted"
    """The answers show otherwise (see ``details`` and ``suggestions``)."""
    NOT_EXERCISED = "not exercised"
    """Nothing in the answers could tell (no data in the window, or a POST doctor never sends)."""


@attrs.frozen(kw_only=True)
class AssumptionCheck:
    """One row of the report: an assumption id of ``docs/api-assumptions.md`` and its verdict.

    ``details`` says what was seen, field by field (wire names and JSON types, never values);
    ``suggestions`` are wire-alias specs (``Model.field=name``) that would read what the server
    sends under another name: pass them as ``ConfirmaClient(wire_aliases=...)`` or
    ``confirma --wire-alias``.
    """

    id: str
    title: str
    verdict: AssumptionVerdict
    details: tuple[str, ...] = ()
    suggestions: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The row as JSON data."""
        return {
            "id": self.id,
            "title": self.title,
            "verdict": self.verdict.value,
            "details": list(self.details),
            "suggestions": list(self.suggestions),
        }


@attrs.frozen(kw_only=True)
class DoctorReport:
    """The result of :func:`~confirma_async.check_assumptions`: read-only checks of our guesses.

    ``ok`` is true when nothing is contradicted (``confirma doctor`` then exits 0).
    """

    base_url: str
    start: date
    end: date
    token_valid: bool
    checks: tuple[AssumptionCheck, ...]

    @property
    def ok(self) -> bool:
        """True when the token is valid and no check is ``CONTRADICTED``."""
        return self.token_valid and all(
            c.verdict is not AssumptionVerdict.CONTRADICTED for c in self.checks
        )

    @property
    def suggested_aliases(self) -> list[str]:
        """Every suggested wire alias, in row order (ready for ``wire_aliases=``)."""
        return [s for check in self.checks for s in check.suggestions]

    def check(self, assumption: str) -> AssumptionCheck:
        """The row of one assumption id (``KeyError`` if the report has none)."""
        for row in self.checks:
            if row.id == assumption:
                return row
        raise KeyError(assumption)

    def to_json(self) -> dict[str, Any]:
        """The report as JSON data (for ``confirma doctor --json`` and bug reports)."""
        return {
            "base_url": self.base_url,
            "window": [self.start.isoformat(), self.end.isoformat()],
            "token_valid": self.token_valid,
            "ok": self.ok,
            "checks": [c.to_json() for c in self.checks],
            "suggested_aliases": self.suggested_aliases,
        }
