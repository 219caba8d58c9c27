"""The batch journal: an append-only JSONL file that makes a bulk job resumable.

One line per event, each written with a single ``os.write`` on a file opened with ``O_APPEND`` (no
Python buffering, so a line is either in the file whole or not at all, even if the process is
interrupted between two lines; ``fsync=True`` also forces it to disk). Lines::

    {"kind":"_binding","target":"https://integrations.confirmafinance.com/api/v1/partner","client":"5d1e..."}
    {"kind":"invoice","key":251601000,"status":"SENDING","hash":"9f2c4e07a1b3d5e6"}
    {"kind":"invoice","key":251601000,"status":"CREATED","attempts":1,"at":"2026-...Z"}
    {"kind":"action","key":"COMMENT/invoice=7/4be1...","status":"FAILED","unknown":true,...}

**Binding.** The first run writes which server and which creditor account the journal belongs
to: the client's base URL and a fingerprint of its ``client_id`` when the client was given one
(never the key, which rotates on renewal). A run against another target or another client is
refused (:class:`JournalError`) unless it asks to rebind. **Content.** ``SENDING`` carries a hash of
what was sent, so a later run whose item has the same key but other content (new amounts) is
told, not silently skipped.

``SENDING`` is written before an item's first request; a later line for the same key supersedes
it. The last line of a key decides what the next run does with it
(see ``docs/guides/bulk-upload.md``).
A torn last line (a crash mid-write, a full disk) is ignored and cut off when the file is opened;
any other unreadable line raises :class:`JournalError`.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime
from typing import Any, Final

from ..errors import JournalError
from .results import BatchKey

try:  # advisory lock against two processes sharing one journal (POSIX only)
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

SENDING: Final = "SENDING"
_DONE: Final = frozenset({"CREATED", "ALREADY_EXISTS"})
_STATUSES: Final = frozenset({SENDING, "FAILED", *_DONE})
# In memory a key's state is one int (content hash << 3 | status index << 1 | unknown): a few dozen
# bytes a key.
_BINDING: Final = "_binding"
_Binding = tuple[str | None, str | None]  # (target, client fingerprint)
_CODES: Final = ("SENDING", "CREATED", "ALREADY_EXISTS", "FAILED")
_CODE_OF: Final = {status: i for i, status in enumerate(_CODES)}


class JournalEntry:
    """The last recorded state of one key."""

    __slots__ = ("content", "status", "unknown")

    def __init__(self, status: str, unknown: bool, content: int | None = None) -> None:
        self.status = status
        """``SENDING``, ``CREATED``, ``ALREADY_EXISTS`` or ``FAILED``."""
        self.unknown = unknown
        """For ``FAILED``: the server may have applied the item."""
        self.content = content
        """The content hash recorded when it was sent (``None`` in journals written before)."""

    @classmethod
    def _decode(cls, code: int) -> JournalEntry:
        # code = content hash << 3 | status index << 1 | unknown (hash 0: none recorded)
        content = code >> 3
        return cls(_CODES[(code >> 1) & 3], bool(code & 1), content or None)

    @property
    def done(self) -> bool:
        """True when the item reached the server for sure (``CREATED``/``ALREADY_EXISTS``)."""
        return self.status in _DONE

    @property
    def maybe_sent(self) -> bool:
        """True when a request may have been applied but no outcome was recorded."""
        return self.status == SENDING or (self.status == "FAILED" and self.unknown)


class Journal:
    """An append-only JSONL record of batch outcomes; pass it (or a path) to ``client.batch``.

    The file is read and opened when a batch stream starts and closed when it ends. ``fsync=True``
    calls ``os.fsync`` after every line (survives a power cut, costs a disk flush per item);
    without it every line still reaches the operating system at once (survives a crash or
    Ctrl-C of the process). One journal must not be used by two processes at once: the file is
    locked (``flock``) while open and a second opener gets :class:`JournalError`.
    """

    def __init__(self, path: str | os.PathLike[str], *, fsync: bool = False) -> None:
        self.path = os.fspath(path)
        """The file path."""
        self.fsync = fsync
        """Whether every line is forced to disk."""
        self._entries: dict[str, dict[BatchKey, int]] = {}
        self._fd: int | None = None
        self.target: str | None = None
        """The server this journal belongs to (read from the file, or bound by :meth:`open`)."""
        self.client: str | None = None
        """The fingerprint of the creditor account it belongs to, when known."""

    def __repr__(self) -> str:
        return f"Journal({self.path!r}, fsync={self.fsync})"

    @property
    def is_open(self) -> bool:
        """True between :meth:`open` and :meth:`close`."""
        return self._fd is not None

    def open(
        self, target: str | None = None, *, client: str | None = None, rebind: bool = False
    ) -> None:
        """Load the recorded states, cut off a torn last line, lock and open for appending.

        ``target`` (the client's base URL) and ``client`` (a fingerprint of the creditor account,
        see :func:`client_fingerprint`) bind a new journal; a journal bound to another target or
        another client raises :class:`JournalError` unless ``rebind`` (you mean it: the states
        recorded there then count for this binding). A binding part that either side does not
        know is not compared, and is recorded once known.
        """
        if self._fd is not None:
            raise JournalError(f"journal {self.path} is already open")
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        except OSError as exc:
            raise JournalError(f"cannot open journal {self.path}: {exc}") from exc
        try:
            _lock(fd, self.path)
            self._entries, (self.target, self.client) = _load(fd, self.path)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        try:
            self._bind(target, client, rebind)
        except BaseException:
            self.close()
            raise

    def _bind(self, target: str | None, client: str | None, rebind: bool) -> None:
        known = (self.target, self.client)
        wanted = (target or self.target, client or self.client)
        if wanted == known:
            return
        for part, mine, theirs in (("server", known[0], target), ("client", known[1], client)):
            if mine is not None and theirs is not None and mine != theirs and not rebind:
                raise JournalError(
                    f"journal {self.path} belongs to {part} {mine}, not {theirs}: its records say "
                    "nothing about this one (use another journal, or rebind it if you mean it)"
                )
        record = {"kind": _BINDING, "target": wanted[0], "client": wanted[1]}
        self._append({k: v for k, v in record.items() if v is not None})
        self.target, self.client = wanted

    def close(self) -> None:
        """Close the file (the loaded states stay readable). Safe to call more than once."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # also releases the flock

    def get(self, kind: str, key: BatchKey) -> JournalEntry | None:
        """The last recorded state of ``key``, or ``None``."""
        code = self._entries.get(kind, {}).get(key)
        return None if code is None else JournalEntry._decode(code)

    def __len__(self) -> int:
        return sum(len(keys) for keys in self._entries.values())

    def counts(self) -> dict[str, int]:
        """How many keys are in each last-recorded state."""
        result: dict[str, int] = {}
        for keys in self._entries.values():
            for code in keys.values():
                status = _CODES[(code >> 1) & 3]
                result[status] = result.get(status, 0) + 1
        return result

    def sending(self, kind: str, key: BatchKey, content: int | None = None) -> None:
        """Record that a request for ``key`` (with ``content``'s hash) is about to be sent."""
        self._write(kind, key, SENDING, False, 0, None, content)

    def finished(
        self,
        kind: str,
        key: BatchKey,
        status: str,
        *,
        unknown: bool,
        attempts: int,
        error: str | None,
    ) -> None:
        """Record an item's final outcome in this run."""
        self._write(kind, key, status, unknown, attempts, error)

    def _write(
        self,
        kind: str,
        key: BatchKey,
        status: str,
        unknown: bool,
        attempts: int,
        error: str | None,
        content: int | None = None,
    ) -> None:
        record: dict[str, Any] = {"kind": kind, "key": key, "status": status}
        if content:
            record["hash"] = f"{content:016x}"
        if status != SENDING:
            record["attempts"] = attempts
            if unknown:
                record["unknown"] = True
            if error:
                record["error"] = error
            record["at"] = datetime.now(UTC).isoformat(timespec="milliseconds")
        self._append(record)
        keys = self._entries.setdefault(kind, {})
        known = content or (keys.get(key, 0) >> 3)  # a final line keeps the content of SENDING
        keys[key] = known << 3 | _CODE_OF[status] << 1 | unknown

    def _append(self, record: dict[str, Any]) -> None:
        fd = self._fd
        if fd is None:
            raise JournalError(f"journal {self.path} is not open")
        data = (json.dumps(record, separators=(",", ":")) + "\n").encode()
        try:
            written = os.write(fd, data)
            while written < len(data):  # a short write is rare (disk full); finish the line
                written += os.write(fd, data[written:])
            if self.fsync:
                os.fsync(fd)
        except OSError as exc:
            raise JournalError(f"cannot write journal {self.path}: {exc}") from exc


