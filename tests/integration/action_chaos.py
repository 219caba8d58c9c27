"""The schedule of the action chaos test and the checks it ends with (see test_chaos_actions.py).

A schedule is drawn from one ``random.Random(seed)`` (like ``tests/chaos.py``'s): a few invoices
stored before the faults start, then the actions against them: random codes (documented, assumed
and one outside the known set), each with a comment unique to it so the sandbox's records can be
told apart, a few aimed at invoices that do not exist (404), exact repeats (meant twice: their
keys get ``#2``), an invalid one, given as models or wire dicts; the fault rules of the action
endpoint, the client's retry settings and the interruptions of the runs.

The checks read the sandbox's own records (``Sandbox.record_requests(bodies=True)`` and
``state.actions()``) and the journal file, not the client's view.
"""

from __future__ import annotations

import itertools
import json
import random
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from confirma_async import BatchResult, CircuitOpenError, InvoiceAction
from confirma_async.batch.actions import default_action_key
from confirma_async.models import from_wire
from confirma_async.testing import FaultRule, ReceivedRequest, Sandbox, sample_invoice

from ..chaos import Settings, draw_settings, fault_rules

ENDPOINT = "POST /invoice/action"
CODES = ("COMMENT", "OBJECTION", "EXTEND_DUE_DATE", "WITHDRAW_CASE", "CHAOS_NOTE")
FIRST = 740_000_001
INVALID = "chaos: no target"


@dataclass(kw_only=True)
class ActionChaos(Settings):
    """One drawn schedule (see the module docstring); interruptions may also be ``hold``."""

    seed: int
    invoices: list[dict[str, Any]]
    items: list[Any]
    """The input: ``InvoiceAction`` models and wire dicts, repeats and one invalid item."""
    missing: set[str]
    """Comments of the actions aimed at an invoice that does not exist (404, never queued)."""
    faults: list[FaultRule]

    def describe(self) -> str:
        """One line for failure messages: how to rerun this schedule."""
        return f"action seed {self.seed} (rerun: CONFIRMA_CHAOS_SEEDS={self.seed})"

    def copies(self) -> Counter[str]:
        """How many valid input items carry each comment (identical actions share one)."""
        return Counter(c for c in map(comment_of, self.items) if c != INVALID)


def comment_of(item: Any) -> str:
    """The comment of an input item (a model or a wire dict)."""
    return str(item.comment if isinstance(item, InvoiceAction) else item["comment"])


def as_action(item: Any) -> InvoiceAction:
    """An input item as the model (a wire dict decoded)."""
    return item if isinstance(item, InvoiceAction) else from_wire(item, InvoiceAction)


