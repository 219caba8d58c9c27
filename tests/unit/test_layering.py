"""The package's architecture, kept true: imports only go down the layers, and never in a circle.

Layers, bottom to top (a module may import its own layer and the ones below):

    errors → _core → models, config → auth, transport → pagination, resources, batch → client,
    postgres
    → doctor, partner → the package's __init__, cli, _cli (and the pytest plugin)

The sandbox (``testing``) stands aside: it imports nothing of the client but ``_core`` and
``errors``. Every import counts, including ``TYPE_CHECKING`` and function-level ones.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import confirma_async

ROOT = Path(confirma_async.__file__).parent
PKG = "confirma_async"

LAYERS: dict[str, int] = {
    "errors": 0,
    "_core": 1,
    "models": 2,
    "config": 2,
    "auth": 3,
    "transport": 3,
    "pagination": 4,
    "resources": 4,
    "batch": 4,
    "client": 5,
    "postgres": 5,
    "doctor": 6,
    "partner": 6,
    "__init__": 7,
    "__main__": 7,
    "cli": 7,
    "_cli": 7,
    "testing.pytest_plugin": 7,
}
SANDBOX = "testing"
SANDBOX_MAY_IMPORT = {"_core", "errors", "testing"}


def module_name(path: Path) -> str:
    parts = [PKG, *path.relative_to(ROOT).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in ROOT.rglob("*.py")}


def area(module: str) -> str:
    """The layer table's key of a module: ``_core``, ``batch``, ``testing.pytest_plugin``..."""
    rest = module.removeprefix(PKG).lstrip(".")
    if not rest:
        return "__init__"
    if rest == "testing.pytest_plugin":
        return rest
    return rest.split(".")[0]


def imports(module: str) -> Iterator[str]:
    """Every module of the package that ``module`` imports (anywhere in its file)."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(PKG):
                    yield alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module or ""
            if not base.startswith(PKG):
                continue
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                yield sub if sub in MODULES else base


EDGES = {module: sorted(set(imports(module)) - {module}) for module in MODULES}


def test_the_layer_table_covers_every_module() -> None:
    unknown = {area(m) for m in MODULES} - set(LAYERS) - {SANDBOX}
    assert not unknown


def test_no_module_imports_a_layer_above_its_own() -> None:
    upward = [
        f"{m} -> {t}"
        for m, targets in EDGES.items()
        if area(m) != SANDBOX
        for t in targets
        if area(t) != SANDBOX and LAYERS[area(t)] > LAYERS[area(m)]
    ]
    assert upward == []


def test_the_sandbox_imports_nothing_of_the_client_but_core_and_errors() -> None:
    outside = [
        f"{m} -> {t}"
        for m, targets in EDGES.items()
        if area(m) == SANDBOX
        for t in targets
        if area(t) not in SANDBOX_MAY_IMPORT
    ]
    assert outside == []


def test_there_is_no_import_cycle() -> None:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in EDGES.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(MODULES):
        if module not in index:
            visit(module)
    assert cycles == []


def test_at_most_eight_modules_sit_directly_in_the_package() -> None:
    top = sorted(p.name for p in ROOT.glob("*.py"))
    assert len(top) <= 8, top


def test_no_module_is_much_over_three_hundred_lines() -> None:
    long = {
        module: n
        for module, path in MODULES.items()
        if (n := len(path.read_text().splitlines())) > 320
    }
    assert long == {}
