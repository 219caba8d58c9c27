"""Developer sessions: ``nox -s tests``, ``lint``, ``typecheck``, ``docs``, ``bench``.

``nox`` alone runs lint, typecheck, tests and docs. ``bench`` is run on demand (about two minutes on
a 2-core machine; ``nox -s bench -- --quick`` for a smoke run of about half a minute).
"""

from __future__ import annotations

import nox

nox.options.sessions = ["lint", "typecheck", "tests", "docs"]

LINTED = ("confirma_async", "tests", "benchmarks", "noxfile.py", "docs/_ext")


@nox.session
def tests(session: nox.Session) -> None:
    session.install("-e", ".[test]")
    session.run("python", "-W", "error", "-m", "pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    session.install("ruff")
    session.run("ruff", "check", *LINTED)
    session.run("ruff", "format", "--check", *LINTED)


@nox.session
def typecheck(session: nox.Session) -> None:
    session.install("-e", ".[dev]")
    session.run("mypy", "--strict", "confirma_async")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation site in strict mode (any warning fails); offline once installed.

    The site goes to ``site/``; ``nox -s docs -- --site-dir DIR`` puts it elsewhere.
    """
    # mkdocstrings formats the signatures in the API reference with ruff when it is installed.
    session.install("-e", ".[docs]", "ruff")
    # Material for MkDocs prints a banner about its future on every build; it is not a warning.
    session.env["NO_MKDOCS_2_WARNING"] = "1"
    session.run("mkdocs", "build", "--strict", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """Run every benchmark script and print one table of figures, ratios and goals.

    Extra arguments go to ``benchmarks/run_all.py``: ``--quick``, ``--only bulk stream``,
    ``--strict`` (fail when a goal is missed), ``--no-docs``. A full run writes its figures into
    ``benchmarks/README.md`` and the guides (``benchmarks/_docs.py``).
    """
    # The benchmarks start the sandbox with `confirma sandbox`; bench_tokens and bench_jobs need
    # asyncpg (bench_jobs also the PostgreSQL server binaries).
    session.install("-e", ".[cli,postgres]")
    session.run("python", "benchmarks/run_all.py", *session.posargs)
