"""PostgreSQL stores: state shared by many processes and hosts (optional extra ``postgres``).

The library creates and migrates its own tables (:func:`migrate`, versioned per component, in
``confirma_schema``). Nothing here is imported unless a PostgreSQL store is used. Bulk jobs across
workers: :class:`JobStore` and :class:`BulkJob` (component ``jobs``).
"""

from __future__ import annotations

from ._connect import open_pool
from ._leases import PostgresCoordination
from ._schema import Migration, migrate, schema_versions
from ._tokens import PostgresTokenStore
from .jobs import BulkJob, JobItemResult, JobStatus, JobStore

__all__ = [
    "BulkJob",
    "JobItemResult",
    "JobStatus",
    "JobStore",
    "Migration",
    "PostgresCoordination",
    "PostgresTokenStore",
    "migrate",
    "open_pool",
    "schema_versions",
]
