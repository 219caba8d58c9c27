"""Comparing raw answers with the models: which wire names were seen, under what, of what type.

:class:`ShapeSurvey` walks a raw JSON answer along a model tree the way the decoders read it (own
wire name, then the model's static aliases, then the client's runtime aliases) and counts, per
model field: objects examined, values that decode, values of another type, values read through a
runtime alias, and absences; per model: the keys no field claims, with sample values. Where a
guessed field is never found, it suggests the unknown key that most likely holds it (a value of the
field's type, a similar name, a value an open enum lists), and follows the suggestion into nested
objects, so a renamed list's items are surveyed as well.
"""

from __future__ import annotations

import difflib
import enum
import re
import typing
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

import attrs

from ..models._aliases import WireAliases
from ..models._convert import converter
from ..models._fields import WIRE_ALIASES, guess_of, wire_fields, wire_name

FieldKey = tuple[type[Any], str]
"""A model class and a Python field name."""

_SAMPLES = 5
_STASHED = 20
_MIN_SCORE = 0.45


@attrs.define
class FieldTally:
    """What the survey saw of one model field."""

    objects: int = 0
    """Objects of the model examined."""
    ok: int = 0
    """Values that decode as the field's type (``null`` included)."""
    bad: int = 0
    """Values of another type."""
    aliased: int = 0
    """Of ``ok``, the values read through one of the client's runtime aliases."""
    bad_types: set[str] = attrs.field(factory=set)


def _words(name: str) -> list[str]:
    return [w.lower() for w in re.findall(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])", name)]


def similarity(a: str, b: str) -> float:
    """How alike two wire names are (0..1): characters and shared camelCase words."""
    chars = difflib.SequenceMatcher(None, a.lower(), b.lower()).ratio()
    wa, wb = set(_words(a)), set(_words(b))
    shared = len(wa & wb) / max(len(wa | wb), 1)
    prefix = any(x.startswith(y[:4]) or y.startswith(x[:4]) for x in wa for y in wb if len(y) > 2)
    return max(chars, shared) + (0.1 if prefix else 0.0)


def _inner(hint: Any) -> Any:
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    return args[0] if typing.get_origin(hint) in (typing.Union, type(int | None)) and args else hint


def _model_of(hint: Any) -> type[Any] | None:
    """The model class a field holds (itself or as list items), if any."""
    hint = _inner(hint)
    if typing.get_origin(hint) is list:
        hint = typing.get_args(hint)[0]
    return hint if isinstance(hint, type) and attrs.has(hint) else None


def _fits(value: Any, hint: Any) -> bool:
    if value is None:
        return True
    try:
        converter.structure(value, hint)
    except Exception:
        return False
    return True


def _json_type(value: Any) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")


