"""Artifacts both ways: files and directories up (streamed, digest sent so the server checks
it), a model directory with a manifest of its files, and reading back: a run's artifacts or a
registered model ("recommender@production") down to a directory, streamed to disk, resumed
with HTTP Range where a previous download stopped, and each file checked against its sha256."""
from __future__ import annotations

import hashlib
import http.client
import json
import mimetypes
import os
import socket
import urllib.parse
from pathlib import Path
from typing import Any, Iterable

from ._http import RunledgerError, Transport, _Transient, backoff_delays

MANIFEST = "runledger-model.json"
MANIFEST_MEDIA_TYPE = "application/vnd.runledger.model+json"
CHUNK = 1 << 20

ARTIFACT_FIELDS = "id name kind digest sizeBytes mediaType downloadUrl createdAt"
RUN_ARTIFACTS = f"""query($id: ID!) {{ run(id: $id) {{ id artifacts {{ {ARTIFACT_FIELDS} }} }} }}"""
MODEL_VERSION = f"""query($r: String!) {{ lookup(ref: $r) {{ __typename ... on ModelVersion {{ id version model {{ name }}
  artifact {{ {ARTIFACT_FIELDS} }} run {{ id artifacts {{ {ARTIFACT_FIELDS} }} }} }} }} }}"""


def sha256_file(path: str | os.PathLike, h: Any = None) -> str:
    h = h or hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def files_under(directory: Path) -> list[tuple[str, Path]]:
    """(relative posix path, file) for every file under a directory, in a stable order; links
    are followed only when they stay inside it."""
    root = directory.resolve()
    out = []
    for dirpath, dirnames, filenames in os.walk(directory):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if root not in path.resolve().parents:
                continue
            out.append((path.relative_to(directory).as_posix(), path))
    return out


def upload_artifact(transport: Transport, run_id: str, data: bytes | Path, name: str, kind: str,
                    media_type: str | None = None, key: str | None = None, step: int | None = None) -> dict:
    """One file (or bytes) to a run, with its sha256 (and, for media, the key and step it is
    logged under): straight to the object store when the server offers direct transfer; a large
    file through a resumable upload session (a dropped connection resends at most one chunk);
    anything else in one streamed PUT /artifacts/runs/<run>."""
    if isinstance(data, Path):
        digest = sha256_file(data)
        length = data.stat().st_size
        media_type = media_type or mimetypes.guess_type(data.name)[0]
    else:
        digest = hashlib.sha256(data).hexdigest()
        length = len(data)
    if transport.direct_transfer and key is None and step is None:
        from ._artifacts import direct_off, upload_direct

        try:
            return upload_direct(transport, run_id, data, name, kind, digest, length, media_type)
        except RunledgerError as err:
            if not direct_off(err):
                raise
            transport.direct_transfer = False  # the server carries every byte itself: ask once per client
    if isinstance(data, Path) and length >= transport.session_bytes and key is None and step is None:
        from ._sessions import NotOffered, upload_in_session

        try:
            return upload_in_session(transport, run_id, data, name, kind, digest, length, media_type)
        except NotOffered:
            pass  # an older server: one streamed request below
    params = {"name": name, "kind": kind, "sha256": digest, **({"mediaType": media_type} if media_type else {})}
    if key is not None:
        params["key"] = key
    if step is not None:
        params["step"] = str(step)
    query = urllib.parse.urlencode(params)
    path = f"/artifacts/runs/{urllib.parse.quote(run_id, safe='')}?{query}"
    headers = {"content-type": media_type or "application/octet-stream", "content-length": str(length)}
    if isinstance(data, Path) and length >= (64 << 20):
        # Streamed from the file; a retry reopens it, so it starts from the first byte again.
        next_delay = backoff_delays(transport.retry_seconds)
        while True:
            with open(data, "rb") as body:
                try:
                    status, raw = transport.send_once("PUT", path, body, headers)
                    break
                except _Transient as t:
                    delay = next_delay(t.retry_after)
                    if delay is None:
                        raise RunledgerError(f"artifact {name}: upload failed: {t}", code="UNAVAILABLE") from None
                    import time
                    time.sleep(delay)
    else:
        status, _, raw = transport.request("PUT", path, data.read_bytes() if isinstance(data, Path) else data, headers)
    payload = json.loads(raw or b"{}")
    if status >= 300:
        err = (payload.get("errors") or [{}])[0]
        ext = err.get("extensions") or {}
        raise RunledgerError(f"artifact {name}: {err.get('message', f'HTTP {status}')}", code=ext.get("code"), field=ext.get("field"), status=status, details=ext)
    return payload["artifact"]


