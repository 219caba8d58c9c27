"""The type by which the fast decoders' values are compared with the general path's."""

from __future__ import annotations

from confirma_async._core.empty import EMPTY_EXTRA


def value_type(value: object) -> type:
    """``type(value)``, except the shared read-only empty ``extra``: it stands for a ``{}``."""
    return dict if value is EMPTY_EXTRA else type(value)
