"""Wire names shared by the client and the sandbox: paths, query names, headers, error keys.

Client and sandbox both read these constants, so a fact confirmed against the live API is a one-line
change here. Each constant names the assumption it implements (see ``docs/api-assumptions.md``).
Response *field* names are not here: they are the models' field names (camelCase), each guessed one
marked with its assumption id, and users can alias them at run time (``WireAliases``).
"""

from __future__ import annotations

from typing import Final

API_PREFIX: Final = "/api/v1/partner"
STAGING_HOST: Final = "https://staging-integrations.confirmafinance.com"
PRODUCTION_HOST: Final = "https://integrations.confirmafinance.com"

# Documented.
API_KEY_HEADER: Final = "X-Api-Key"

# A4: headers that may carry a request id, in the order we look for them.
REQUEST_ID_HEADERS: Final = ("X-Request-Id", "X-Correlation-Id", "Request-Id")

# A3: error body keys. The first key found wins.
ERROR_MESSAGE_KEYS: Final = ("message", "Message", "detail", "error", "title")
ERROR_CODE_KEYS: Final = ("code", "errorCode", "Code")
ERROR_FIELDS_KEYS: Final = ("errors", "fieldErrors", "validationErrors")
ERROR_FIELD_NAME_KEYS: Final = ("field", "path", "name")
ERROR_FIELD_MESSAGE_KEYS: Final = ("message", "error", "detail")

# A3 / A7: error codes our sandbox sends (the client decides by status, never by code).
CODE_DUPLICATE_INVOICE: Final = "DUPLICATE_INVOICE"
CODE_VALIDATION: Final = "VALIDATION_ERROR"
CODE_WINDOW_TOO_LARGE: Final = "WINDOW_TOO_LARGE"
CODE_NOT_FOUND: Final = "NOT_FOUND"
CODE_UNAUTHORIZED: Final = "UNAUTHORIZED"
CODE_RATE_LIMITED: Final = "RATE_LIMITED"

# A20: where a renewed token may appear in the renew response (documented example: "Message").
RENEW_TOKEN_KEYS: Final = ("token", "accessToken", "Message", "message")
RENEW_EXPIRES_KEYS: Final = ("expiresAt", "ExpiresAt", "expires")

# A11: distribution listing.
DISTRIBUTION_RECORDS_KEY: Final = "distributions"
Q_FROM_INV_DATE: Final = "fromInvDate"
Q_TO_INV_DATE: Final = "toInvDate"
Q_INVOICE_NUMBER: Final = "invoiceNumber"
Q_FETCH_TYPE: Final = "fetchType"

# A10: case details query.
Q_CASE_ID: Final = "caseId"

# A12 / A13 / A15-A17: date windows of the other listings.
Q_FROM_DATE: Final = "fromDate"
Q_TO_DATE: Final = "toDate"
Q_UNFETCHED_ONLY: Final = "unfetchedOnly"
Q_SOURCE_IDENTIFIER: Final = "sourceIdentifier"

# A17: accounting invoice status listing (undocumented endpoint).
ACCOUNTING_INVOICES_KEY: Final = "invoices"

# Paths (documented unless marked).
PATH_CLIENT: Final = "/client"
PATH_VALIDATE: Final = "/validate"
PATH_RENEW: Final = "/renew"
PATH_INVOICE: Final = "/invoice"
PATH_INVOICE_ACTION: Final = "/invoice/action"
PATH_INVOICE_CASE: Final = "/invoice/case"
PATH_INVOICE_DISTRIBUTION: Final = "/invoice/distribution"
PATH_PAYMENTS: Final = "/payments"
PATH_SETTLEMENTS: Final = "/settlements"
PATH_ACCOUNTING_LEDGER: Final = "/accounting/ledger"
PATH_ACCOUNTING_PAYMENT: Final = "/accounting/payment"
PATH_ACCOUNTING_INVOICE: Final = "/accounting/invoice"  # A17: assumed, not documented
