"""Artifact transfer: uploads through the server's streaming route, or straight to the object
store with presigned URLs when the server offers them (direct transfer), and downloads the
same two ways. The server decides who may upload; this only carries bytes."""
from __future__ import annotations

import hashlib
import http.client
import json
import os
import shutil
import time
import urllib.parse
from pathlib import Path
from typing import Any, BinaryIO

from ._http import RunledgerError, Transport, backoff_delays

ARTIFACT_FIELDS = "id name kind digest sizeBytes mediaType downloadUrl createdAt"
CREATE_UPLOAD = """mutation($i: CreateArtifactUploadInput!) { createArtifactUpload(input: $i) {
  uploadId url method headers { name value } } }"""
COMPLETE_UPLOAD = f"""mutation($i: CompleteArtifactUploadInput!) {{ completeArtifactUpload(input: $i) {{
  created artifact {{ {ARTIFACT_FIELDS} }} }} }}"""
ARTIFACT_URLS = "query($id: ID!) { node(id: $id) { ... on Artifact { name sizeBytes digest downloadUrl directDownloadUrl } } }"


def sha256_file(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def upload_artifact(transport: Transport, run_id: str, data: bytes | Path, name: str, kind: str) -> dict:
    """Uploads bytes or a file (streamed) and returns the artifact; direct to the store when offered."""
    if isinstance(data, Path):
        digest, size = sha256_file(data), data.stat().st_size
    else:
        digest, size = hashlib.sha256(data).hexdigest(), len(data)
    if transport.direct_transfer:
        try:
            return _upload_direct(transport, run_id, data, name, kind, digest, size)
        except RunledgerError as err:
            if err.code != "CONFLICT" or "direct transfer is off" not in str(err):
                raise
            # The server serves every byte itself: ask once per client, not per file.
            transport.direct_transfer = False
    return _upload_proxied(transport, run_id, data, name, kind, digest, size)


def _upload_proxied(transport: Transport, run_id: str, data: bytes | Path, name: str, kind: str, digest: str, size: int) -> dict:
    query = urllib.parse.urlencode({"name": name, "kind": kind, "sha256": digest})
    body: Any = open(data, "rb") if isinstance(data, Path) else data
    try:
        status, _, raw = transport.request("PUT", f"/artifacts/runs/{urllib.parse.quote(run_id, safe='')}?{query}", body,
                                           {"content-type": "application/octet-stream", "content-length": str(size)})
    finally:
        if not isinstance(body, (bytes, bytearray)):
            body.close()
    payload = json.loads(raw or b"{}")
    if status >= 300:
        err = (payload.get("errors") or [{}])[0]
        raise RunledgerError(f"artifact {name}: {err.get('message', f'HTTP {status}')}", code=(err.get("extensions") or {}).get("code"), status=status)
    return payload["artifact"]


def _upload_direct(transport: Transport, run_id: str, data: bytes | Path, name: str, kind: str, digest: str, size: int) -> dict:
    upload = transport.graphql(CREATE_UPLOAD, {"i": {"runId": run_id, "name": name, "kind": kind, "sha256": digest, "sizeBytes": size}})[
        "createArtifactUpload"]
    headers = {h["name"]: h["value"] for h in upload["headers"]}
    _send(upload["method"], upload["url"], data, headers, transport.retry_seconds, transport.timeout)
    done = transport.graphql(COMPLETE_UPLOAD, {"i": {"uploadId": upload["uploadId"]}})["completeArtifactUpload"]
    return done["artifact"]


def _send(method: str, url: str, data: bytes | Path, headers: dict, retry_seconds: float, timeout: float) -> None:
    """One request to a presigned URL, retried (from the first byte) on connection errors and 5xx."""
    parts = urllib.parse.urlsplit(url)
    cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    next_delay = backoff_delays(retry_seconds)
    while True:
        conn = cls(parts.hostname, parts.port, timeout=timeout)
        body: bytes | BinaryIO = open(data, "rb") if isinstance(data, Path) else data
        try:
            conn.request(method, target, body=body, headers=headers)
            resp = conn.getresponse()
            text = resp.read()
            if resp.status < 300:
                return
            if resp.status < 500:
                raise RunledgerError(f"the object store refused the upload: HTTP {resp.status} {text[:300]!r}", code="BAD_USER_INPUT", status=resp.status)
            cause = f"HTTP {resp.status}"
        except (OSError, http.client.HTTPException) as err:
            cause = f"{type(err).__name__}: {err}"
        finally:
            conn.close()
            if not isinstance(body, (bytes, bytearray)):
                body.close()
        delay = next_delay(None)
        if delay is None:
            raise RunledgerError(f"cannot reach the object store at {parts.hostname}: {cause}", code="UNAVAILABLE")
        time.sleep(delay)


def download_artifact(transport: Transport, artifact_id: str, dest: str | os.PathLike) -> Path:
    """Writes an artifact's bytes to `dest` (a file, or a directory to put it in by its name), checking its sha256."""
    node = transport.graphql(ARTIFACT_URLS, {"id": artifact_id})["node"]
    if not node:
        raise RunledgerError(f"artifact {artifact_id} not found", code="NOT_FOUND")
    dest = Path(dest)
    if dest.is_dir():
        dest = dest / (node["name"].split("/")[-1] or "artifact")
    url = node["directDownloadUrl"] or transport.url + node["downloadUrl"]
    parts = urllib.parse.urlsplit(url)
    cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    conn = cls(parts.hostname, parts.port, timeout=transport.timeout)
    # The server's own route wants the caller's token; a presigned URL carries its own signature.
    headers = {} if node["directDownloadUrl"] else transport.headers()
    try:
        conn.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""), headers=headers)
        resp = conn.getresponse()
        if resp.status != 200:
            raise RunledgerError(f"artifact {artifact_id}: HTTP {resp.status} {resp.read()[:300]!r}", status=resp.status)
        tmp = dest.with_name(dest.name + ".part")
        h = hashlib.sha256()
        with open(tmp, "wb") as out:
            for chunk in iter(lambda: resp.read(1 << 20), b""):
                h.update(chunk)
                out.write(chunk)
    finally:
        conn.close()
    if h.hexdigest() != node["digest"]:
        tmp.unlink(missing_ok=True)
        raise RunledgerError(f"artifact {artifact_id}: the bytes received hash to {h.hexdigest()}, not {node['digest']}")
    shutil.move(str(tmp), dest)
    return dest
