"""Direct transfer: when the server keeps artifacts in an object store and offers presigned URLs,
bytes go between the client and the store without passing through the server. The server still
decides who may upload (createArtifactUpload) and records the artifact (completeArtifactUpload);
this only carries bytes. artifacts.py falls back to the server's own routes when it is not offered."""
from __future__ import annotations

import http.client
import os
import time
import urllib.parse
from pathlib import Path
from typing import BinaryIO

from ._http import RunledgerError, Transport, backoff_delays

ARTIFACT_FIELDS = "id name kind digest sizeBytes mediaType downloadUrl createdAt"
CREATE_UPLOAD = """mutation($i: CreateArtifactUploadInput!) { createArtifactUpload(input: $i) {
  uploadId url method headers { name value } } }"""
COMPLETE_UPLOAD = f"""mutation($i: CompleteArtifactUploadInput!) {{ completeArtifactUpload(input: $i) {{
  created artifact {{ {ARTIFACT_FIELDS} }} }} }}"""
ARTIFACT_URLS = f"query($id: ID!) {{ node(id: $id) {{ ... on Artifact {{ {ARTIFACT_FIELDS} directDownloadUrl }} }} }}"


def direct_off(err: RunledgerError) -> bool:
    """The server says it offers no direct transfer (a CONFLICT with directTransfer: off)."""
    return err.code == "CONFLICT" and (err.details or {}).get("directTransfer") == "off"


def upload_direct(transport: Transport, run_id: str, data: bytes | Path, name: str, kind: str, digest: str, size: int,
                  media_type: str | None = None) -> dict:
    inp = {"runId": run_id, "name": name, "kind": kind, "sha256": digest, "sizeBytes": size, **({"mediaType": media_type} if media_type else {})}
    upload = transport.graphql(CREATE_UPLOAD, {"i": inp})["createArtifactUpload"]
    headers = {h["name"]: h["value"] for h in upload["headers"]}
    _send(upload["method"], upload["url"], data, headers, transport.retry_seconds, transport.timeout)
    return transport.graphql(COMPLETE_UPLOAD, {"i": {"uploadId": upload["uploadId"]}})["completeArtifactUpload"]["artifact"]


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
    """Writes an artifact's bytes to `dest` (a file, or a directory to put it in by its name):
    from the object store when the server offers direct transfer, else through the server;
    resumable and checked against its sha256 (artifacts.download_file)."""
    from .artifacts import download_file

    node = transport.graphql(ARTIFACT_URLS, {"id": artifact_id})["node"]
    if not node:
        raise RunledgerError(f"artifact {artifact_id} not found", code="NOT_FOUND")
    dest = Path(dest)
    if dest.is_dir():
        dest = dest / (node["name"].split("/")[-1] or "artifact")
    return download_file(transport, node, dest)
