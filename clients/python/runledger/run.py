"""A run as a training script sees it: started with context (git, environment, packages,
GPUs, seed), logged to without blocking, finished FINISHED, FAILED or KILLED."""
from __future__ import annotations

import atexit
import json
import os
import re
import sys
import threading
import time
import traceback
import urllib.parse
import uuid
from pathlib import Path
from typing import Any, Iterable

from . import _config, _spool, capture
from ._artifacts import sha256_file, upload_artifact
from ._http import RunledgerError, Transport, Unreachable
from ._writer import Writer, iso

START_RUN = """mutation($i: StartRunInput!) { startRun(input: $i) { created run { id name project { name } } } }"""
FINISH_RUN = """mutation($i: FinishRunInput!) { finishRun(input: $i) { run { status } } }"""
UPDATE_RUN = """mutation($i: UpdateRunInput!) { updateRun(input: $i) { run { id } } }"""
SET_TAGS = """mutation($i: SetTagsInput!) { setTags(input: $i) { run { id } } }"""
CREATE_PROJECT = """mutation($i: CreateProjectInput!) { createProject(input: $i) { created } }"""
REGISTER_DATASET = """mutation($i: RegisterDatasetVersionInput!) { registerDatasetVersion(input: $i) { datasetVersion { id version digest } } }"""
LOG_INPUTS = """mutation($i: LogInputsInput!) { logInputs(input: $i) { datasetInputsWritten } }"""
CREATE_MODEL_VERSION = """mutation($i: CreateModelVersionInput!) { createModelVersion(input: $i) { modelVersion { id version model { name } } } }"""
SET_ALIAS = """mutation($i: SetModelAliasInput!) { setModelAlias(input: $i) { changed } }"""

_active: list["Run"] = []


def active_run() -> "Run | None":
    return _active[-1] if _active else None


def is_rank_zero(env: dict | None = None) -> bool:
    """In distributed training only rank 0 logs, so one job is one run: RANK, else LOCAL_RANK."""
    env = os.environ if env is None else env
    for name in ("RANK", "LOCAL_RANK"):
        if env.get(name, "").strip():
            return env[name].strip() == "0"
    return True


def _when(value: Any) -> str | None:
    """An instant for the API; a time without a zone (2026-10-03T14:00) is taken as UTC."""
    if value is None:
        return None
    text = value.isoformat() if hasattr(value, "isoformat") else str(value).strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?", text):
        return text.replace(" ", "T") + "Z"
    return text


