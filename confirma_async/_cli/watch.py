"""``confirma distributions --watch``: follow new and changed distribution records.

Every record is written (and flushed) as it comes; ``--checkpoint`` keeps a JSON file up to date
so that a restart repeats nothing. Ctrl-C ends it normally (exit 0).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from datetime import date, timedelta
from typing import Any

from .. import DistributionRecord
from .params import binary_stream
from .runner import EXIT_OK
from .settings import CliConfigError, Settings
from .writers import writer_for


async def watch(
    settings: Settings,
    since: date,
    interval: float,
    lookback: int,
    checkpoint: str | None,
    window: timedelta,
    fmt: str,
    extra: bool = False,
) -> int:
    """Write the records of ``client.invoices.watch_distributions`` until cancelled."""
    client = settings.client()
    saved = _load_checkpoint(checkpoint)
    writer = writer_for(fmt, binary_stream("stdout"), DistributionRecord, extra=extra)
    writer.flush()
    async with client:
        watcher = client.invoices.watch_distributions(
            since=since,
            interval=interval,
            lookback=timedelta(days=lookback),
            checkpoint=saved,
            window=window,
        )
        saved_at_poll = 0
        try:
            async with watcher:
                async for record in watcher:
                    writer.write(record)
                    writer.flush()
                    if checkpoint is not None and watcher.stats.polls != saved_at_poll:
                        saved_at_poll = watcher.stats.polls
                        _save_checkpoint(checkpoint, watcher.checkpoint)
        finally:
            if checkpoint is not None:
                _save_checkpoint(checkpoint, watcher.checkpoint)
    return EXIT_OK


def _load_checkpoint(path: str | None) -> dict[str, Any] | None:
    if path is None or not os.path.exists(path):
        return None
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError) as exc:
        raise CliConfigError(f"cannot read the checkpoint {path}: {exc}") from None
    if not isinstance(data, dict):
        raise CliConfigError(f"the checkpoint {path} is not a JSON object")
    return data


def _save_checkpoint(path: str, data: dict[str, Any]) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".confirma-checkpoint-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, separators=(",", ":"))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
