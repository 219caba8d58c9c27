"""``check_assumptions``: call every read endpoint once, compare each answer with our models.

Read-only by construction: only GETs that change nothing are sent (never a POST, never ``/renew``,
never ``unfetchedOnly``), one attempt each with the client's token and no automatic renewal.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import attrs

from .._core import wire as _wire
from .._core.checks import check_date, positive_int
from .._core.responses import decode_body
from ..errors import APIStatusError, AuthenticationError, ConfirmaError, RequestValidationError
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
from ..models._convert import from_wire
from ..models._fields import guess_of, wire_name
from ._report import AssumptionCheck, AssumptionVerdict, DoctorReport
from ._shapes import FieldKey, ShapeSurvey

if TYPE_CHECKING:
    from ..client import ConfirmaClient

ROWS: dict[str, str] = {
    "DOC": "Documented response fields arrive with their documented JSON types",
    "A3": "Error bodies carry message, code and field errors under the keys the client reads",
    "A4": "Answers carry a request id (X-Request-Id, X-Correlation-Id or Request-Id)",
    "A7": "Create-invoice answer (POST: doctor never sends one)",
    "A9": "Create-actions answer (POST: doctor never sends one)",
    "A10": "Case details: costsAmount, totalAmount, payments and events",
    "A11": "Distribution listing: query names, record list key and record fields",
    "A12": "Payments: amount and currency",
    "A13": "Settlements: the type of apiFetchDate",
    "A14": "Ledger-submit answer (POST: doctor never sends one)",
    "A15": "Ledger status answers 204 when nothing matches",
    "A16": "Accounting payments: 204 when nothing matches (the POST answer is never sent)",
    "A17": "Accounting invoice status: the undocumented endpoint and its fields",
    "A19": "Validate answers 200 {isValid, message}",
    "A20": "Renew answer (doctor never renews: it would rotate the token)",
    "A21": "Create-client answer (POST: doctor never sends one)",
}
_NEVER_SENT = ("A7", "A9", "A14", "A20", "A21")
_RANK = {
    AssumptionVerdict.CONTRADICTED: 3,
    AssumptionVerdict.ALIASED: 2,
    AssumptionVerdict.CONFIRMED: 1,
}


@attrs.define
class _Answer:
    status: int
    data: Any = None
    headers: list[str] = attrs.field(factory=list)
    error: ConfirmaError | None = None


class _Doctor:
    def __init__(self, client: ConfirmaClient, start: date, end: date) -> None:
        self.client = client
        self.start, self.end = start, end
        self.survey = ShapeSurvey(client.wire_aliases)
        self.notes: dict[str, list[tuple[AssumptionVerdict, str]]] = defaultdict(list)
        self.seen: dict[str, list[str]] = defaultdict(list)
        self.answers = 0
        self.with_request_id = 0
        self.header_names: set[str] = set()

    def note(self, row: str, verdict: AssumptionVerdict, detail: str) -> None:
        self.notes[row].append((verdict, detail))

    async def get(self, path: str, params: Mapping[str, str] | None = None) -> _Answer:
        token = self.client.tokens.auth_header()[1]
        try:
            raw = await self.client.transport.send_once("GET", path, token, params=params, raw=True)
        except APIStatusError as exc:
            if isinstance(exc, AuthenticationError):
                raise
            self._request_id(exc.request_id is not None, [])
            self._error_body(path, exc)
            return _Answer(exc.status, error=exc)
        except ConfirmaError as exc:
            return _Answer(0, error=exc)
        names = sorted(str(h) for h in raw.headers)
        self._request_id(any(h in raw.headers for h in _wire.REQUEST_ID_HEADERS), names)
        data = decode_body(raw.body) if raw.problem is None else None
        return _Answer(raw.status, data, names)

    def _request_id(self, present: bool, names: list[str]) -> None:
        self.answers += 1
        self.with_request_id += present
        self.header_names.update(names)

    def _error_body(self, path: str, exc: APIStatusError) -> None:
        body = exc.body
        if isinstance(body, Mapping) and any(k in body for k in _wire.ERROR_MESSAGE_KEYS):
            self.note(
                "A3", AssumptionVerdict.CONFIRMED, f"GET {path} answered {exc.status}: message read"
            )
        else:
            keys = ", ".join(map(str, body)) if isinstance(body, Mapping) else type(body).__name__
            self.note(
                "A3",
                AssumptionVerdict.CONTRADICTED,
                f"GET {path} answered {exc.status} with an error body the client cannot read "
                f"a message from ({keys})",
            )

    def inspect(self, path: str, answer: _Answer, cls: Any, *, each: bool = False) -> None:
        """Survey an answer's shape and decode it as the client would (documented types)."""
        data = answer.data
        if data is None:
            return
        self.survey.survey(data, cls)
        try:
            from_wire(data, list[cls] if each else cls, self.client.wire_aliases)
        except ConfirmaError as exc:
            self.note("DOC", AssumptionVerdict.CONTRADICTED, f"GET {path}: {exc}")

    def window(self, from_key: str, to_key: str) -> dict[str, str]:
        return {from_key: self.start.isoformat(), to_key: self.end.isoformat()}

    def report(self, base_url: str) -> DoctorReport:
        self.survey.finish()
        for (cls, name), tally in sorted(
            self.survey.fields.items(), key=lambda kv: (kv[0][0].__name__, kv[0][1])
        ):
            self._field_row(cls, name, tally)
        for cls, keys in self.survey.unknown.items():
            if keys:
                guesses = [g for f in attrs.fields(cls) if (g := guess_of(f)) is not None]
                self.note(
                    guesses[0] if guesses else "DOC",
                    AssumptionVerdict.NOT_EXERCISED,
                    f"{cls.__name__} carries keys the client does not know (kept in extra): "
                    + ", ".join(sorted(keys)),
                )
        if self.answers:
            if self.with_request_id:
                self.note(
                    "A4",
                    AssumptionVerdict.CONFIRMED,
                    f"{self.with_request_id}/{self.answers} answers",
                )
            else:
                names = ", ".join(sorted(self.header_names)) or "none"
                self.note(
                    "A4", AssumptionVerdict.CONTRADICTED, f"no request id; headers seen: {names}"
                )
        for row in _NEVER_SENT:
            self.note(
                row, AssumptionVerdict.NOT_EXERCISED, "not checked: doctor never changes anything"
            )
        checks = [self._row(row, title) for row, title in ROWS.items()]
        return DoctorReport(
            base_url=base_url,
            start=self.start,
            end=self.end,
            token_valid=True,
            checks=tuple(checks),
        )

    def _field_row(self, cls: type[Any], name: str, tally: Any) -> None:
        field = attrs.fields_dict(cls)[name]
        row = guess_of(field) or "DOC"
        label = f"{cls.__name__}.{name} ({wire_name(field)})"
        if tally.objects == 0:
            return
        own = tally.ok - tally.aliased
        if tally.bad:
            types = ", ".join(sorted(tally.bad_types))
            self.note(
                row, AssumptionVerdict.CONTRADICTED, f"{label}: JSON {types} in {tally.bad} answers"
            )
        elif own:
            self.seen[row].append(f"{cls.__name__}.{wire_name(field)}")
        elif tally.aliased:
            aliases = ",".join(self.client.wire_aliases.names(cls, name))
            self.note(row, AssumptionVerdict.ALIASED, f"{label}: read through your alias {aliases}")
        elif row == "DOC":
            return  # an optional documented field left out: nothing to say
        else:
            seen = f"absent from all {tally.objects} {cls.__name__} objects"
            suggestion = self.survey.suggested.get((cls, name))
            if suggestion is None:
                self.note(row, AssumptionVerdict.NOT_EXERCISED, f"{label}: {seen}")
            else:
                self.note(
                    row, AssumptionVerdict.CONTRADICTED, f"{label}: {seen}; it is {suggestion!r}?"
                )

    def _row(self, row: str, title: str) -> AssumptionCheck:
        notes = self.notes.get(row, [])
        seen = self.seen.get(row)
        if seen:
            text = (
                f"{len(seen)} documented fields seen, each of its documented type"
                if row == "DOC"
                else "seen as guessed: " + ", ".join(seen)
            )
            notes = [(AssumptionVerdict.CONFIRMED, text), *notes]
        verdict = max(
            (v for v, _ in notes),
            key=lambda v: _RANK.get(v, 0),
            default=AssumptionVerdict.NOT_EXERCISED,
        )
        suggestions = tuple(
            f"{cls.__name__}.{name}={alias}"
            for (cls, name), alias in self.survey.suggested.items()
            if (guess_of(attrs.fields_dict(cls)[name]) or "DOC") == row
            and self.survey.fields[(cls, name)].ok == 0
        )
        details = tuple(detail for _, detail in notes)
        return AssumptionCheck(
            id=row, title=title, verdict=verdict, details=details, suggestions=suggestions
        )


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
    doctor = _Doctor(client, start, end)
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


async def _listings(doctor: _Doctor) -> None:
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


def _query_echo(doctor: _Doctor, data: Any) -> None:
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


def _status_answer(doctor: _Doctor, path: str, answer: _Answer, row: str) -> None:
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


async def _case(doctor: _Doctor, invoice_number: int | None, case_id: int | None) -> None:
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


def _first_case_id(doctor: _Doctor) -> int | None:
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