class Run:
    """A started run. Use as a context manager, or call finish()."""

    def __init__(self, transport: Transport, run_id: str, name: str, project: str, *, retry_seconds: float, quiet: bool = False):
        self.transport = transport
        self.id = run_id
        self.name = name
        self.project = project
        self.url = f"{transport.url}/runs/{urllib.parse.quote(run_id, safe='=')}"
        self.status: str | None = None
        self._step = 0
        self._writer = Writer(transport, run_id, retry_seconds=retry_seconds)
        self._sampler: threading.Thread | None = None
        self._sampler_stop = threading.Event()
        self._finish_lock = threading.Lock()
        if not quiet:
            print(f"runledger: run {name} in {project}: {self.url}", flush=True)

    # ---- logging -------------------------------------------------------------------------------
    def log(self, values: dict, step: int | None = None) -> None:
        """Queues metric values for the background writer; never blocks on the network."""
        if step is None:
            step = self._step
            self._step += 1
        elif step >= self._step:
            self._step = step + 1
        self._writer.put(step, time.time(), dict(values))

    def log_params(self, params: dict) -> None:
        self._writer.put_params_tags(params=params)

    def set_tags(self, tags: dict, remove: Iterable[str] = ()) -> None:
        self.transport.graphql(SET_TAGS, {"i": {"runId": self.id, "tags": [{"key": str(k), "value": str(v)} for k, v in tags.items()], "remove": list(remove)}})

    def flush(self, timeout: float = 60.0) -> None:
        """Waits until everything logged so far was sent (or spooled)."""
        self._writer.flush(timeout)

    def log_dataset(self, name: str, version: str, *, path: str | os.PathLike | None = None, digest: str | None = None,
                    source: str | None = None, coverage: tuple | None = None, role: str = "train",
                    row_count: int | None = None) -> dict:
        """Registers (or finds) a dataset version and records that this run read it."""
        if (path is None) == (digest is None):
            raise RunledgerError("log_dataset: give exactly one of path= (the digest is computed) or digest=", code="BAD_USER_INPUT", field="path")
        if path is not None:
            digest = sha256_file(path)
            source = source or str(Path(path).resolve())
        inp: dict[str, Any] = {"dataset": name, "version": str(version), "digest": digest, "project": self.project}
        if source:
            inp["sourceUri"] = source
        if coverage:
            inp["coverageStart"], inp["coverageEnd"] = _when(coverage[0]), _when(coverage[1])
        if row_count is not None:
            inp["rowCount"] = row_count
        try:
            dv = self.transport.graphql(REGISTER_DATASET, {"i": inp})["registerDatasetVersion"]["datasetVersion"]
        except RunledgerError as err:
            if err.code != "CONFLICT" or "project" not in str(err):
                raise
            # The dataset exists in another project we may read: register without claiming it.
            del inp["project"]
            dv = self.transport.graphql(REGISTER_DATASET, {"i": inp})["registerDatasetVersion"]["datasetVersion"]
        self.transport.graphql(LOG_INPUTS, {"i": {"runId": self.id, "datasets": [{"datasetVersionId": dv["id"], "role": role}]}})
        return dv

    def log_artifact(self, path: str | os.PathLike, kind: str = "OTHER", name: str | None = None) -> dict:
        """Uploads a file (streamed) and returns the artifact: id, digest, downloadUrl."""
        path = Path(path)
        return upload_artifact(self.transport, self.id, path.read_bytes() if path.stat().st_size < (64 << 20) else path,
                               name or path.name, kind.upper())

    def log_model(self, path: str | os.PathLike, register_as: str | None = None, alias: str | None = None,
                  kind: str = "MODEL") -> dict:
        """Uploads model weights; with register_as, makes them the model's next version (and moves alias to it)."""
        artifact = self.log_artifact(path, kind=kind)
        if not register_as:
            if alias:
                raise RunledgerError("log_model: alias= needs register_as=", code="BAD_USER_INPUT", field="alias")
            return {"artifact": artifact}
        mv = self.transport.graphql(CREATE_MODEL_VERSION, {"i": {"model": register_as, "artifactId": artifact["id"], "project": self.project}})["createModelVersion"]["modelVersion"]
        if alias:
            self.transport.graphql(SET_ALIAS, {"i": {"model": register_as, "alias": alias, "version": mv["version"]}})
        return {"artifact": artifact, "modelVersion": mv}

    def _record_seed(self, seed: int) -> None:
        self._writer.put_params_tags(tags={"seed": seed})

    # ---- system metrics -----------------------------------------------------------------------
    def start_system_metrics(self, every: float = 30.0) -> None:
        from . import sysmetrics

        def loop() -> None:
            step = 0
            while not self._sampler_stop.is_set():
                values = sysmetrics.sample()
                if values:
                    self._writer.put(step, time.time(), values)
                step += 1
                self._sampler_stop.wait(every)

        self._sampler = threading.Thread(target=loop, name=f"runledger-system-{self.id}", daemon=True)
        self._sampler.start()

    # ---- ending ---------------------------------------------------------------------------------
    def finish(self, status: str = "FINISHED", note: str | None = None) -> None:
        """Sends what is queued, then ends the run (spooled with the points if the server is away)."""
        with self._finish_lock:
            if self.status is not None:
                return
            self.status = status
        self._sampler_stop.set()
        self._writer.close()
        if self in _active:
            _active.remove(self)
        finish = {"runId": self.id, "status": status, "endedAt": iso(time.time())}
        try:
            if note:
                self.transport.graphql(UPDATE_RUN, {"i": {"runId": self.id, "notes": note}}, retry_seconds=self._writer.retry_seconds)
            if _spool.has_entries(self.id) and not self._writer.resend_spooled():
                raise Unreachable(self.transport.url, "spool not drained")
            self.transport.graphql(FINISH_RUN, {"i": finish}, retry_seconds=self._writer.retry_seconds)
        except Unreachable:
            _spool.append(self.id, self.transport.url, {"op": "finishRun", "input": finish})
            print(f"runledger: run {self.name} could not be finished on the server; run `runledger sync` when it is back", file=sys.stderr)

    def __enter__(self) -> "Run":
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is None:
            self.finish("FINISHED")
        elif issubclass(exc_type, KeyboardInterrupt):
            self.finish("KILLED", note="Interrupted (KeyboardInterrupt)")
        else:
            self.finish("FAILED", note="".join(traceback.format_exception(exc_type, exc, tb))[-8000:])
        return False


class DisabledRun(Run):
    """What a non-zero rank gets: the same methods, none of which sends anything."""

    def __init__(self) -> None:  # noqa: D107 - deliberately not calling Run.__init__
        self.id = None  # type: ignore[assignment]
        self.name = self.project = self.url = None  # type: ignore[assignment]
        self.status = None

    def log(self, values: dict, step: int | None = None) -> None:
        pass

    def log_params(self, params: dict) -> None:
        pass

    def set_tags(self, tags: dict, remove: Iterable[str] = ()) -> None:
        pass

    def flush(self, timeout: float = 60.0) -> None:
        pass

    def log_dataset(self, *a: Any, **k: Any) -> dict:
        return {}

    def log_artifact(self, *a: Any, **k: Any) -> dict:
        return {}

    def log_model(self, *a: Any, **k: Any) -> dict:
        return {}

    def _record_seed(self, seed: int) -> None:
        pass

    def start_system_metrics(self, every: float = 30.0) -> None:
        pass

    def finish(self, status: str = "FINISHED", note: str | None = None) -> None:
        self.status = status