def upload_dir(transport: Transport, run_id: str, directory: Path, prefix: str, kind: str = "OTHER") -> list[dict]:
    return [upload_artifact(transport, run_id, path, f"{prefix}/{rel}", kind) for rel, path in files_under(directory)]


def manifest_for(files: Iterable[tuple[str, Path]]) -> bytes:
    entries = [{"path": rel, "sha256": sha256_file(path), "sizeBytes": path.stat().st_size} for rel, path in files]
    return json.dumps({"format": "runledger.model/1", "files": entries}, indent=1, sort_keys=True).encode()


# ---- reading back ------------------------------------------------------------------------------
def download_file(transport: Transport, artifact: dict, target: Path, retry_seconds: float | None = None) -> Path:
    """Streams one artifact to `target`. A `target.part` left by an interrupted download is
    continued with a Range request (If-Range on the digest, so changed bytes restart it); the
    result must hash to the artifact's digest, or nothing is kept. An existing target with the
    right digest is not downloaded again."""
    digest, size = artifact["digest"], int(artifact["sizeBytes"])
    if target.exists() and target.stat().st_size == size and sha256_file(target) == digest:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    next_delay = backoff_delays(transport.retry_seconds if retry_seconds is None else retry_seconds)
    while True:
        try:
            _fetch_into(transport, artifact, part)
            break
        except _Transient as t:
            delay = next_delay(t.retry_after)
            if delay is None:
                raise RunledgerError(f"download of {artifact['name']} failed: {t}; run it again to resume from {part.stat().st_size if part.exists() else 0} bytes",
                                     code="UNAVAILABLE") from None
            import time
            time.sleep(delay)
    got = sha256_file(part)
    if got != digest:
        part.unlink()
        raise RunledgerError(f"download of {artifact['name']}: sha256 {got} does not match the artifact's {digest}; nothing was kept", code="CONFLICT")
    os.replace(part, target)
    return target


def _fetch_into(transport: Transport, artifact: dict, part: Path) -> None:
    have = part.stat().st_size if part.exists() else 0
    size = int(artifact["sizeBytes"])
    if have > size:
        part.unlink()
        have = 0
    if have == size:
        return
    direct = artifact.get("directDownloadUrl")
    # The server's route wants the caller's token and names the bytes by their digest (ETag);
    # a presigned URL carries its own signature, and the store's ETag is its own.
    headers = {"accept": "*/*"} if direct else transport.headers({"accept": "*/*"})
    if have:
        headers["range"] = f"bytes={have}-"
        if not direct:
            headers["if-range"] = f'"{artifact["digest"]}"'
    if direct:
        parts = urllib.parse.urlsplit(direct)
        cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        conn, target = cls(parts.hostname, parts.port, timeout=transport.timeout), parts.path + (f"?{parts.query}" if parts.query else "")
    else:
        conn, target = transport.connect(), transport._base + artifact["downloadUrl"]
    try:
        conn.request("GET", target, headers=headers)
        resp = conn.getresponse()
        if resp.status in (500, 502, 503, 504):
            raise _Transient(f"HTTP {resp.status}")
        if resp.status not in (200, 206):
            body = resp.read()
            try:
                err = (json.loads(body).get("errors") or [{}])[0]
            except ValueError:
                err = {"message": body[:200].decode(errors="replace")}
            raise RunledgerError(f"download of {artifact['name']}: {err.get('message')}", code=(err.get("extensions") or {}).get("code"), status=resp.status)
        mode = "ab" if resp.status == 206 else "wb"
        with open(part, mode) as out:
            while True:
                chunk = resp.read(CHUNK)
                if not chunk:
                    break
                out.write(chunk)
    except (OSError, http.client.HTTPException, socket.timeout) as err:
        raise _Transient(f"{type(err).__name__}: {err}") from err
    finally:
        conn.close()
    if part.stat().st_size != size:
        raise _Transient(f"connection ended after {part.stat().st_size} of {size} bytes")


