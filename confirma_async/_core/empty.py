"""One shared, read-only, empty ``extra`` for the records decoded in bulk.

The fast decoders give every record without unknown keys the same empty mapping rather than a
new dict each (a million records stream through them, and each dict counts towards the garbage
collector's young-generation threshold). Shared, it must not be changeable: a caller writing into
one record's ``extra`` (through a cast, since the field is typed ``Mapping``) would otherwise
change every other record's. :data:`EMPTY_EXTRA` is a ``dict`` (so it is written, compared and
copied like the ``{}`` the general path gives) that refuses every change.
"""

from __future__ import annotations

from typing import Any, NoReturn

__all__ = ["EMPTY_EXTRA"]


class _ReadOnlyEmpty(dict[str, Any]):
    """An empty dict that refuses to change (a copy of it is a plain, changeable dict)."""

    __slots__ = ()

    def _refuse(self, *args: object, **kwargs: object) -> NoReturn:
        raise TypeError(
            "this record's extra is read-only (one empty mapping shared by the records decoded "
            "without unknown keys): copy it with dict(record.extra) to change it"
        )

    __setitem__ = __delitem__ = _refuse
    clear = pop = popitem = setdefault = update = _refuse
    __ior__ = _refuse

    def __reduce__(self) -> tuple[type[dict[str, Any]], tuple[()]]:
        return dict, ()  # pickled and deep-copied as a plain empty dict

    def __copy__(self) -> dict[str, Any]:
        return {}

    def __deepcopy__(self, memo: object) -> dict[str, Any]:
        return {}

    def copy(self) -> dict[str, Any]:
        return {}


EMPTY_EXTRA: dict[str, Any] = _ReadOnlyEmpty()