def draw_actions(seed: int) -> ActionChaos:
    """Draw the schedule of ``seed``."""
    rng = random.Random(seed)
    numbers = [FIRST + 2 * i for i in range(rng.randint(3, 12))]
    invoices = [sample_invoice(n, payment_control=False) for n in numbers]
    items: list[Any] = []
    missing: set[str] = set()
    for i in range(rng.randint(20, 60)):
        code, comment = rng.choice(CODES), f"chaos {seed} action {i}"
        number = rng.choice(numbers)
        if rng.random() < 0.06:  # no such invoice: 404, never queued
            number = FIRST - 1 - 2 * i
            missing.add(comment)
        data: dict[str, Any] = {"invoiceNumber": number, "caseId": None}
        if code == "EXTEND_DUE_DATE":  # sometimes earlier than the due date: rejected when due
            data["newDueDate"] = (date(2026, 1, 19) + timedelta(rng.randint(-5, 30))).isoformat()
        wire = {"code": code, "comment": comment, "data": data}
        items.append(wire if rng.random() < 0.5 else from_wire(wire, InvoiceAction))
    for _ in range(rng.randint(0, len(items) // 8)):  # identical actions, meant twice
        at = rng.randrange(len(items))
        items.insert(rng.randint(at + 1, len(items)), items[at])
    if rng.random() < 0.5:
        invalid = {"code": "COMMENT", "comment": INVALID, "data": {}}
        items.insert(rng.randint(0, len(items)), invalid)
    return ActionChaos(
        seed=seed,
        invoices=invoices,
        items=items,
        missing=missing,
        faults=fault_rules(rng, [("POST", "/invoice/action")]),
        **draw_settings(rng, len(items), ("break", "cancel", "ticks", "hold")),
    )


def journal_lines(path: Path) -> dict[Any, list[dict[str, Any]]]:
    """The journal's lines per key, in order (the binding line checked and left out)."""
    if not path.exists():  # no run got as far as opening it
        return {}
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert records[0]["kind"] == "_binding"
    lines: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for record in records[1:]:
        assert record["kind"] == "action"
        lines[record["key"]].append(record)
    return lines


def maybe_sent(line: dict[str, Any]) -> bool:
    """A last line saying the action may have been applied without its answer being known."""
    return line["status"] == "SENDING" or (line["status"] == "FAILED" and line.get("unknown"))


def check_journal_agrees(
    chaos: ActionChaos, path: Path, results: list[BatchResult[Any, Any]]
) -> None:
    """Every result of a run says what the journal's last line for its key says, and no key was
    sent again after its outcome was known to be applied, or unknown."""
    why = chaos.describe()
    lines = journal_lines(path)
    for history in lines.values():
        for before, line in itertools.pairwise(history):
            if line["status"] == "SENDING":  # sent again: only after a known failure
                assert failed_known(before), (why, history)
    for result in results:
        if result.key is None:
            continue
        history = lines.get(result.key)
        if history is None:  # held back by the breaker before it was ever sent: not journaled
            assert isinstance(result.error, CircuitOpenError), (why, result)
            assert result.attempts == 0, (why, result)
            continue
        last = history[-1]
        if result.status.name == "CREATED":
            assert last["status"] == "CREATED", (why, result, last)
        elif result.outcome_unknown:
            assert maybe_sent(last), (why, result, last)
        else:
            assert failed_known(last), (why, result, last)


def failed_known(line: dict[str, Any]) -> bool:
    """A line saying the action failed and nothing was queued (it may be sent again)."""
    return line["status"] == "FAILED" and not line.get("unknown")


def possibly_applied(entry: ReceivedRequest) -> bool:
    """False when the sandbox's answer proved to the client that nothing was queued (a 4xx or a
    429 it answered); anything else (5xx, dropped, reset, slow, 202, left unanswered) may have
    been applied as far as the client can tell."""
    if entry.fault == "rate_limit":
        return False
    answered_4xx = entry.status is not None and 400 <= entry.status < 500
    return not (entry.fault is None and answered_4xx)


def requests_by_comment(
    chaos: ActionChaos, log: list[ReceivedRequest]
) -> dict[str, list[ReceivedRequest]]:
    """The sandbox's requests to the action endpoint, per action comment (one action each)."""
    why = chaos.describe()
    requests: dict[str, list[ReceivedRequest]] = defaultdict(list)
    for entry in log:
        if entry.endpoint != ENDPOINT:
            continue
        assert entry.body is not None, why
        sent = json.loads(entry.body)["actions"]
        assert len(sent) == 1, why  # one action per request
        requests[sent[0]["comment"]].append(entry)
    assert set(requests) <= set(chaos.copies()), why  # nothing but the input's valid actions
    return requests


def check_never_sent_again(
    chaos: ActionChaos, comment: str, n: int, requests: list[ReceivedRequest]
) -> tuple[list[int], tuple[Any, ...]]:
    """No request of ``comment`` after its ``n``-th that may have been applied.

    Returns the indices of those requests and the detail for failure messages.
    """
    fates = [possibly_applied(entry) for entry in requests]
    maybes = [i for i, maybe in enumerate(fates) if maybe]
    detail = (chaos.describe(), comment, [(e.fault, e.status) for e in requests])
    assert len(maybes) <= n, detail
    if len(maybes) == n:
        assert maybes[-1] == len(fates) - 1, detail  # nothing after the n-th
    return maybes, detail


def check_server(
    chaos: ActionChaos, sandbox: Sandbox, log: list[ReceivedRequest], journal: Path
) -> None:
    """From the sandbox's own records, per action content (``n`` identical actions share one):

    * after the ``n``-th request that may have been applied, none arrives: an action whose
      outcome became unknown (or that was queued) is never sent again;
    * it was queued at most ``n`` times, at least as often as the journal says done, at most
      that plus the ones whose outcome is unknown; never when all its actions failed known.
    """
    why = chaos.describe()
    copies = chaos.copies()
    requests = requests_by_comment(chaos, log)
    queued = Counter(a.spec.comment for a in sandbox.state.actions())
    assert set(queued) <= set(copies), why  # nothing but the input's valid actions
    lines = journal_lines(journal)
    comment_by_key = {
        default_action_key(as_action(item)): comment_of(item)
        for item in chaos.items
        if comment_of(item) != INVALID
    }
    keys_of: dict[str, list[Any]] = defaultdict(list)
    for key in lines:  # the default key: CODE/invoice=N/<hash>, then #k for the k-th copy
        assert str(key).partition("#")[0] in comment_by_key, (why, key)
        keys_of[comment_by_key[str(key).partition("#")[0]]].append(key)
    for comment, n in copies.items():
        maybes, detail = check_never_sent_again(chaos, comment, n, requests.get(comment, []))
        last = [lines[key][-1] for key in keys_of[comment]]
        done = sum(line["status"] == "CREATED" for line in last)
        unknown = sum(bool(maybe_sent(line)) for line in last)
        assert done <= queued[comment] <= done + unknown, (*detail, queued[comment], last)
        assert queued[comment] <= len(maybes), detail
        answered_202 = sum(e.fault is None and e.status == 202 for e in requests.get(comment, []))
        assert done <= answered_202, detail
        if comment in chaos.missing:
            assert queued[comment] == 0, detail
