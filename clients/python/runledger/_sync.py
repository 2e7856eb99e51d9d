"""Uploading spooled operations in order (by the run once the server is back, by a background
upload after finish() handed off, or by `runledger sync`). Each operation is retry-safe, so an
upload cut short and started again stores everything once: startRun by its clientRunId,
logBatch by its batchId, artifacts by name and digest, the rest by being idempotent."""
from __future__ import annotations

import concurrent.futures
import itertools
import sys
import urllib.parse
from pathlib import Path
from typing import Callable, Union

from . import _spool
from ._http import RunledgerError, Transport, Unreachable
from ._writer import Refused, build_batches, deliver, points_of

START_RUN = """mutation($i: StartRunInput!) { startRun(input: $i) { created run { id name project { name } } } }"""
FINISH_RUN = """mutation($i: FinishRunInput!) { finishRun(input: $i) { run { status } } }"""
UPDATE_RUN = """mutation($i: UpdateRunInput!) { updateRun(input: $i) { run { id } } }"""
SET_TAGS = """mutation($i: SetTagsInput!) { setTags(input: $i) { run { id } } }"""
CREATE_PROJECT = """mutation($i: CreateProjectInput!) { createProject(input: $i) { created } }"""
REGISTER_DATASET = """mutation($i: RegisterDatasetVersionInput!) { registerDatasetVersion(input: $i) { datasetVersion { id version digest } } }"""
LOG_INPUTS = """mutation($i: LogInputsInput!) { logInputs(input: $i) { datasetInputsWritten } }"""
CREATE_MODEL_VERSION = """mutation($i: CreateModelVersionInput!) { createModelVersion(input: $i) { modelVersion { id version model { name } } } }"""
SET_ALIAS = """mutation($i: SetModelAliasInput!) { setModelAlias(input: $i) { changed } }"""

OFFLINE_PREFIX = "offline-"

TransportFor = Union[Transport, Callable[[str], Transport]]


class Stats:
    def __init__(self) -> None:
        self.runs: dict[str, str] = {}  # spool key -> server run id
        self.urls: dict[str, str] = {}  # spool key -> server URL
        self.batches = 0
        self.points = 0
        self.refused: list[str] = []  # summaries of what the server refused, per run


def send_items(transport: TransportFor, items: list[dict], refused: Refused | None = None, *,
               retry_seconds: float | None = None, stats: Stats | None = None) -> bool:
    """Sends items in order; on an unreachable server puts back the rest and returns False."""
    for i, item in enumerate(items):
        t = transport(item["url"]) if callable(transport) else transport
        try:
            _send(t, item, refused or Refused(item["runId"]), retry_seconds, stats)
        except Unreachable:
            _spool.put_back(items[i:])
            return False
    if items:
        _spool.done(items[0]["runId"])
    return True


def run_id_of(key: str) -> str | None:
    """The server id of a spooled run: itself, or what its startRun got for an offline run."""
    return _spool.server_id(key) if key.startswith(OFFLINE_PREFIX) else key