def _lock(fd: int, path: str) -> None:
    if fcntl is None:  # pragma: no cover - Windows
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        raise JournalError(f"journal {path} is in use by another process") from exc


def _load(fd: int, path: str) -> tuple[dict[str, dict[BatchKey, int]], _Binding]:
    """Read the journal line by line (never whole), cut off a torn last line; find its binding."""
    entries: dict[str, dict[BatchKey, int]] = {}
    binding: _Binding = (None, None)
    complete = 0
    with open(fd, "rb", closefd=False) as reader:
        for number, line in enumerate(reader, start=1):
            if not line.endswith(b"\n"):
                break  # a torn last line: that item is simply not recorded
            complete += len(line)
            if not line.strip():
                continue
            record = _record(line, path, number)
            if record.get("kind") == _BINDING:
                binding = _binding(record, line, path, number)
                continue
            kind, key, code, content = _parse(record, line, path, number)
            keys = entries.setdefault(kind, {})
            keys[key] = (content or keys.get(key, 0) >> 3) << 3 | code
    if complete < os.fstat(fd).st_size:
        os.ftruncate(fd, complete)
    return entries, binding


def _record(line: bytes, path: str, number: int) -> dict[str, Any]:
    try:
        record = json.loads(line)
    except ValueError as exc:
        raise JournalError(f"{path}:{number}: unreadable journal line") from exc
    if not isinstance(record, dict):
        raise JournalError(f"{path}:{number}: unexpected journal line {line[:200]!r}")
    return record


