"""A throwaway PostgreSQL cluster on 127.0.0.1, for tests and benchmarks of the PostgreSQL stores.

It runs the server binaries found on the machine (``initdb``, ``pg_ctl``) in a temporary directory
and removes everything on :meth:`ThrowawayPostgres.stop`. PostgreSQL refuses to run as root: when
the current user is root, the cluster runs as the ``postgres`` system user (through ``runuser``),
and its directory is handed to that user. As a normal user it runs as that user.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType

__all__ = ["PostgresUnavailableError", "ThrowawayPostgres", "find_postgres_bindir"]

_SERVER_SETTINGS = (
    # A test cluster: durability off (it is deleted afterwards), enough connections for a few
    # worker processes with their pools.
    "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
)


class PostgresUnavailableError(RuntimeError):
    """No PostgreSQL server binaries on this machine, or the cluster would not start."""


def find_postgres_bindir() -> Path | None:
    """The directory holding ``initdb`` and ``pg_ctl``, or ``None`` when none is installed.

    Looked up in order: ``CONFIRMA_PG_BINDIR``, ``pg_config --bindir``, ``PATH``, and Debian's
    ``/usr/lib/postgresql/<version>/bin`` (the highest version).
    """
    candidates: list[Path] = []
    if env := os.environ.get("CONFIRMA_PG_BINDIR"):
        candidates.append(Path(env))
    if pg_config := shutil.which("pg_config"):
        try:
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, check=True
            ).stdout.strip()
            candidates.append(Path(out))
        except (OSError, subprocess.CalledProcessError):
            pass
    if initdb := shutil.which("initdb"):
        candidates.append(Path(initdb).parent)
    debian = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: _version_key(Path(p).parent.name)
    )
    candidates.extend(Path(p) for p in reversed(debian))
    for directory in candidates:
        if (directory / "initdb").is_file() and (directory / "pg_ctl").is_file():
            return directory
    return None


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in name.split(".") if part.isdigit())


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ThrowawayPostgres:
    """A PostgreSQL cluster in a temporary directory, listening on 127.0.0.1 only.

    Use it as a context manager (``with ThrowawayPostgres() as pg: pg.dsn``) or call
    :meth:`start` and :meth:`stop`. Authentication is ``trust`` for the superuser ``postgres``.
    """

    def __init__(self, *, bindir: Path | None = None) -> None:
        found = bindir or find_postgres_bindir()
        if found is None:
            raise PostgresUnavailableError(
                "no PostgreSQL server binaries (initdb, pg_ctl) found: install the server "
                "(Debian: postgresql) or set CONFIRMA_PG_BINDIR"
            )
        self.bindir = found
        self.port = 0
        self._dir: Path | None = None
        self._run_as: list[str] = []

    @property
    def dsn(self) -> str:
        """The superuser's connection string to the ``postgres`` database."""
        return self.dsn_for("postgres")

    def dsn_for(self, database: str) -> str:
        """The superuser's connection string to ``database``."""
        if not self.port:
            raise PostgresUnavailableError("the cluster is not running")
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> str:
        """Create the cluster and start the server; return :attr:`dsn`."""
        self._dir = Path(tempfile.mkdtemp(prefix="confirma-pg-"))
        atexit.register(self.stop)  # a server must not outlive its interpreter
        if os.geteuid() == 0:
            try:
                user = pwd.getpwnam("postgres")
            except KeyError as exc:
                raise PostgresUnavailableError(
                    "running as root, and PostgreSQL refuses root: no 'postgres' user to run as"
                ) from exc
            os.chown(self._dir, user.pw_uid, user.pw_gid)
            self._run_as = ["runuser", "-u", "postgres", "--"]
        data = self._dir / "data"
        self._run(["initdb", "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8"])
        for _ in range(3):  # a free port can be taken between the probe and the start
            self.port = _free_port()
            options = (
                f"-p {self.port} -k {self._dir} -c listen_addresses=127.0.0.1 {_SERVER_SETTINGS}"
            )
            log = self._dir / "server.log"
            try:
                self._run(["pg_ctl", "-D", str(data), "-o", options, "-l", str(log), "-w", "start"])
                return self.dsn
            except PostgresUnavailableError:
                continue
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        self.stop()
        raise PostgresUnavailableError(f"the PostgreSQL server did not start:\n{tail}")

    def stop(self) -> None:
        """Stop the server (immediately) and delete the cluster's directory."""
        if self._dir is None:
            return
        data = self._dir / "data"
        if (data / "postmaster.pid").exists():
            with contextlib.suppress(PostgresUnavailableError):
                self._run(["pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop"])
        shutil.rmtree(self._dir, ignore_errors=True)
        self._dir = None
        self.port = 0
        atexit.unregister(self.stop)

    def create_database(self, name: str) -> str:
        """Create an empty database ``name``; return its connection string."""
        self._run(["createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name])
        return self.dsn_for(name)

    def drop_database(self, name: str) -> None:
        """Drop database ``name``, disconnecting whoever is still connected to it."""
        self._run(
            ["dropdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "--force", name]
        )

    def _run(self, argv: list[str]) -> None:
        command = [*self._run_as, str(self.bindir / argv[0]), *argv[1:]]
        done = subprocess.run(command, capture_output=True, text=True, cwd=self._dir)
        if done.returncode != 0:
            output = done.stderr.strip() or done.stdout.strip()
            raise PostgresUnavailableError(f"{argv[0]} failed ({done.returncode}): {output}")

    def __enter__(self) -> ThrowawayPostgres:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
