"""``check_assumptions``: call every read endpoint once, compare each answer with our models.

Read-only by construction: only GETs that change nothing are sent (never a POST, never ``/renew``,
never ``unfetchedOnly``), one attempt each with the client's token and no automatic renewal.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from .._core import wire as _wire
from .._core.checks import check_date, positive_int
from ..errors import AuthenticationError, RequestValidationError
from ..models import (
    AccountingInvoiceStatusList,
    AccountingPaymentStatusList,
    CaseDetails,
    DistributionPage,
    DistributionRecord,
    LedgerStatusList,
    Payment,
    SettlementsPage,
    TokenValidation,
)
from ._findings import ROWS, Answer, Findings
from ._report import AssumptionCheck, AssumptionVerdict, DoctorReport
from ._shapes import FieldKey

if TYPE_CHECKING:
    from ..client import ConfirmaClient


async def check_assumptions(
    client: ConfirmaClient,
    *,
    start: date | None = None,
    end: date | None = None,
    invoice_number: int | None = None,
    case_id: int | None = None,
) -> DoctorReport:
    """Check our guesses about the API against the environment ``client`` talks to (read-only).

    Validates the token, then calls each read endpoint once on ``[start, end]`` (default: the
    last 7 days, UTC): distributions, payments, settlements, ledger, accounting payment and
    invoice status, and a case (by ``case_id`` or ``invoice_number``, else the first record with
    a case id). Every answer is compared with the models: each guessed field is confirmed,
    contradicted (with the keys actually seen and the wire alias that would read it) or not
    exercised; see :class:`DoctorReport`. It never POSTs, never renews the token and never reads
    settlements ``unfetchedOnly`` (which would mark them fetched). The client's own wire aliases
    are honoured (such rows say ``aliased``).
    """
    end = check_date("end", end) if end is not None else datetime.now(UTC).date()
    start = check_date("start", start) if start is not None else end - timedelta(days=6)
    if end < start:
        raise RequestValidationError("end", end, f"must not be before start={start}")
    if invoice_number is not None:
        positive_int("invoice_number", invoice_number)
    if case_id is not None:
        positive_int("case_id", case_id)
    doctor = Findings(client, start, end)
    try:
        validation = await doctor.get(_wire.PATH_VALIDATE)
    except AuthenticationError:
        return _invalid(client, start, end, "the API answered 401 to GET /validate")
    doctor.inspect(_wire.PATH_VALIDATE, validation, TokenValidation)
    valid = validation.data.get("isValid") if isinstance(validation.data, Mapping) else None
    if valid is True:
        doctor.note("A19", AssumptionVerdict.CONFIRMED, "200 with isValid: true")
    elif valid is None:
        doctor.note(
            "A19", AssumptionVerdict.CONTRADICTED, f"GET /validate answered {validation.status}"
        )
    else:
        return _invalid(client, start, end, "GET /validate says the token is not valid")
    try:
        await _listings(doctor)
        await _case(doctor, invoice_number, case_id)
    except AuthenticationError:
        return _invalid(client, start, end, "the API answered 401 during the checks")
    return doctor.report(client.base_url)


async def _listings(doctor: Findings) -> None:
    w = _wire
    page = await doctor.get(
        w.PATH_INVOICE_DISTRIBUTION, doctor.window(w.Q_FROM_INV_DATE, w.Q_TO_INV_DATE)
    )
    doctor.inspect(w.PATH_INVOICE_DISTRIBUTION, page, DistributionPage)
    _query_echo(doctor, page.data)
    payments = await doctor.get(w.PATH_PAYMENTS, doctor.window(w.Q_FROM_DATE, w.Q_TO_DATE))
    doctor.inspect(w.PATH_PAYMENTS, payments, Payment, each=True)
    settlements = await doctor.get(w.PATH_SETTLEMENTS, doctor.window(w.Q_FROM_DATE, w.Q_TO_DATE))
    doctor.inspect(w.PATH_SETTLEMENTS, settlements, SettlementsPage)
    for path, cls, row in (
        (w.PATH_ACCOUNTING_LEDGER, LedgerStatusList, "A15"),
        (w.PATH_ACCOUNTING_PAYMENT, AccountingPaymentStatusList, "A16"),
        (w.PATH_ACCOUNTING_INVOICE, AccountingInvoiceStatusList, "A17"),
    ):
        answer = await doctor.get(path, doctor.window(w.Q_FROM_DATE, w.Q_TO_DATE))
        _status_answer(doctor, path, answer, row)
        doctor.inspect(path, answer, cls)


def _query_echo(doctor: Findings, data: Any) -> None:
    """A11: the server echoes the window it applied in ``metaData.filtersApplied``."""
    meta = data.get("metaData") if isinstance(data, Mapping) else None
    filters = meta.get("filtersApplied") if isinstance(meta, Mapping) else None
    if not isinstance(filters, Mapping):
        return
    asked = (doctor.start.isoformat(), doctor.end.isoformat())
    echoed = (filters.get(_wire.Q_FROM_INV_DATE), filters.get(_wire.Q_TO_INV_DATE))
    if echoed == asked:
        doctor.note(
            "A11", AssumptionVerdict.CONFIRMED, "fromInvDate/toInvDate applied (echoed back)"
        )
    else:
        doctor.note(
            "A11",
            AssumptionVerdict.CONTRADICTED,
            f"asked fromInvDate/toInvDate={asked}, filtersApplied echoes {echoed}: the server "
            "may not know these query names",
        )


def _status_answer(doctor: Findings, path: str, answer: Answer, row: str) -> None:
    if answer.status == 404 and row == "A17":
        doctor.note(
            row, AssumptionVerdict.CONTRADICTED, f"GET {path} answered 404: no such endpoint"
        )
    elif answer.status == 204:
        doctor.note(
            row, AssumptionVerdict.CONFIRMED, f"GET {path} answered 204 (nothing in the window)"
        )
    elif answer.status == 200 and isinstance(answer.data, Mapping):
        lists = [v for v in answer.data.values() if isinstance(v, list)]
        if lists and not any(lists):
            doctor.note(
                row,
                AssumptionVerdict.CONTRADICTED,
                f"GET {path} answered 200 with an empty list where we assumed 204 (the client "
                "reads both)",
            )
    elif answer.error is not None:
        doctor.note(row, AssumptionVerdict.NOT_EXERCISED, f"GET {path} failed: {answer.error}")


async def _case(doctor: Findings, invoice_number: int | None, case_id: int | None) -> None:
    if case_id is None and invoice_number is None:
        case_id = _first_case_id(doctor)
    if case_id is None and invoice_number is None:
        doctor.note("A10", AssumptionVerdict.NOT_EXERCISED, "no case in the window: give --case-id")
        return
    params = (
        {_wire.Q_CASE_ID: str(case_id)}
        if case_id is not None
        else {_wire.Q_INVOICE_NUMBER: str(invoice_number)}
    )
    answer = await doctor.get(_wire.PATH_INVOICE_CASE, params)
    if answer.error is not None:
        doctor.note(
            "A10", AssumptionVerdict.NOT_EXERCISED, f"GET /invoice/case failed: {answer.error}"
        )
    doctor.inspect(_wire.PATH_INVOICE_CASE, answer, CaseDetails)


def _first_case_id(doctor: Findings) -> int | None:
    """A case id from the surveyed distribution records (own name, alias or suggestion)."""
    survey = doctor.survey
    survey.finish()
    key: FieldKey = (DistributionRecord, "case_id")
    values = list(survey.values.get(key, ()))
    if key in survey.suggested:
        values += survey.unknown[DistributionRecord].get(survey.suggested[key], [])
    for value in values:
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return None


def _invalid(client: ConfirmaClient, start: date, end: date, why: str) -> DoctorReport:
    row = AssumptionCheck(
        id="A19", title=ROWS["A19"], verdict=AssumptionVerdict.NOT_EXERCISED, details=(why,)
    )
    return DoctorReport(
        base_url=client.base_url, start=start, end=end, token_valid=False, checks=(row,)
    )
