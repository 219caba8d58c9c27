"""Pager checkpoints: JSON a caller persists to resume a listing after the last record it handled.

A checkpoint names its listing (``source``), the next window to fetch, and the keys of the records
already handed out from a window the caller was in the middle of (``skip``, up to ``skip_through``).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from datetime import date
from typing import Any

import attrs

from ..errors import RequestValidationError

CHECKPOINT_VERSION = 1


def freeze_key(value: Any) -> Hashable:
    """Turn a key read back from JSON (lists for tuples) into a hashable key."""
    if isinstance(value, list):
        return tuple(freeze_key(v) for v in value)
    key: Hashable = value
    return key


def thaw_key(key: Hashable) -> Any:
    """Turn a key into JSON data (tuples become lists)."""
    if isinstance(key, tuple):
        return [thaw_key(k) for k in key]
    return key


@attrs.frozen(kw_only=True, slots=True)
class Resume:
    """A decoded checkpoint: continue at ``next``; drop ``skip`` keys up to ``skip_through``."""

    next: date
    skip: frozenset[Hashable] = frozenset()
    skip_through: date | None = None


def encode_checkpoint(
    *,
    source: str,
    end: date,
    next_date: date,
    skip: Iterable[Hashable],
    skip_through: date | None,
) -> dict[str, Any]:
    """Build the JSON-serialisable checkpoint dict of a pager."""
    keys = [thaw_key(k) for k in skip]
    return {
        "version": CHECKPOINT_VERSION,
        "source": source,
        "next": next_date.isoformat(),
        "end": end.isoformat(),
        "skip": keys,
        "skip_through": skip_through.isoformat() if keys and skip_through else None,
    }


def decode_checkpoint(data: object, *, source: str) -> Resume:
    """Read a checkpoint written by :func:`encode_checkpoint` for the same listing."""
    field = "resume_from"
    if not isinstance(data, Mapping):
        raise RequestValidationError(field, data, "must be a pager checkpoint dict")
    if data.get("version") != CHECKPOINT_VERSION:
        raise RequestValidationError(field, data.get("version"), "unsupported checkpoint version")
    if data.get("source") != source:
        raise RequestValidationError(
            f"{field}.source", data.get("source"), f"is a checkpoint of another listing ({source})"
        )
    try:
        next_date = date.fromisoformat(data["next"])
        through = data.get("skip_through")
        skip_through = None if through is None else date.fromisoformat(through)
        skip = frozenset(freeze_key(k) for k in data.get("skip") or ())
    except (KeyError, TypeError, ValueError) as exc:
        raise RequestValidationError(field, data, f"malformed checkpoint ({exc})") from None
    return Resume(next=next_date, skip=skip, skip_through=skip_through)