class ShapeSurvey:
    """Tallies of every model field and unknown key seen in the answers surveyed so far."""

    def __init__(self, aliases: WireAliases) -> None:
        self._aliases = aliases
        self.fields: dict[FieldKey, FieldTally] = defaultdict(FieldTally)
        self.unknown: dict[type[Any], dict[str, list[Any]]] = defaultdict(dict)
        self.objects: dict[type[Any], int] = defaultdict(int)
        self.suggested: dict[FieldKey, str] = {}
        self.values: dict[FieldKey, list[Any]] = defaultdict(list)
        """A few non-null values read for each field (own name or alias)."""
        self._pending: dict[FieldKey, list[dict[str, Any]]] = defaultdict(list)
        self._settled: dict[type[Any], int] = {}

    def survey(self, data: Any, cls: type[Any]) -> None:
        """Walk ``data`` (an object, or a list of objects) as ``cls``."""
        if isinstance(data, list):
            for item in data:
                self.survey(item, cls)
        elif isinstance(data, Mapping):
            self._object(data, cls)

    def _object(self, data: Mapping[str, Any], cls: type[Any]) -> None:
        self.objects[cls] += 1
        hints = typing.get_type_hints(cls)
        claimed: set[str] = set()
        found: dict[str, Any] = {}
        for f in wire_fields(cls):
            tally = self.fields[(cls, f.name)]
            tally.objects += 1
            names = (wire_name(f), *f.metadata.get(WIRE_ALIASES, ()))
            runtime = self._aliases.names(cls, f.name)
            key = next((n for n in (*names, *runtime) if n in data), None)
            if key is None:
                continue
            claimed.add(key)
            value = data[key]
            if _fits(value, hints[f.name]):
                tally.ok += 1
                tally.aliased += key in runtime
                found[f.name] = value
                samples = self.values[(cls, f.name)]
                if value is not None and len(samples) < _SAMPLES:
                    samples.append(value)
            else:
                tally.bad += 1
                tally.bad_types.add(_json_type(value))
        unknown = self.unknown[cls]
        for key, value in data.items():
            if key not in claimed:
                samples = unknown.setdefault(key, [])
                if len(samples) < _SAMPLES and value is not None:
                    samples.append(value)
        for f in wire_fields(cls):
            if _model_of(hints[f.name]) is None:
                continue
            if f.name in found:
                self.survey(found[f.name], _model_of(hints[f.name]))  # type: ignore[arg-type]
            elif guess_of(f) is not None:
                stash = self._pending[(cls, f.name)]
                if len(stash) < _STASHED:  # where a renamed nested object may be, for finish()
                    stash.append({k: data[k] for k in data if k not in claimed})

    def finish(self) -> None:
        """Suggest aliases, and survey nested objects found only under a suggested name."""
        while True:
            todo = [c for c, n in list(self.objects.items()) if self._settled.get(c) != n]
            if not todo:
                return
            for cls in todo:
                self._settled[cls] = self.objects[cls]
                hints = typing.get_type_hints(cls)
                self._suggest(cls, hints)
                for f in wire_fields(cls):
                    nested = _model_of(hints[f.name])
                    alias = self.suggested.get((cls, f.name))
                    if nested is None or alias is None:
                        continue
                    for stash in self._pending.pop((cls, f.name), ()):
                        if alias in stash:
                            self.survey(stash[alias], nested)

    def _suggest(self, cls: type[Any], hints: Mapping[str, Any]) -> None:
        """(Re)compute the suggested alias of every guessed field of ``cls`` never found."""
        missing = [
            f
            for f in wire_fields(cls)
            if guess_of(f) is not None and self.fields[(cls, f.name)].ok == 0
        ]
        for f in missing:
            self.suggested.pop((cls, f.name), None)
        candidates = self.unknown[cls]
        scored: list[tuple[float, str, str]] = []
        for f in missing:
            for key, samples in candidates.items():
                if not samples or not all(_fits(v, hints[f.name]) for v in samples):
                    continue
                score = similarity(wire_name(f), key) + _enum_bonus(hints[f.name], samples)
                scored.append((score, f.name, key))
        taken: set[str] = set()
        for score, name, key in sorted(scored, reverse=True):
            if score >= _MIN_SCORE and key not in taken and (cls, name) not in self.suggested:
                self.suggested[(cls, name)] = key
                taken.add(key)
        # A field left with exactly one candidate of its type nobody else took gets it too.
        for f in missing:
            if (cls, f.name) in self.suggested:
                continue
            left = {key for _, name, key in scored if name == f.name and key not in taken}
            if len(left) == 1:
                (key,) = left
                self.suggested[(cls, f.name)] = key
                taken.add(key)


def _enum_bonus(hint: Any, samples: list[Any]) -> float:
    """Values an enum lists are strong evidence (an open enum accepts any string)."""
    cls = _inner(hint)
    if isinstance(cls, type) and issubclass(cls, enum.Enum):
        listed = {m.value for m in cls.__members__.values()}
        return 0.5 if samples and all(v in listed for v in samples) else 0.0
    return 0.0
