"""The local spool: what a run could not deliver yet (the server was away, the run is offline, or
finish() handed the rest to a background upload), one JSON line per operation, uploaded in order
by the run itself once the server answers, or by `runledger sync`. Every operation is retry-safe
(batch ids, client run ids, content digests), so uploading one twice stores it once.

Beside it: refused/<run>.jsonl keeps what the server refused for good (with the reason), files/
holds copies of artifacts logged offline, and ids.json maps offline runs to their server ids."""
from __future__ import annotations

import contextlib
import hashlib
import json
import marshal
import os
import uuid
import shutil
import threading
from pathlib import Path
from typing import Iterator

from . import _config

try:
    import fcntl
except ImportError:  # Windows: no cross-process lock; a second uploader only repeats retry-safe writes
    fcntl = None  # type: ignore[assignment]

_lock = threading.Lock()


def _safe(run_key: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in run_key)


def _file(directory: Path, run_key: str) -> Path:
    return directory / f"{_safe(run_key)}.jsonl"


def path_of(run_key: str, directory: Path | None = None) -> Path:
    return _file(directory or _config.spool_dir(), run_key)


def append(run_id: str, url: str, entry: dict, directory: Path | None = None) -> Path:
    """Adds one operation ({"op": ..., "input": ...}) to the run's spool file, durably."""
    return append_many(run_id, url, [entry], directory)


def append_many(run_id: str, url: str, items: list[dict], directory: Path | None = None) -> Path:
    directory = directory or _config.spool_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = _file(directory, run_id)
    text = "".join(json.dumps({"url": url, "runId": run_id, **entry}, allow_nan=False) + "\n" for entry in items)
    with _lock, open(path, "a", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    return path


def pending(directory: Path | None = None) -> list[Path]:
    """A spool file per run with something to send (also one an uploader died while sending)."""
    directory = directory or _config.spool_dir()
    if not directory.is_dir():
        return []
    return sorted({p.with_suffix(".jsonl") for p in directory.iterdir() if p.suffix in (".jsonl", ".sending")})


def entries(path: Path) -> Iterator[dict]:
    if not path.exists():
        return
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
    return any(p.exists() and p.stat().st_size > 0 for p in (path, path.with_suffix(".sending")))


def take(run_id: str, directory: Path | None = None) -> list[dict]:
    """A run's spooled operations, to send in order. They stay on disk (as <run>.sending) until
    done() or put_back(): an uploader that dies half way loses nothing, and the next one sends
    them again (every operation is retry-safe)."""
    path = _file(directory or _config.spool_dir(), run_id)
    sending = path.with_suffix(".sending")
    with _lock:
        items = list(entries(sending)) + list(entries(path))
        if not items:
            return []
        _write(sending, items)
        path.unlink(missing_ok=True)
    return items


def done(run_id: str, directory: Path | None = None) -> None:
    """Everything take() returned was sent."""
    _file(directory or _config.spool_dir(), run_id).with_suffix(".sending").unlink(missing_ok=True)


def put_back(items: list[dict], directory: Path | None = None) -> None:
    """Returns taken operations that could not be sent, ahead of anything spooled meanwhile."""
    if not items:
        return
    directory = directory or _config.spool_dir()
    path = _file(directory, items[0]["runId"])
    with _lock:
        _write(path, [*items, *entries(path)])
        path.with_suffix(".sending").unlink(missing_ok=True)


def _write(path: Path, items: list[dict]) -> None:
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        for item in items:
            f.write(json.dumps(item, allow_nan=False) + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


@contextlib.contextmanager
def uploading(run_key: str, directory: Path | None = None, wait: bool = False):
    """Holds the run's upload lock (one uploader per run across processes); yields False when
    another process holds it and wait is False."""
    directory = directory or _config.spool_dir()
    directory.mkdir(parents=True, exist_ok=True)
    if fcntl is None:
        yield True
        return
    (directory / "locks").mkdir(parents=True, exist_ok=True)
    with open(directory / "locks" / f"{_safe(run_key)}.lock", "a+") as f:
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def append_blob(run_id: str, url: str, op: str, obj: object, directory: Path | None = None) -> Path:
    """Spools a large operation (finish() handing its backlog to the background upload) as one
    binary file beside the spool and one line naming it: marshal writes a million values in a
    fraction of a second, where building JSON batches would take many."""
    directory = directory or _config.spool_dir()
    data = marshal.dumps(obj)
    target = directory / "files" / f"{op}-{uuid.uuid4().hex}.bin"
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    return append(run_id, url, {"op": op, "input": {"blob": str(target), "sha256": hashlib.sha256(data).hexdigest()}}, directory)


def read_blob(entry_input: dict) -> object:
    with open(entry_input["blob"], "rb") as f:
        return marshal.loads(f.read())


# ---- offline runs: their server ids, and copies of their files ----------------------------------
def _ids_file(directory: Path | None = None) -> Path:
    return (directory or _config.spool_dir()) / "ids.json"


def server_id(local_id: str, directory: Path | None = None) -> str | None:
    try:
        return json.loads(_ids_file(directory).read_text()).get(local_id)
    except (OSError, ValueError):
        return None


def remember_server_id(local_id: str, run_id: str, directory: Path | None = None) -> None:
    path = _ids_file(directory)
    with _lock:
        try:
            ids = json.loads(path.read_text())
        except (OSError, ValueError):
            ids = {}
        ids[local_id] = run_id
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(ids))
        os.replace(tmp, path)


def keep_file(path: Path, directory: Path | None = None) -> tuple[str, Path]:
    """Copies a file logged offline into the spool (by digest) so a later sync can upload it."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    digest = h.hexdigest()
    target = (directory or _config.spool_dir()) / "files" / digest
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".tmp")
        shutil.copyfile(path, tmp)
        os.replace(tmp, target)
    return digest, target


def keep_bytes(data: bytes, directory: Path | None = None) -> tuple[str, Path]:
    digest = hashlib.sha256(data).hexdigest()
    target = (directory or _config.spool_dir()) / "files" / digest
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, target)
    return digest, target


# ---- what the server refused for good --------------------------------------------------------
def refused_path(run_key: str, directory: Path | None = None) -> Path:
    return (directory or _config.spool_dir()) / "refused" / f"{_safe(run_key)}.jsonl"


def append_refused(run_key: str, records: list[dict], directory: Path | None = None) -> Path:
    path = refused_path(run_key, directory)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(r, allow_nan=False, default=str) + "\n" for r in records)
    with _lock, open(path, "a", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    return path
