"""Flat rows out of nested records, for the CSV and table formats of the listing commands.

A model's layout is worked out from its class, once, so the header is known before any record:
nested objects become dotted columns (``beneficiary.iban``); the first list of objects becomes
rows of their own (``settlements``: one row per allocation, the settlement's columns repeated;
a settlement without allocations is one row with those cells empty). Lists inside that list, and
lists of plain values, stay one cell (JSON text). A summary layout (``expand=False``, the table
format) counts the list instead (``allocations (count)``).
"""

from __future__ import annotations

import types
from collections.abc import Iterator, Mapping
from typing import Any, Union, get_args, get_origin, get_type_hints

import attrs

from ..models._fields import wire_fields, wire_name

Path = tuple[str, ...]


@attrs.frozen(kw_only=True)
class Layout:
    """How one model's records become rows: the header and where each cell comes from."""

    columns: list[str]
    """The header (wire names; dotted for nested objects)."""
    paths: list[Path]
    """Where each cell of the record's own columns is, as a path of wire names."""
    expand: str | None = None
    """The wire name of the list of objects that becomes rows (``None``: one row a record)."""
    item_paths: list[Path] = attrs.field(factory=list)
    """Where each cell of an expanded list item is, inside the item."""
    counted: list[str] = attrs.field(factory=list)
    """Lists shown as their length (summary layout), by wire name."""
    known: frozenset[str] = frozenset()
    """The top-level wire names the model documents (the rest is ``extra``)."""

    def rows(self, data: Mapping[str, Any]) -> Iterator[list[Any]]:
        """The rows of one record's wire form (see the module docstring)."""
        base = [_get(data, path) for path in self.paths]
        base += [len(data.get(name) or ()) for name in self.counted]
        if self.expand is None:
            yield base
            return
        items = data.get(self.expand) or ()
        if not items:
            yield base + [None] * len(self.item_paths)
        for item in items:
            yield base + [_get(item, path) for path in self.item_paths]

    def extra(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """The record's undocumented top-level fields (kept in the model's ``extra``)."""
        return {key: value for key, value in data.items() if key not in self.known}


def layout(cls: type[Any], *, expand: bool = True) -> Layout:
    """The :class:`Layout` of ``cls``: lists expanded into rows (CSV) or counted (table)."""
    columns: list[str] = []
    paths: list[Path] = []
    counted: list[str] = []
    expanded: str | None = None
    item_paths: list[Path] = []
    hints = get_type_hints(cls)
    for field in wire_fields(cls):
        name = wire_name(field)
        inner = _list_of_models(hints[field.name])
        if inner is not None and expand and expanded is None:
            expanded = name
            for sub_columns, sub_path in _columns(inner, ()):
                columns.append(f"{name}.{sub_columns}")
                item_paths.append(sub_path)
        elif inner is not None and not expand:
            counted.append(name)
        else:
            for column, path in _columns_of_field(hints[field.name], name):
                columns.append(column)
                paths.append(path)
    # The counted columns follow the record's own; the expanded ones come last.
    header = columns[: len(paths)] + [f"{name} (count)" for name in counted] + columns[len(paths) :]
    return Layout(
        columns=header,
        paths=paths,
        expand=expanded,
        item_paths=item_paths,
        counted=counted,
        known=frozenset(wire_name(f) for f in wire_fields(cls)),
    )


def _columns(cls: type[Any], prefix: Path) -> Iterator[tuple[str, Path]]:
    hints = get_type_hints(cls)
    for field in wire_fields(cls):
        name = wire_name(field)
        for column, path in _columns_of_field(hints[field.name], name):
            yield column, (*prefix, *path)


def _columns_of_field(annotation: Any, name: str) -> Iterator[tuple[str, Path]]:
    model = _model(annotation)
    if model is None:
        yield name, (name,)
        return
    for column, path in _columns(model, ()):
        yield f"{name}.{column}", (name, *path)


def _model(annotation: Any) -> type[Any] | None:
    """The attrs class of ``annotation`` (``X`` or ``X | None``), else ``None``."""
    if isinstance(annotation, type) and attrs.has(annotation):
        return annotation
    if get_origin(annotation) in (Union, types.UnionType):
        models = [a for a in get_args(annotation) if isinstance(a, type) and attrs.has(a)]
        return models[0] if len(models) == 1 else None
    return None


def _list_of_models(annotation: Any) -> type[Any] | None:
    if get_origin(annotation) is not list:
        return None
    (item,) = get_args(annotation) or (None,)
    return item if isinstance(item, type) and attrs.has(item) else None


def _get(data: Any, path: Path) -> Any:
    for key in path:
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)
    return data
