"""Griffe extension for the docs build: the library's reST-flavoured docstrings as Markdown.

The docstrings are written for ``help()`` and IDEs, in the reST idiom: ``:class:`X```, ``:meth:`y```
roles and ``::`` literal blocks. mkdocstrings renders Markdown, so this extension rewrites, before
rendering (and without touching the source):

* ``:role:`~pkg.mod.Name``` and ``:role:`Name``` to inline code (``Name`` / ``pkg.mod.Name``);
* a paragraph ending in ``::`` followed by an indented block to a ``:`` and a fenced code block
  (Python when it parses as Python, plain text otherwise).

Loaded by path from ``mkdocs.yml`` (``extensions: [docs/_ext/rst_to_markdown.py]``); it needs no
network and nothing beyond griffe itself.
"""

from __future__ import annotations

import ast
import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:py:)?(?:class|meth|func|attr|mod|obj|exc|data|const):`(~?)([^`]+)`")


def _role(match: re.Match[str]) -> str:
    tilde, target = match.groups()
    target = target.strip()
    if tilde:
        target = target.rsplit(".", 1)[-1]
    return f"`{target}`"


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _language(body: list[str]) -> str:
    """``python`` for a block that parses as Python, ``text`` for grammars, JSON lines, shells."""
    try:
        compile("\n".join(body), "<docstring>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    except (SyntaxError, ValueError):
        return "text"
    return "python"


def _literal_blocks(text: str) -> str:
    """Turn ``para::`` + indented block into ``para:`` + a fenced python block."""
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        out.append(line)
        i += 1
        if not line.rstrip().endswith("::"):
            continue
        base = _indent(line)
        j = i
        while j < len(lines) and not lines[j].strip():
            j += 1
        if j >= len(lines) or _indent(lines[j]) <= base:
            continue
        block: list[str] = []
        while j < len(lines) and (not lines[j].strip() or _indent(lines[j]) > base):
            block.append(lines[j])
            j += 1
        while block and not block[-1].strip():
            block.pop()
        depth = min(_indent(b) for b in block if b.strip())
        stripped = line.rstrip()
        out[-1] = stripped[:-2].rstrip() + ":" if stripped != "::" else ""
        pad = " " * base
        body = [b[depth:] if b.strip() else "" for b in block]
        out.append("")
        out.append(f"{pad}```{_language(body)}")
        out.extend(f"{pad}{b}" if b else "" for b in body)
        out.append(f"{pad}```")
        out.append("")
        i = j
    return "\n".join(out)


def convert(text: str) -> str:
    """Rewrite one docstring's reST idioms as Markdown."""
    return _literal_blocks(_ROLE.sub(_role, text))


class RstToMarkdown(griffe.Extension):
    """Rewrites every docstring of the loaded package once it is fully loaded."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        """Walk the package and convert each docstring in place."""
        seen: set[int] = set()
        self._walk(pkg, seen)

    def _walk(self, obj: griffe.Object, seen: set[int]) -> None:
        if id(obj) in seen:
            return
        seen.add(id(obj))
        if obj.docstring is not None:
            obj.docstring.value = convert(obj.docstring.value)
        for member in obj.members.values():
            if member.is_alias:
                continue
            self._walk(member, seen)  # type: ignore[arg-type]