def newest_by_name(artifacts: list[dict]) -> dict[str, dict]:
    """A name uploaded again with other bytes has several artifacts; the newest counts."""
    out: dict[str, dict] = {}
    for a in artifacts:  # oldest first
        out[a["name"]] = a
    return out


def under(artifacts: dict[str, dict], path: str) -> dict[str, dict]:
    """Artifacts named `path` or under `path/` ('' for all), by name."""
    path = path.strip("/")
    return {n: a for n, a in artifacts.items() if not path or n == path or n.startswith(path + "/")}


def download_run_artifacts(transport: Transport, run_id: str, path: str, dst: str | os.PathLike) -> list[Path]:
    run = transport.graphql(RUN_ARTIFACTS, {"id": run_id})["run"]
    if run is None:
        raise RunledgerError(f"run {run_id!r} not found", code="NOT_FOUND")
    chosen = under(newest_by_name(run["artifacts"]), path)
    if not chosen:
        raise RunledgerError(f"run {run_id} has no artifact named {path!r} or under it", code="NOT_FOUND", field="path")
    dst = Path(dst)
    return [download_file(transport, a, _inside(dst, name)) for name, a in sorted(chosen.items())]


def download_model(transport: Transport, ref: str, dst: str | os.PathLike) -> Path:
    """A registered model version ("name@alias", "name/3") into dst: every file of its directory
    (from its manifest when the client logged it, else every artifact under the registered file's
    folder), each digest-checked. Returns dst."""
    node = transport.graphql(MODEL_VERSION, {"r": ref})["lookup"]
    if node is None or node.get("__typename") != "ModelVersion":
        raise RunledgerError(f"model version {ref!r} not found: give name@alias or name/version", code="NOT_FOUND", field="ref")
    dst = Path(dst)
    anchor = node["artifact"]
    by_name = newest_by_name(node["run"]["artifacts"])
    folder = anchor["name"].rsplit("/", 1)[0] if "/" in anchor["name"] else ""
    if anchor["name"].split("/")[-1] == MANIFEST:
        manifest_path = download_file(transport, anchor, dst / MANIFEST)
        manifest = json.loads(manifest_path.read_text())
        for entry in manifest["files"]:
            name = f"{folder}/{entry['path']}" if folder else entry["path"]
            match = [a for a in node["run"]["artifacts"] if a["name"] == name and a["digest"] == entry["sha256"]]
            if not match:
                raise RunledgerError(f"{ref}: file {entry['path']} (sha256 {entry['sha256']}) of the model is missing from run {node['run']['id']}", code="NOT_FOUND")
            download_file(transport, match[-1], _inside(dst, entry["path"]))
        return dst
    if not folder:
        download_file(transport, anchor, dst / anchor["name"])
        return dst
    for name, a in sorted(under(by_name, folder).items()):
        download_file(transport, a if name != anchor["name"] else anchor, _inside(dst, name[len(folder) + 1:]))
    return dst


def _inside(root: Path, name: str) -> Path:
    """Where an artifact named `name` lands under root; a name is a label, so one that would
    escape root (absolute, or with ..) is refused rather than followed."""
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        raise RunledgerError(f"artifact name {name!r} cannot be a path under {root}", code="BAD_USER_INPUT", field="name")
    return root.joinpath(*parts)