def start_run(project: str, name: str | None = None, *, config: dict | None = None, tags: dict | None = None,
              group: str | None = None, seed: int | None = None, notes: str | None = None,
              url: str | None = None, token: str | None = None, capture_: Iterable[str] | bool = True,
              system_metrics: bool | float = False, client_run_id: str | None = None,
              retry_seconds: float = 30.0, quiet: bool = False, cwd: str | None = None, **kwargs: Any) -> Run:
    """Starts a run (and its project when new) and records how it was made.

    `capture` (also accepted as capture_=) picks what is recorded: any of "git", "diff",
    "environment", "packages", "gpus"; True for all, False for none.
    """
    if "capture" in kwargs:
        capture_ = kwargs.pop("capture")
    if kwargs:
        raise TypeError(f"start_run() got unexpected arguments: {', '.join(kwargs)}")
    if not is_rank_zero():
        return DisabledRun()
    wanted = set(capture.CAPTURE_ALL if capture_ is True else () if capture_ is False else capture_)
    unknown = wanted - set(capture.CAPTURE_ALL)
    if unknown:
        raise RunledgerError(f"capture: unknown {sorted(unknown)}; choose from {list(capture.CAPTURE_ALL)}", code="BAD_USER_INPUT", field="capture")
    base, tok = _config.resolve(url, token)
    transport = Transport(base, tok, retry_seconds=retry_seconds)
    if seed is None:
        seed = capture.recorded_seed()
    git = capture.git_state(cwd, with_diff="diff" in wanted) if "git" in wanted else None
    inp: dict[str, Any] = {"project": project, "clientRunId": client_run_id or uuid.uuid4().hex}
    for key, value in (("name", name), ("group", group), ("notes", notes)):
        if value is not None:
            inp[key] = value
    if seed is not None:
        inp["seed"] = str(seed)
    if tags:
        inp["tags"] = [{"key": str(k), "value": str(v)} for k, v in tags.items()]
    if "environment" in wanted or "gpus" in wanted:
        env = capture.environment(include_gpus="gpus" in wanted)
        if "environment" not in wanted:
            env = {k: v for k, v in env.items() if k in ("hardware", "cuda")}
        inp["environment"] = env
    if git:
        inp["codeVersion"] = {k: git[k] for k in ("repository", "commit", "branch", "dirty")}
    transport.graphql(CREATE_PROJECT, {"i": {"name": project}})
    started = transport.graphql(START_RUN, {"i": inp})["startRun"]["run"]
    run = Run(transport, started["id"], started["name"], project, retry_seconds=retry_seconds, quiet=quiet)
    _active.append(run)
    if config:
        run.log_params(_flatten(config))
    if git and git.get("diff") is not None:
        diff = git["diff"].encode()
        if len(diff) > capture.DIFF_CAP_BYTES:
            diff = diff[: capture.DIFF_CAP_BYTES]
            run._writer.put_params_tags(tags={"git.diff_truncated": "true"})
        upload_artifact(transport, run.id, diff, "git.diff", "CODE_DIFF")
    if "packages" in wanted:
        upload_artifact(transport, run.id, capture.packages_lockfile().encode(), "requirements.txt", "ENVIRONMENT")
    if system_metrics:
        run.start_system_metrics(30.0 if system_metrics is True else float(system_metrics))
    return run


def _flatten(config: dict, prefix: str = "") -> dict:
    out: dict = {}
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, name + "."))
        else:
            out[name] = value
    return out


_notebook_run: list[Run] = []


def init(project: str, name: str | None = None, **kwargs: Any) -> Run:
    """start_run for notebooks and scripts without a `with` block: finished at exit if you forget
    (FAILED when the script died of an exception)."""
    run = start_run(project, name, **kwargs)
    if isinstance(run, DisabledRun):
        return run
    _notebook_run.append(run)
    if len(_notebook_run) == 1:
        atexit.register(_finish_at_exit)
        previous = sys.excepthook

        def hook(exc_type, exc, tb):  # type: ignore[no-untyped-def]
            for r in list(_notebook_run):
                if r.status is None:
                    status = "KILLED" if issubclass(exc_type, KeyboardInterrupt) else "FAILED"
                    r.finish(status, note="".join(traceback.format_exception(exc_type, exc, tb))[-8000:])
            previous(exc_type, exc, tb)

        sys.excepthook = hook
    return run


def _finish_at_exit() -> None:
    for run in list(_notebook_run):
        if run.status is None:
            run.finish("FINISHED")