def _binding(record: dict[str, Any], line: bytes, path: str, number: int) -> _Binding:
    target, client = record.get("target"), record.get("client")
    if not isinstance(target, str | None) or not isinstance(client, str | None):
        raise JournalError(f"{path}:{number}: unexpected journal line {line[:200]!r}")
    return target, client


def client_fingerprint(client_id: str) -> str:
    """A short, stable fingerprint of a creditor account's ``client_id`` (what a journal keeps)."""
    return hashlib.sha256(f"confirma-client:{client_id}".encode()).hexdigest()[:16]


def _parse(
    record: dict[str, Any], line: bytes, path: str, number: int
) -> tuple[str, BatchKey, int, int]:
    try:
        kind, key, status = record["kind"], record["key"], record["status"]
        content = int(record.get("hash") or "0", 16)
    except (ValueError, TypeError, KeyError) as exc:
        raise JournalError(f"{path}:{number}: unreadable journal line") from exc
    valid_key = isinstance(key, int | str) and not isinstance(key, bool)
    if not isinstance(kind, str) or not valid_key or status not in _STATUSES:
        raise JournalError(f"{path}:{number}: unexpected journal line {line[:200]!r}")
    return kind, key, _CODE_OF[status] << 1 | bool(record.get("unknown", False)), content
