"""Enumerations that accept values they do not list.

The CFIS docs show one or two values for most enumerated fields and say nothing of the rest, so a
closed enum would make the client reject the first new value the server sends. An *open* enum lists
the values we know; any other value becomes a pseudo-member that compares equal to the raw value and
is written back unchanged (``ServiceType("NEW") == "NEW"``). Sets that are truly closed use plain
:class:`enum.Enum`.
"""

from __future__ import annotations

import enum
from typing import Any, Self

# Pseudo-members are cached so repeated unknown values share one object; the cap keeps a server that
# sends ever-new values from growing the cache without bound.
_PSEUDO_CACHE_LIMIT = 256


def _pseudo_member(cls: Any, base: type[Any], value: Any) -> Any:
    cached = cls._value2member_map_.get(value)
    if cached is not None:
        return cached
    member: Any = base.__new__(cls, value)
    member._name_ = str(value)
    member._value_ = value
    if len(cls._value2member_map_) < _PSEUDO_CACHE_LIMIT:
        cls._value2member_map_[value] = member
    return member


class OpenStrEnum(enum.StrEnum):
    """A string enum that turns unlisted values into pseudo-members instead of raising."""

    @classmethod
    def _missing_(cls, value: object) -> Self | None:
        if not isinstance(value, str):
            return None
        result: Self = _pseudo_member(cls, str, value)
        return result

    @property
    def is_known(self) -> bool:
        """Whether this value is one the library lists (not a pseudo-member)."""
        return type(self).__members__.get(self._name_) is self


class OpenIntEnum(enum.IntEnum):
    """An integer enum that turns unlisted values into pseudo-members instead of raising."""

    @classmethod
    def _missing_(cls, value: object) -> Self | None:
        if not isinstance(value, int) or isinstance(value, bool):
            return None
        result: Self = _pseudo_member(cls, int, value)
        return result

    @property
    def is_known(self) -> bool:
        """Whether this value is one the library lists (not a pseudo-member)."""
        return type(self).__members__.get(self._name_) is self
