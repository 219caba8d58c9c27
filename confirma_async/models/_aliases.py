"""Runtime wire aliases: alternative wire names for response fields, per client.

Most response field names are our guess (``docs/api-assumptions.md``). When a user learns that the
real API spells one differently, they tell the client instead of forking it::

    aliases = WireAliases(["DistributionRecord.distribution_status=deliveryState"])
    aliases.add(DistributionRecord, "invoice_number", "invoiceNo")
    async with ConfirmaClient(api_key=..., wire_aliases=aliases) as client: ...

Every decoder of that client (the generic converter, the fast distribution path, and through them
the pagers' de-duplication keys and the bulk submitter's lookups) then reads the field from the
first of its names present in an answer: the model's own wire name first, then the aliases in the
order given. A key read through an alias does not land in ``extra``. Changes apply to the next
answer decoded; the registry is meant to be filled at start-up (it is not locked).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from typing import Any

import attrs

from ..errors import ConfigurationError
from ._fields import WIRE_ALIASES, is_wire_field, wire_name

__all__ = ["WireAliases"]

AliasPairs = tuple[tuple[str, str], ...]
"""``(alias, wire name)`` pairs of one model, in lookup order."""

_FIELD = "wire_aliases"
_ACTIVE: ContextVar[WireAliases | None] = ContextVar("confirma_wire_aliases", default=None)
"""The aliases of the decode running now (``from_wire`` sets it; the converter reads it)."""


class WireAliases:
    """Alternative wire names for response fields, used by every decoder of one client.

    Build it from specs ``"Model.field=name"`` (several names: ``"Model.field=a,b"``), from a
    mapping ``{"Model.field": "name" | ["a", "b"]}``, or call :meth:`add`. ``Model`` is the name of
    a model class exported by ``confirma_async`` (``DistributionRecord``), ``field`` its Python
    field name (``distribution_status``). A bad spec raises :class:`ConfigurationError` naming it.
    """

    __slots__ = ("_names", "_pairs", "_version")

    def __init__(
        self, aliases: Iterable[str] | Mapping[str, str | Sequence[str]] | None = None
    ) -> None:
        self._names: dict[tuple[type[Any], str], tuple[str, ...]] = {}
        self._pairs: dict[type[Any], AliasPairs] = {}
        self._version = 0
        if isinstance(aliases, Mapping):
            for target, names in aliases.items():
                listed = [names] if isinstance(names, str) else list(names)
                self._add_spec(target, listed, spec=f"{target}={names!r}")
        elif aliases is not None:
            if isinstance(aliases, str):
                raise ConfigurationError(_FIELD, aliases, "give a list of specs, not one string")
            for spec in aliases:
                self.add_spec(spec)

    @classmethod
    def coerce(cls, value: object) -> WireAliases:
        """``value`` itself if it is a :class:`WireAliases`, else a new one built from it."""
        if isinstance(value, WireAliases):
            return value
        if value is None or isinstance(value, Mapping | list | tuple | set | frozenset):
            return cls(value)
        raise ConfigurationError(_FIELD, value, "must be WireAliases, a list of specs or a mapping")

    def add(self, model: type[Any] | str, field: str, *names: str) -> None:
        """Read ``model.field`` also from ``names`` (tried in order, after its own wire name)."""
        label = model if isinstance(model, str) else getattr(model, "__name__", repr(model))
        spec = f"{label}.{field}={','.join(map(str, names))}"
        cls = _model_class(model, spec)
        fields = {f.name: f for f in attrs.fields(cls) if is_wire_field(f)}
        if field not in fields:
            raise ConfigurationError(_FIELD, spec, f"{cls.__name__} has no wire field {field!r}")
        if not names:
            raise ConfigurationError(_FIELD, spec, "give at least one alternative wire name")
        # Names the model already reads: a second field reading one would take another's value.
        taken = {
            name
            for f in fields.values()
            if f.name != field
            for name in (wire_name(f), *f.metadata.get(WIRE_ALIASES, ()))
        } | {wire_name(fields[field])}
        current = self._names.get((cls, field), ())
        added = list(current)
        for name in names:
            if not isinstance(name, str) or not name or name != name.strip() or "=" in name:
                raise ConfigurationError(_FIELD, spec, f"bad wire name {name!r}")
            if name in taken:
                raise ConfigurationError(
                    _FIELD,
                    spec,
                    f"{name!r} is already the wire name of a {cls.__name__} field (or one it "
                    "reads)",
                )
            for (other_cls, other), other_names in self._names.items():
                if other_cls is cls and other != field and name in other_names:
                    raise ConfigurationError(
                        _FIELD, spec, f"{name!r} is already an alias of {cls.__name__}.{other}"
                    )
            if name not in added:
                added.append(name)
        self._names[(cls, field)] = tuple(added)
        self._pairs.pop(cls, None)
        self._version += 1

    def add_spec(self, spec: str) -> None:
        """Add one ``"Model.field=name[,name...]"`` spec."""
        if not isinstance(spec, str) or "=" not in spec:
            raise ConfigurationError(_FIELD, spec, "expected 'Model.field=name[,name...]'")
        target, _, names = spec.partition("=")
        self._add_spec(target.strip(), [n.strip() for n in names.split(",")], spec=spec)

    def _add_spec(self, target: str, names: list[str], *, spec: str) -> None:
        model, dot, field = target.partition(".")
        if not dot or not model or not field:
            raise ConfigurationError(_FIELD, spec, "expected 'Model.field=name[,name...]'")
        self.add(model, field, *names)

    def names(self, model: type[Any], field: str) -> tuple[str, ...]:
        """The aliases of ``model.field`` (empty when none were added)."""
        return self._names.get((model, field), ())

    def pairs(self, cls: type[Any]) -> AliasPairs:
        """``(alias, wire name)`` pairs of ``cls`` in lookup order (cached; empty when none)."""
        pairs = self._pairs.get(cls)
        if pairs is None:
            pairs = self._pairs[cls] = tuple(
                (alias, wire_name(f))
                for f in attrs.fields(cls)
                for alias in self._names.get((cls, f.name), ())
            )
        return pairs

    @property
    def version(self) -> int:
        """Incremented by every change (decoders that cache per alias set compare it)."""
        return self._version

    def specs(self) -> list[str]:
        """Every alias as a ``"Model.field=name[,name...]"`` spec (round-trips through the init)."""
        return [f"{cls.__name__}.{field}={','.join(n)}" for (cls, field), n in self._names.items()]

    def __iter__(self) -> Iterator[str]:
        return iter(self.specs())

    def __len__(self) -> int:
        return len(self._names)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, WireAliases):
            return NotImplemented
        return self._names == other._names

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return f"WireAliases({self.specs()!r})"


def _model_class(model: type[Any] | str, spec: str) -> type[Any]:
    if isinstance(model, str):
        models = importlib.import_module("confirma_async.models")
        found = getattr(models, model, None) if model in models.__all__ else None
        if isinstance(found, type) and attrs.has(found):
            return found
    elif isinstance(model, type) and attrs.has(model) and model.__module__.startswith(__package__):
        return model
    raise ConfigurationError(_FIELD, spec, f"{model!r} is not a model class of confirma_async")
