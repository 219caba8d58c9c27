"""Access-token lifecycle: :class:`TokenManager` and the :class:`TokenStore` behind it."""

from __future__ import annotations

from ._file_store import FileTokenStore
from ._manager import TokenManager, TokenRenewedCallback, TokenRequester
from ._store import (
    MemoryTokenStore,
    RenewalGuard,
    StoredToken,
    TokenKey,
    TokenListener,
    TokenStore,
    TokenStoreError,
    TokenSubscription,
)

__all__ = [
    "FileTokenStore",
    "MemoryTokenStore",
    "RenewalGuard",
    "StoredToken",
    "TokenKey",
    "TokenListener",
    "TokenManager",
    "TokenRenewedCallback",
    "TokenRequester",
    "TokenStore",
    "TokenStoreError",
    "TokenSubscription",
]
