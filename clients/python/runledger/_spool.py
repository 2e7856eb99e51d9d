"""The local spool: batches a run could not deliver, one JSON line each, uploaded later by
`runledger sync`. Each line keeps its batchId, so uploading it twice writes it once."""
from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Iterator

from . import _config

_lock = threading.Lock()


def _file(directory: Path, run_id: str) -> Path:
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in run_id)
    return directory / f"{safe}.jsonl"


def append(run_id: str, url: str, entry: dict, directory: Path | None = None) -> Path:
    """Adds one operation ({"op": "logBatch"|"finishRun", "input": ...}) to the run's spool file."""
    directory = directory or _config.spool_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = _file(directory, run_id)
    line = json.dumps({"url": url, "runId": run_id, **entry}) + "\n"
    with _lock, open(path, "a", encoding="utf-8") as f:
        f.write(line)
        f.flush()
        os.fsync(f.fileno())
    return path


def pending(directory: Path | None = None) -> list[Path]:
    directory = directory or _config.spool_dir()
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.suffix == ".jsonl")


def entries(path: Path) -> Iterator[dict]:
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line:
                try:
                    yield json.loads(line)
                except ValueError:
                    continue  # a line cut short by a crash while writing: nothing of it was sent


def has_entries(run_id: str, directory: Path | None = None) -> bool:
    path = _file(directory or _config.spool_dir(), run_id)
    return path.exists() and path.stat().st_size > 0


def take(run_id: str, directory: Path | None = None) -> list[dict]:
    """Removes and returns a run's spooled operations (the caller puts back what it cannot send)."""
    path = _file(directory or _config.spool_dir(), run_id)
    with _lock:
        if not path.exists():
            return []
        items = list(entries(path))
        path.unlink()
    return items


def put_back(items: list[dict], directory: Path | None = None) -> None:
    """Returns taken operations that could not be sent to their run's spool file."""
    for item in items:
        rest = {k: v for k, v in item.items() if k not in ("url", "runId")}
        append(item["runId"], item["url"], rest, directory)
