"""What doctor saw: the read-only probes, the answers surveyed, and the rows they add up to."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

import attrs

from .._core import wire as _wire
from .._core.responses import decode_body
from ..errors import APIStatusError, AuthenticationError, ConfirmaError
from ..models._convert import from_wire
from ..models._fields import guess_of, wire_name
from ._report import AssumptionCheck, AssumptionVerdict, DoctorReport
from ._shapes import ShapeSurvey

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
class Answer:
    status: int
    data: Any = None
    headers: list[str] = attrs.field(factory=list)
    error: ConfirmaError | None = None


class Findings:
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

    async def get(self, path: str, params: Mapping[str, str] | None = None) -> Answer:
        token = self.client.tokens.auth_header()[1]
        try:
            raw = await self.client.transport.send_once("GET", path, token, params=params, raw=True)
        except APIStatusError as exc:
            if isinstance(exc, AuthenticationError):
                raise
            self._request_id(exc.request_id is not None, [])
            self._error_body(path, exc)
            return Answer(exc.status, error=exc)
        except ConfirmaError as exc:
            return Answer(0, error=exc)
        names = sorted(str(h) for h in raw.headers)
        self._request_id(any(h in raw.headers for h in _wire.REQUEST_ID_HEADERS), names)
        data = decode_body(raw.body) if raw.problem is None else None
        return Answer(raw.status, data, names)

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

    def inspect(self, path: str, answer: Answer, cls: Any, *, each: bool = False) -> None:
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