def _send(t: Transport, item: dict, refused: Refused, retry_seconds: float | None, stats: Stats | None) -> None:
    op, inp, key = item["op"], item.get("input") or {}, item["runId"]
    if op == "startRun":
        t.graphql(CREATE_PROJECT, {"i": {"name": inp["project"]}}, retry_seconds=retry_seconds)
        run = t.graphql(START_RUN, {"i": inp}, retry_seconds=retry_seconds)["startRun"]["run"]
        _spool.remember_server_id(key, run["id"])
        if stats is not None:
            stats.runs[key] = run["id"]
            stats.urls[key] = t.url
        return
    run_id = run_id_of(key)
    if run_id is None:
        refused.add_op(item, "the run was never started on the server (its startRun is missing from the spool)")
        return
    if stats is not None:
        stats.runs.setdefault(key, run_id)
        stats.urls.setdefault(key, t.url)
    if op in ("logBatch", "logBatches", "logItems"):
        def unreachable(_batch: dict) -> None:
            raise Unreachable(t.url, "while sending spooled batches")

        def counted(batch: dict) -> None:
            if stats is not None:
                stats.batches += 1
                stats.points += points_of(batch)

        if op != "logBatch" and not Path(inp["blob"]).exists():
            return  # removed once sent, by an uploader that died before it could say so
        if op == "logBatch":
            batches = [inp]
        elif op == "logBatches":
            batches = list(_spool.read_blob(inp))
        else:  # raw items a finish() handed off: batch ids derived from the blob, so a rerun repeats them
            ids = (f"{inp['sha256'][:24]}.{i}" for i in itertools.count())
            meta, points, _ = build_batches(_spool.read_blob(inp), ids)
            batches = meta + points
        send = lambda b: deliver(t, run_id, b, refused, retry_seconds=retry_seconds, on_unreachable=unreachable, counter=counted)  # noqa: E731
        meta = [b for b in batches if "series" not in b]
        for b in meta:
            send(b)
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            list(pool.map(send, [b for b in batches if "series" in b]))
        if op != "logBatch":
            Path(inp["blob"]).unlink(missing_ok=True)
        return
    try:
        if op == "finishRun":
            t.graphql(FINISH_RUN, {"i": {**inp, "runId": run_id}}, retry_seconds=retry_seconds)
        elif op == "updateRun":
            t.graphql(UPDATE_RUN, {"i": {**inp, "runId": run_id}}, retry_seconds=retry_seconds)
        elif op == "setTags":
            t.graphql(SET_TAGS, {"i": {**inp, "runId": run_id}}, retry_seconds=retry_seconds)
        elif op == "uploadArtifact":
            upload_file(t, run_id, Path(inp["file"]), inp["name"], inp["kind"], inp.get("mediaType"), inp.get("key"), inp.get("step"))
        elif op == "logDataset":
            dv = t.graphql(REGISTER_DATASET, {"i": inp["version"]}, retry_seconds=retry_seconds)["registerDatasetVersion"]["datasetVersion"]
            t.graphql(LOG_INPUTS, {"i": {"runId": run_id, "datasets": [{"datasetVersionId": dv["id"], "role": inp["role"]}]}}, retry_seconds=retry_seconds)
        elif op == "logModel":
            up = inp["anchor"]
            artifact = upload_file(t, run_id, Path(up["file"]), up["name"], up["kind"], up.get("mediaType"))
            register(t, inp["model"], artifact["id"], inp.get("project"), inp.get("alias"))
        else:
            refused.add_op(item, f"unknown spooled operation {op!r} (written by a newer client?)")
    except Unreachable:
        raise
    except RunledgerError as err:
        # Refused for good (e.g. the run was deleted): keeping it would block the spool forever.
        refused.add_op(item, str(err), err)
        print(f"runledger: spooled {op} for {key} refused: {err}", file=sys.stderr)


def upload_file(t: Transport, run_id: str, path: Path, name: str, kind: str, media_type: str | None = None,
                key: str | None = None, step: int | None = None) -> dict:
    from .artifacts import upload_artifact

    return upload_artifact(t, run_id, path, name, kind, media_type, key, step)


def register(t: Transport, model: str, artifact_id: str, project: str | None, alias: str | None) -> dict:
    inp = {"model": model, "artifactId": artifact_id, **({"project": project} if project else {})}
    mv = t.graphql(CREATE_MODEL_VERSION, {"i": inp})["createModelVersion"]["modelVersion"]
    if alias:
        t.graphql(SET_ALIAS, {"i": {"model": model, "alias": alias, "version": mv["version"]}})
    return mv


def sync_all(transport_for: Callable[[str], Transport], *, only: str | None = None, retry_seconds: float | None = None,
             wait: bool = False) -> tuple[Stats, list[str]]:
    """Uploads every spooled run (or `only`); returns the stats and the runs another process is uploading."""
    stats, busy = Stats(), []
    keys = [p.stem for p in _spool.pending()]
    if only is not None:
        keys = [k for k in keys if k == _safe(only)]
    for key in keys:
        with _spool.uploading(key, wait=wait) as mine:
            if not mine:
                busy.append(key)
                continue
            items = _spool.take(key)
            refused = Refused(items[0]["runId"]) if items else None
            sent = not items or send_items(transport_for, items, refused, retry_seconds=retry_seconds, stats=stats)
            if refused and refused.summary():
                stats.refused.append(refused.summary())
            if not sent:
                raise Unreachable(items[0]["url"], "while syncing; what was not sent stays spooled")
    return stats, busy


def _safe(key: str) -> str:
    return _spool.path_of(key).stem


def url_of(base: str, run_id: str) -> str:
    return f"{base}/runs/{urllib.parse.quote(run_id, safe='=')}"
