"""Acting for many creditors: :class:`ConfirmaPartner`, its clients and its fair scheduler."""

from __future__ import annotations

from ._client import PartnerClient
from ._fleet import FleetWatcher
from ._partner import ConfirmaPartner, TokenNotStoredError
from ._scheduler import FairScheduler, Lane, LaneMetrics

__all__ = [
    "ConfirmaPartner",
    "FairScheduler",
    "FleetWatcher",
    "Lane",
    "LaneMetrics",
    "PartnerClient",
    "TokenNotStoredError",
]
