"""Resumable uploads through the server, for large files: the server opens an upload session,
takes the file in chunks at an offset, and registers it on completion once the whole hashes to
its sha256. A dropped connection or a 5xx costs at most the chunk in flight: the client asks the
session for its offset and goes on from there, with backoff. artifacts.py uses this for files of
at least `Transport.session_bytes` when direct transfer is not offered."""
from __future__ import annotations

import json
import time
import urllib.parse
from pathlib import Path
from typing import BinaryIO

from ._http import RunledgerError, Transport, _Transient, backoff_delays

# The largest chunk the client sends; the server may take less (its chunkMaxBytes).
CHUNK_BYTES = 64 << 20


class NotOffered(Exception):
    """The server has no upload sessions (an older server): upload in one request instead."""


class _Slice:
    """`length` bytes of an open file from where it stands, read in blocks: a chunk is streamed, never held whole."""

    def __init__(self, f: BinaryIO, length: int):
        self._f, self._left = f, length

    def read(self, n: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        n = self._left if n is None or n < 0 else min(n, self._left)
        data = self._f.read(n)
        self._left -= len(data)
        return data


def _answer(status: int, raw: bytes, name: str) -> dict:
    payload = json.loads(raw or b"{}")
    if status >= 300:
        err = (payload.get("errors") or [{}])[0]
        ext = err.get("extensions") or {}
        raise RunledgerError(f"artifact {name}: {err.get('message', f'HTTP {status}')}", code=ext.get("code"), field=ext.get("field"),
                             status=status, details=ext)
    return payload


def _offset_of(transport: Transport, session: str, name: str) -> dict:
    status, _, raw = transport.request("GET", session)
    return _answer(status, raw, name)


def upload_in_session(transport: Transport, run_id: str, path: Path, name: str, kind: str, digest: str, size: int,
                      media_type: str | None = None) -> dict:
    """Uploads a file through a resumable session and answers the registered artifact."""
    opened_at = f"/artifacts/runs/{urllib.parse.quote(run_id, safe='')}/uploads"
    body = {"name": name, "kind": kind, "sha256": digest, "sizeBytes": size, **({"mediaType": media_type} if media_type else {})}
    # Opening twice (a retry whose answer was lost) leaves an unused session that simply expires.
    status, _, raw = transport.request("POST", opened_at, json.dumps(body).encode(), {"content-type": "application/json"})
    if status in (404, 405) and b"expected PUT" in raw:
        raise NotOffered()
    opened = _answer(status, raw, name)
    session = f"/artifacts/uploads/{urllib.parse.quote(opened['uploadId'], safe='')}"
    chunk = max(1, min(CHUNK_BYTES, int(opened["chunkMaxBytes"])))
    offset = int(opened["offset"])
    next_delay = backoff_delays(transport.retry_seconds)
    with open(path, "rb") as f:
        while offset < size:
            n = min(chunk, size - offset)
            f.seek(offset)
            headers = {"upload-offset": str(offset), "content-length": str(n), "content-type": "application/octet-stream"}
            try:
                status, raw = transport.send_once("PUT", session, _Slice(f, n), headers)
            except _Transient as t:
                transport.failed_attempts += 1
                delay = next_delay(t.retry_after)
                if delay is None:
                    raise RunledgerError(f"artifact {name}: upload failed at offset {offset} of {size}: {t}", code="UNAVAILABLE") from None
                time.sleep(delay)
                # Whatever of the chunk arrived was not kept: the session says where to go on from.
                offset = int(_offset_of(transport, session, name)["offset"])
                continue
            if status == 409:
                # A chunk whose answer was lost landed after all (or the upload is complete): go on from the session's offset.
                ext = ((json.loads(raw or b"{}").get("errors") or [{}])[0].get("extensions") or {})
                if isinstance(ext.get("offset"), int) and ext["offset"] != offset:
                    offset = ext["offset"]
                    continue
            offset = int(_answer(status, raw, name)["offset"])
            next_delay = backoff_delays(transport.retry_seconds)  # progress: a fresh budget for the next outage
    # Completion is idempotent on the server: a retry after success answers the same artifact.
    status, _, raw = transport.request("POST", f"{session}/complete", b"", {"content-length": "0"})
    return _answer(status, raw, name)["artifact"]
