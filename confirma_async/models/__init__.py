"""Typed models of the CFIS API: attrs classes, open enums and the converter.

Encode a request with :func:`to_wire`, decode a response with :func:`from_wire`.

**Strict where the docs are, lenient where we guessed.** The public CFIS docs show only part of each
answer (``docs/api-assumptions.md`` tags every wire name DOC, EXAMPLE, INFERRED or OURS), and the
decoders treat the two kinds differently:

* A response field the docs name (DOC or EXAMPLE) keeps its documented type: a value of another
  JSON type is a :class:`~confirma_async.ResponseDecodeError` naming its wire path
  (``settlements[0].settlementAmount``); the few the examples always show are required.
* A response field we guessed (its name, its presence or its shape; INFERRED or OURS) is marked in
  its model with the assumption id it rests on (``guessed("A11")``) and is optional: absent, it is
  ``None`` (or an empty list); present with a value of another type, it is ``None`` and the raw
  value is kept in ``extra`` under its wire name. Decoding never fails because of a guess.
* Whatever arrives under a name the model does not know is kept in ``extra``, so nothing the server
  sends is lost; :class:`WireAliases` tells a client that a field arrives under another name.
* A 2xx answer to a POST is a success whatever its body: the result models of the POSTs keep the
  answer in ``raw_body`` and may have every field ``None``.
* A listing whose record key we guessed wrong does not lose records silently: a distribution
  window whose ``metaData.totalCount`` exceeds the records the client could read is treated as cut
  and ends in ``WindowTruncatedError`` rather than looking empty.

Request models are strict the other way: they validate the documented rules when built. Open enums
accept values they do not list.

**Strict input.** What a user sends is decoded strictly: ``from_wire`` into a request model or a
part of one (and the bulk submitter's wire-format dicts) accepts only the documented JSON types,
integers as JSON integers, amounts as JSON numbers (``int`` or ``Decimal``, never ``float`` or a
string), dates as ``YYYY-MM-DD``, datetimes as ISO 8601 with an offset or ``Z``, strings as strings,
and every error is a :class:`~confirma_async.RequestValidationError` naming the wire path. Request
strings hold no control characters (tab, CR and LF only in free-text fields) and no bidirectional
overrides, and amounts fit what two decimals can write exactly. Responses keep their documented
leniency, but digits are always ASCII and a date is always exactly ``YYYY-MM-DD``.
"""

from __future__ import annotations

from ._aliases import WireAliases
from ._convert import converter, from_wire, to_wire
from ._fields import wire_names
from ._open_enum import OpenIntEnum, OpenStrEnum
from ._validate import validate_request
from .accounting import (
    AccountingInvoiceStatus,
    AccountingInvoiceStatusList,
    AccountingPayment,
    AccountingPaymentsAccepted,
    AccountingPaymentsSubmission,
    AccountingPaymentStatus,
    AccountingPaymentStatusList,
    CalculationMode,
    DimensionType,
    LedgerDimension,
    LedgerDocument,
    LedgerRow,
    LedgerStatus,
    LedgerStatusList,
    LedgerSubmission,
    SubmissionStatus,
    SyncStatus,
    TargetIdentifier,
)
from .actions import (
    ActionCode,
    ActionData,
    ActionsQueued,
    ActionsRequest,
    InvoiceAction,
    QueuedAction,
)
from .cases import (
    Case,
    CaseBalance,
    CaseDetails,
    CaseEvent,
    CasePayment,
    CaseStatus,
    CaseSummary,
)
from .distribution import (
    DistributionFilters,
    DistributionMeta,
    DistributionPage,
    DistributionRecord,
    DistributionStatus,
    PaymentControlStatus,
)
from .invoices import (
    BuyerParty,
    Distribution,
    DistributionMethod,
    Invoice,
    InvoiceAmounts,
    InvoiceCreated,
    InvoiceHeader,
    InvoiceRequest,
    InvoiceType,
    Processing,
)
from .onboarding import (
    ClientDetails,
    Contact,
    ContactRole,
    NewClient,
    NewClientRequest,
    RenewedToken,
    ServiceConfig,
    ServiceType,
    TokenValidation,
)
from .payments import (
    Allocation,
    Beneficiary,
    BreakdownItem,
    BreakdownType,
    Payment,
    Settlement,
    SettlementsPage,
)

__all__ = [
    "AccountingInvoiceStatus",
    "AccountingInvoiceStatusList",
    "AccountingPayment",
    "AccountingPaymentStatus",
    "AccountingPaymentStatusList",
    "AccountingPaymentsAccepted",
    "AccountingPaymentsSubmission",
    "ActionCode",
    "ActionData",
    "ActionsQueued",
    "ActionsRequest",
    "Allocation",
    "Beneficiary",
    "BreakdownItem",
    "BreakdownType",
    "BuyerParty",
    "CalculationMode",
    "Case",
    "CaseBalance",
    "CaseDetails",
    "CaseEvent",
    "CasePayment",
    "CaseStatus",
    "CaseSummary",
    "ClientDetails",
    "Contact",
    "ContactRole",
    "DimensionType",
    "Distribution",
    "DistributionFilters",
    "DistributionMeta",
    "DistributionMethod",
    "DistributionPage",
    "DistributionRecord",
    "DistributionStatus",
    "Invoice",
    "InvoiceAction",
    "InvoiceAmounts",
    "InvoiceCreated",
    "InvoiceHeader",
    "InvoiceRequest",
    "InvoiceType",
    "LedgerDimension",
    "LedgerDocument",
    "LedgerRow",
    "LedgerStatus",
    "LedgerStatusList",
    "LedgerSubmission",
    "NewClient",
    "NewClientRequest",
    "OpenIntEnum",
    "OpenStrEnum",
    "Payment",
    "PaymentControlStatus",
    "Processing",
    "QueuedAction",
    "RenewedToken",
    "ServiceConfig",
    "ServiceType",
    "Settlement",
    "SettlementsPage",
    "SubmissionStatus",
    "SyncStatus",
    "TargetIdentifier",
    "TokenValidation",
    "WireAliases",
    "converter",
    "from_wire",
    "to_wire",
    "validate_request",
    "wire_names",
]
