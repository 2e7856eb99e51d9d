"""A run as a training script sees it: started with context (git, environment, packages,
GPUs, seed), logged to without blocking (values checked in the caller's thread by the server's
own rules), finished FINISHED, FAILED or KILLED; offline when the server is away at the start,
resumed after a preemption, nested under a parent."""
from __future__ import annotations

import atexit
import os
import re
import subprocess
import sys
import threading
import time
import traceback
import urllib.parse
import uuid
from pathlib import Path
from typing import Any, Iterable

from . import _config, _rules, _spool, artifacts, capture
from ._http import RunledgerError, Transport, Unreachable
from ._rules import InvalidInput, require_key, require_max_length, require_name
from ._sync import (CREATE_MODEL_VERSION, CREATE_PROJECT, FINISH_RUN, LOG_INPUTS, OFFLINE_PREFIX, REGISTER_DATASET, SET_ALIAS,
                    SET_TAGS, UPDATE_RUN, register)
from ._writer import Writer, iso

RUN_FIELDS = "id name status project { name } metrics { key lastStep }"
START_RUN = f"""mutation($i: StartRunInput!) {{ startRun(input: $i) {{ created run {{ {RUN_FIELDS} }} }} }}"""
RUN_STATE = f"""query($id: ID!) {{ run(id: $id) {{ {RUN_FIELDS} }} }}"""
RESUME_RUN = """mutation($i: RunIdInput!) { resumeRun(input: $i) { resumed run { status } } }"""

MODES = ("auto", "online", "offline")
DEFAULT_FINISH_WAIT = 2.0  # seconds finish() sends in process before handing the rest to a background upload
START_PROBE_SECONDS = 3.0  # how long mode "auto" tries the server at the start before going offline

__all__ = ["Run", "active_run", "init", "start_run", "CREATE_MODEL_VERSION", "SET_ALIAS", "FINISH_RUN"]

_active: list["Run"] = []
_uploads: list[subprocess.Popen] = []  # background uploads this process started (finish() handoffs)


def wait_for_uploads(timeout: float | None = None) -> bool:
    """Waits for the background uploads this process's runs handed their backlog to; True when
    none is left. Reads through this package (runs, history, watch...) call it first, so a script
    that logs and then reads sees everything it logged."""
    deadline = None if timeout is None else time.monotonic() + timeout
    for proc in list(_uploads):
        try:
            proc.wait(None if deadline is None else max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            return False
        _uploads.remove(proc)
    return True


def active_run() -> "Run | None":
    return _active[-1] if _active else None


def is_rank_zero(env: dict | None = None) -> bool:
    """In distributed training only rank 0 logs, so one job is one run: RANK, else LOCAL_RANK."""
    env = os.environ if env is None else env
    for name in ("RANK", "LOCAL_RANK"):
        if env.get(name, "").strip():
            return env[name].strip() == "0"
    return True


sha256_file = artifacts.sha256_file


def _when(value: Any) -> str | None:
    """An instant for the API; a time without a zone (2026-10-03T14:00) is taken as UTC."""
    if value is None:
        return None
    text = value.isoformat() if hasattr(value, "isoformat") else str(value).strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?", text):
        return text.replace(" ", "T") + "Z"
    return text


def finish_wait(value: float | str | None = None) -> float | None:
    """Seconds finish() keeps sending in this process (None: until everything is sent)."""
    raw = value if value is not None else os.environ.get("RUNLEDGER_FINISH_WAIT", DEFAULT_FINISH_WAIT)
    if isinstance(raw, str):
        if raw.strip().lower() in ("all", "none", "inf", ""):
            return None
        try:
            raw = float(raw)
        except ValueError:
            raise InvalidInput("RUNLEDGER_FINISH_WAIT", f"must be a number of seconds or 'all' (got {raw!r})") from None
    return None if raw == float("inf") else max(0.0, float(raw))


class Run:
    """A started run. Use as a context manager, or call finish()."""

    def __init__(self, transport: Transport, run_id: str, name: str, project: str, *, retry_seconds: float, quiet: bool = False,
                 offline: bool = False, first_step: int = 0, parent: "Run | None" = None):
        self.transport = transport
        self.id = run_id
        self.name = name
        self.project = project
        self.offline = offline
        self.parent = parent
        self.url = None if offline else f"{transport.url}/runs/{urllib.parse.quote(run_id, safe='=')}"
        self.status: str | None = None
        self._step = first_step
        self._retry_seconds = retry_seconds
        self._writer = Writer(transport, run_id, retry_seconds=retry_seconds, offline=offline, url=transport.url)
        self._sampler: threading.Thread | None = None
        self._sampler_stop = threading.Event()
        self._finish_lock = threading.Lock()
        self._closers: list = []  # console capture and the like, undone at finish
        if not quiet:
            where = f"offline, spooled to {_spool.path_of(run_id)}" if offline else self.url
            print(f"runledger: run {name} in {project}: {where}", flush=True)

    # ---- logging -------------------------------------------------------------------------------
    def log(self, values: dict, step: int | None = None) -> None:
        """Queues metric values for the background writer; never blocks on the network. Raises
        InvalidInput here, in the caller's thread, for a key or value the server would refuse
        (nothing of that call is logged then)."""
        if step is None:
            step = self._step
            self._step += 1
        else:
            if type(step) is not int or not _rules.STEP_MIN <= step <= _rules.STEP_MAX:
                step = _rules.require_step("step", step)
            if step >= self._step:
                self._step = step + 1
        ok = _rules._ok_keys
        clean = {}
        for k, v in values.items():
            if k not in ok:
                require_key(f"log: key {k!r}", k)
            clean[k] = v if type(v) is float else _rules.metric_value(f"log: {k!r}", v)
        self._writer.put(step, time.time(), clean)

    def log_params(self, params: dict) -> None:
        """Params are immutable: logging one again with another value is refused by the server
        (the refusal is kept in the refused file and reported at finish)."""
        self._writer.put_params_tags(params=_checked_pairs("log_params", params, _rules.LIMITS["paramValueLength"]))

    def set_tags(self, tags: dict, remove: Iterable[str] = ()) -> None:
        pairs = _checked_pairs("set_tags", tags, _rules.LIMITS["tagValueLength"])
        removed = [require_key(f"set_tags: remove[{i}]", k) for i, k in enumerate(remove)]
        inp = {"tags": [{"key": k, "value": v} for k, v in pairs.items()], "remove": removed}
        self._call("setTags", inp, lambda: self.transport.graphql(SET_TAGS, {"i": {**inp, "runId": self.id}}))

    def flush(self, timeout: float = 60.0) -> None:
        """Waits until everything logged so far was sent (or spooled)."""
        self._writer.flush(timeout)

    @property
    def refused(self) -> int:
        """How many logged values the server refused (kept in the refused file)."""
        return self._writer.refused.count

    def _call(self, op: str, inp: dict, fn) -> Any:
        """Sends now; offline, or when the server stays away, spools the operation for later."""
        if not self.offline:
            try:
                return fn()
            except Unreachable as err:
                print(f"runledger: {err}; {op} spooled (sent by `runledger sync`)", file=sys.stderr)
        _spool.append(self.id, self.transport.url, {"op": op, "input": inp})
        return None

    def log_dataset(self, name: str, version: str, *, path: str | os.PathLike | None = None, digest: str | None = None,
                    source: str | None = None, coverage: tuple | None = None, role: str = "train",
                    row_count: int | None = None) -> dict:
        """Registers (or finds) a dataset version and records that this run read it."""
        if (path is None) == (digest is None):
            raise InvalidInput("path", "log_dataset: give exactly one of path= (the digest is computed) or digest=")
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

        def send() -> dict:
            try:
                dv = self.transport.graphql(REGISTER_DATASET, {"i": inp})["registerDatasetVersion"]["datasetVersion"]
            except RunledgerError as err:
                if err.code != "CONFLICT" or err.field != "input.project":
                    raise
                # The dataset exists in another project we may read: register without claiming it.
                dv = self.transport.graphql(REGISTER_DATASET, {"i": {k: v for k, v in inp.items() if k != "project"}})["registerDatasetVersion"]["datasetVersion"]
            self.transport.graphql(LOG_INPUTS, {"i": {"runId": self.id, "datasets": [{"datasetVersionId": dv["id"], "role": role}]}})
            return dv

        found = self._call("logDataset", {"version": inp, "role": role}, send)
        return found or {"version": str(version), "digest": digest}

    def log_artifact(self, path: str | os.PathLike, kind: str = "OTHER", name: str | None = None) -> Any:
        """Uploads a file, or every file of a directory (named `<name>/<relative path>`), streamed
        and digest-checked. Returns the artifact (id, digest, downloadUrl), or a list for a directory."""
        path = Path(path)
        if path.is_dir():
            prefix = (name or path.resolve().name).strip("/")
            return [self._upload(p, f"{prefix}/{rel}", kind.upper()) for rel, p in artifacts.files_under(path)]
        return self._upload(path, name or path.name, kind.upper())

    def _upload(self, data: Path | bytes, name: str, kind: str, media_type: str | None = None, key: str | None = None,
                step: int | None = None) -> dict | None:
        """Uploads now; offline, or when the server stays away, keeps a copy and spools the upload."""
        if not self.offline:
            try:
                return artifacts.upload_artifact(self.transport, self.id, data, name, kind, media_type, key, step)
            except Unreachable as err:
                print(f"runledger: {err}; artifact {name} spooled (sent by `runledger sync`)", file=sys.stderr)
        kept = {**_kept(data, name, kind, media_type), **({"key": key} if key is not None else {}), **({"step": step} if step is not None else {})}
        _spool.append(self.id, self.transport.url, {"op": "uploadArtifact", "input": kept})
        return None

    # ---- rich data (docs/media.md) ----------------------------------------------------------------
    def _media_step(self, key: str, step: int | None) -> int | None:
        require_key("key", key)
        return None if step is None else _rules.require_step("step", step)

    def log_image(self, key: str, image: Any, step: int | None = None, index: int = 0) -> dict | None:
        """An image at a step: a numpy array (H x W, x3 or x4; uint8, or floats in 0..1), a PIL
        image, or PNG/JPEG/GIF/WebP bytes or a file. Several at one step: give each an index."""
        from . import media

        step = self._media_step(key, step)
        data, media_type = media.image_bytes(image)
        ext = media_type.split("/")[1].replace("jpeg", "jpg")
        return self._upload(data, media.media_name(key, step, index, ext), "IMAGE", media_type, key, step)

    def log_figure(self, key: str, figure: Any, step: int | None = None, index: int = 0) -> dict | None:
        """A matplotlib figure at a step, rendered to PNG (a PLOT with a key)."""
        from . import media

        step = self._media_step(key, step)
        return self._upload(media.figure_png(figure), media.media_name(key, step, index, "png"), "PLOT", "image/png", key, step)

    def log_table(self, key: str, table: Any, step: int | None = None, columns: list | None = None) -> dict | None:
        """A table: a pandas DataFrame, a list of dicts, rows with columns=, or a dict of columns."""
        from . import media

        step = self._media_step(key, step)
        return self._upload(media.table_json(table, columns), media.media_name(key, step, 0, "json"), "TABLE", "application/json", key, step)

    def log_histogram(self, key: str, values: Any = None, step: int | None = None, bins: int = 64, *,
                      counts: Any = None, edges: Any = None) -> dict | None:
        """A histogram of values (numpy.histogram's bins), or counts= and edges= already binned."""
        from . import media

        step = self._media_step(key, step)
        data = media.histogram_json(values, bins, counts, edges)
        return self._upload(data, media.media_name(key, step, 0, "json"), "HISTOGRAM", "application/json", key, step)

    def log_model(self, path: str | os.PathLike, register_as: str | None = None, alias: str | None = None,
                  kind: str = "MODEL", name: str | None = None) -> dict:
        """Uploads model weights, a file or a whole directory (a Hugging Face or MLflow model
        folder: its files, plus a manifest of their digests that the model version points at);
        with register_as, makes them the model's next version (and moves alias to it)."""
        if alias and not register_as:
            raise InvalidInput("alias", "log_model: alias= needs register_as=")
        path = Path(path)
        if not path.is_dir():
            anchor = (path, name or path.name, kind.upper(), None)
            files: list = []
        else:
            prefix = (name or path.resolve().name).strip("/")
            listing = artifacts.files_under(path)
            files = [self._upload(p, f"{prefix}/{rel}", "OTHER") for rel, p in listing]
            anchor = (artifacts.manifest_for(listing), f"{prefix}/{artifacts.MANIFEST}", kind.upper(), artifacts.MANIFEST_MEDIA_TYPE)
        if register_as and self.offline:  # registered when the spool is synced, after the files
            _spool.append(self.id, self.transport.url, {"op": "logModel", "input": {"anchor": _kept(*anchor), "model": register_as,
                                                                                   "alias": alias, "project": self.project}})
            return {"artifact": None, **({"files": files} if files else {})}
        artifact = self._upload(*anchor)
        out: dict = {"artifact": artifact, **({"files": files} if files else {})}
        if register_as and artifact is None:  # the server went away while uploading
            _spool.append(self.id, self.transport.url, {"op": "logModel", "input": {"anchor": _kept(*anchor), "model": register_as,
                                                                                   "alias": alias, "project": self.project}})
        elif register_as:
            out["modelVersion"] = register(self.transport, register_as, artifact["id"], self.project, alias)
        return out

    def download_artifacts(self, path: str = "", dst: str | os.PathLike = ".") -> list[Path]:
        """This run's artifacts named `path` or under `path/` ('' for all) into dst/<name>,
        streamed, resumable and digest-checked."""
        if self.offline:
            raise RunledgerError("download_artifacts: this run is offline; sync it first (`runledger sync`)", code="UNAVAILABLE")
        return artifacts.download_run_artifacts(self.transport, self.id, path, dst)

    def _record_seed(self, seed: int) -> None:
        self._writer.put_params_tags(tags={"seed": str(seed)})

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
    def finish(self, status: str = "FINISHED", note: str | None = None, wait: float | str | None = None) -> None:
        """Sends what is queued, then ends the run. What is still unsent after `wait` seconds
        (RUNLEDGER_FINISH_WAIT, default 2; 'all' waits for everything) is handed to a background
        upload that marks the run ended once its points are in, so the script can exit."""
        with self._finish_lock:
            if self.status is not None:
                return
            self.status = status
        self._sampler_stop.set()
        for close in reversed(self._closers):
            try:
                close()
            except Exception as err:  # a capture that cannot be undone must not lose the run's end
                print(f"runledger: {err!r}", file=sys.stderr)
        self._writer.close(handoff_after=None if self.offline else finish_wait(wait))
        if self in _active:
            _active.remove(self)
        ending = {"status": status, "endedAt": iso(time.time())}
        spool = lambda op, inp: _spool.append(self.id, self.transport.url, {"op": op, "input": inp})  # noqa: E731
        background = self._writer.handed_off and not self._writer.unreachable_batches
        if self.offline or background:
            if note:
                spool("updateRun", {"notes": note})
            spool("finishRun", ending)
            if self.offline:
                print(f"runledger: offline run {self.name} saved in {_spool.path_of(self.id)}; upload it with `runledger sync`", file=sys.stderr)
            else:
                pid = background_sync(self.id, self.transport)
                print(f"runledger: {self._writer.handed_off} batches of run {self.name} are still uploading in the background (pid {pid}); "
                      f"the run is marked {status} once they are in (`runledger sync` finishes it if that upload is cut short)", file=sys.stderr)
        else:
            try:
                if note:
                    self.transport.graphql(UPDATE_RUN, {"i": {"runId": self.id, "notes": note}}, retry_seconds=self._retry_seconds)
                if _spool.has_entries(self.id) and not self._writer.resend_spooled():
                    raise Unreachable(self.transport.url, "spool not drained")
                self.transport.graphql(FINISH_RUN, {"i": {**ending, "runId": self.id}}, retry_seconds=self._retry_seconds)
            except Unreachable:
                if note:
                    spool("updateRun", {"notes": note})
                spool("finishRun", ending)
                print(f"runledger: run {self.name} could not be finished on the server; run `runledger sync` when it is back", file=sys.stderr)
        summary = self._writer.refused.summary()
        if summary:
            print(summary, file=sys.stderr)

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


def _kept(data: Path | bytes, name: str, kind: str, media_type: str | None) -> dict:
    """An upload to spool: a copy of the bytes (by digest) beside the spool, and what to call it."""
    kept = _spool.keep_bytes(data)[1] if isinstance(data, (bytes, bytearray)) else _spool.keep_file(data)[1]
    return {"file": str(kept), "name": name, "kind": kind, "mediaType": media_type}


def _checked_pairs(where: str, pairs: dict, max_value: int) -> dict:
    out = {}
    for k, v in pairs.items():
        require_key(f"{where}: key {k!r}", k)
        if v is None:
            raise InvalidInput(f"{where}: {k!r}", "must not be None (log a string such as 'none' if that is the value)")
        out[k] = require_max_length(f"{where}: {k!r}", str(v), max_value)
    return out


def background_sync(run_key: str, transport: Transport) -> int:
    """Starts `runledger sync --run KEY` detached from this process (it outlives the script and
    a Ctrl-C), logging to a file beside the spool."""
    log = _config.spool_dir() / f"sync-{_spool.path_of(run_key).stem}.log"
    env = {**os.environ}
    # The same package as this process, even when it runs from a source tree.
    package_parent = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join([package_parent, *filter(None, [env.get("PYTHONPATH")])])
    if transport.token:
        env["RUNLEDGER_TOKEN"] = transport.token
    with open(log, "ab") as out:
        proc = subprocess.Popen([sys.executable, "-m", "runledger", "sync", "--run", run_key, "--wait", "--retry-seconds", "300"],
                                stdin=subprocess.DEVNULL, stdout=out, stderr=out, env=env, start_new_session=True, close_fds=True)
    _uploads.append(proc)
    return proc.pid


class DisabledRun(Run):
    """What a non-zero rank gets: the same methods, none of which sends anything."""

    def __init__(self) -> None:  # noqa: D107 - deliberately not calling Run.__init__
        self.id = None  # type: ignore[assignment]
        self.name = self.project = self.url = None  # type: ignore[assignment]
        self.status = None
        self.offline = False

    def log(self, values: dict, step: int | None = None) -> None:
        pass

    def log_params(self, params: dict) -> None:
        pass

    def set_tags(self, tags: dict, remove: Iterable[str] = ()) -> None:
        pass

    def flush(self, timeout: float = 60.0) -> None:
        pass

    @property
    def refused(self) -> int:
        return 0

    def log_dataset(self, *a: Any, **k: Any) -> dict:
        return {}

    def log_artifact(self, *a: Any, **k: Any) -> Any:
        return {}

    def log_model(self, *a: Any, **k: Any) -> dict:
        return {}

    def download_artifacts(self, *a: Any, **k: Any) -> list:
        return []

    def log_image(self, *a: Any, **k: Any) -> None:
        pass

    def log_figure(self, *a: Any, **k: Any) -> None:
        pass

    def log_table(self, *a: Any, **k: Any) -> None:
        pass

    def log_histogram(self, *a: Any, **k: Any) -> None:
        pass

    def _record_seed(self, seed: int) -> None:
        pass

    def start_system_metrics(self, every: float = 30.0) -> None:
        pass

    def finish(self, status: str = "FINISHED", note: str | None = None, wait: Any = None) -> None:
        self.status = status


def start_run(project: str | None = None, name: str | None = None, *, config: dict | None = None, tags: dict | None = None,
              group: str | None = None, seed: int | None = None, notes: str | None = None,
              url: str | None = None, token: str | None = None, capture_: Iterable[str] | bool = True,
              system_metrics: bool | float = False, client_run_id: str | None = None,
              run_id: str | None = None, resume: bool = False, parent: "Run | str | None" = None, nested: bool = False,
              mode: str | None = None, retry_seconds: float = 30.0, quiet: bool = False, cwd: str | None = None,
              **kwargs: Any) -> Run:
    """Starts a run (and its project when new) and records how it was made.

    `capture` (also accepted as capture_=) picks what is recorded: any of "git", "diff",
    "environment", "packages", "gpus", "console"; True for all but "console", False for none.
    `run_id=` (or the `client_run_id=` of an earlier start) with `resume=True` continues a KILLED
    or FAILED run, steps going on after its last one. `parent=` (a Run or run id), or
    `nested=True` under the active run, makes a child run. `mode` (RUNLEDGER_MODE): "auto" goes
    offline when the server cannot be reached at the start, "offline" never sends, "online" raises.
    """
    if "capture" in kwargs:
        capture_ = kwargs.pop("capture")
    # enforce_conventions=True: refuse to start a run that would break its project's conventions.
    enforce = bool(kwargs.pop("enforce_conventions", False))
    if kwargs:
        raise TypeError(f"start_run() got unexpected arguments: {', '.join(kwargs)}")
    if not is_rank_zero():
        return DisabledRun()
    wanted = set(capture.CAPTURE_DEFAULT if capture_ is True else () if capture_ is False else capture_)
    unknown = wanted - set(capture.CAPTURE_ALL)
    if unknown:
        raise InvalidInput("capture", f"unknown {sorted(unknown)}; choose from {list(capture.CAPTURE_ALL)}")
    mode = (mode or os.environ.get("RUNLEDGER_MODE") or "auto").strip().lower()
    if mode not in MODES:
        raise InvalidInput("mode", f"must be one of {', '.join(MODES)} (got {mode!r}; also read from RUNLEDGER_MODE)")
    if project is None and run_id is None:
        raise InvalidInput("project", "start_run needs project= (or run_id= of a run to resume)")
    if project is not None:
        require_key("project", project)
    if name is not None:
        name = require_name("name", name)
    parent_run = parent if isinstance(parent, Run) else None
    parent_id = parent.id if isinstance(parent, Run) else parent
    if nested and parent_id is None:
        parent_run = active_run()
        if parent_run is None:
            raise InvalidInput("nested", "nested=True needs an active run to nest under (or give parent=)")
        parent_id = parent_run.id
    base, tok = _config.resolve(url, token)
    transport = Transport(base, tok, retry_seconds=retry_seconds)
    if seed is None:
        seed = capture.recorded_seed()
    client_run_id = client_run_id or uuid.uuid4().hex
    inp = _start_input(project, name, group, notes, seed, tags, client_run_id, wanted, cwd, parent_id)
    git = inp.pop("_git", None)

    offline = mode == "offline"
    if mode == "auto" and run_id is None:
        try:
            transport.graphql(CREATE_PROJECT, {"i": {"name": project}}, retry_seconds=min(retry_seconds, START_PROBE_SECONDS))
        except Unreachable as err:
            print(f"runledger: {err}\nrunledger: logging offline instead; upload with `runledger sync` when the server is back", file=sys.stderr)
            offline = True
    if offline:
        if run_id is not None or resume:
            raise InvalidInput("run_id", "resuming a run needs the server: it cannot be done offline")
        if enforce:
            raise InvalidInput("enforce_conventions", "checking a project's conventions needs the server: it cannot be done offline")
        if isinstance(parent_id, str) and parent_id.startswith(OFFLINE_PREFIX):
            raise InvalidInput("parent", "an offline run cannot yet be a parent: sync it first")
        local = f"{OFFLINE_PREFIX}{client_run_id}"
        # The run starts now, not when it is synced (its end, sent with it, must not come first).
        _spool.append(local, transport.url, {"op": "startRun", "input": {**inp, "startedAt": iso(time.time())}})
        run = Run(transport, local, name or local, project, retry_seconds=retry_seconds, quiet=quiet, offline=True, parent=parent_run)
    else:
        if mode == "online" and run_id is None:
            transport.graphql(CREATE_PROJECT, {"i": {"name": project}})
        if enforce and run_id is None:
            from .governance import require_conventions

            require_conventions(transport, project, _flatten(config or {}), tags)
        started, created = _started(transport, inp, run_id)
        if started["status"] != "RUNNING":
            if not resume:
                raise RunledgerError(f"run {started['name']} already ended as {started['status']}; pass resume=True to continue it",
                                     code="CONFLICT", field="resume")
            transport.graphql(RESUME_RUN, {"i": {"runId": started["id"]}})
        steps = [m["lastStep"] for m in started.get("metrics") or []]
        run = Run(transport, started["id"], started["name"], started["project"]["name"], retry_seconds=retry_seconds, quiet=quiet,
                  first_step=max(steps) + 1 if steps else 0, parent=parent_run)
        if not created and not quiet:
            print(f"runledger: continuing run {started['name']} from step {run._step}", flush=True)
    _active.append(run)
    if config:
        run.log_params(_flatten(config))
    _upload_context(run, git, wanted)
    if system_metrics:
        run.start_system_metrics(30.0 if system_metrics is True else float(system_metrics))
    if "console" in wanted:
        from . import console

        run._closers.append(console.capture(run))
    return run


def _start_input(project, name, group, notes, seed, tags, client_run_id, wanted, cwd, parent_id) -> dict:
    inp: dict[str, Any] = {"project": project, "clientRunId": client_run_id}
    for key, value in (("name", name), ("group", group), ("notes", notes)):
        if value is not None:
            inp[key] = value
    if group is not None:
        require_key("group", group)
    if notes is not None:
        require_max_length("notes", notes, _rules.LIMITS["notesLength"])
    if seed is not None:
        inp["seed"] = require_name("seed", str(seed), _rules.LIMITS["seedLength"])
    if parent_id is not None:
        inp["parentRunId"] = parent_id
    if tags:
        inp["tags"] = [{"key": k, "value": v} for k, v in _checked_pairs("tags", tags, _rules.LIMITS["tagValueLength"]).items()]
    if "environment" in wanted or "gpus" in wanted:
        env = capture.environment(include_gpus="gpus" in wanted)
        if "environment" not in wanted:
            env = {k: v for k, v in env.items() if k in ("hardware", "cuda")}
        inp["environment"] = env
    git = capture.git_state(cwd, with_diff="diff" in wanted) if "git" in wanted else None
    if git:
        inp["codeVersion"] = {k: git[k] for k in ("repository", "commit", "branch", "dirty")}
        inp["_git"] = git
        if "environment" in inp:  # where in the checkout the command ran, for `runledger reproduce`
            inp["environment"]["cwd_in_repo"] = os.path.relpath(os.path.realpath(inp["environment"]["cwd"]), os.path.realpath(git["root"]))
    return inp


def _started(transport: Transport, inp: dict, run_id: str | None) -> tuple[dict, bool]:
    if run_id is None:
        out = transport.graphql(START_RUN, {"i": inp})["startRun"]
        return out["run"], out["created"]
    found = transport.graphql(RUN_STATE, {"id": run_id})["run"]
    if found is None:
        raise RunledgerError(f"run {run_id!r} not found", code="NOT_FOUND", field="run_id")
    if inp.get("project") and found["project"]["name"] != inp["project"]:
        raise InvalidInput("project", f"run {run_id} is in project {found['project']['name']!r}, not {inp['project']!r}")
    return found, False


def _upload_context(run: Run, git: dict | None, wanted: set) -> None:
    if git and git.get("diff") is not None:
        diff = git["diff"].encode()
        if len(diff) > capture.DIFF_CAP_BYTES:
            diff = diff[: capture.DIFF_CAP_BYTES]
            run._writer.put_params_tags(tags={"git.diff_truncated": "true"})
        run._upload(diff, "git.diff", "CODE_DIFF", "text/x-diff")
    if "packages" in wanted:
        run._upload(capture.packages_lockfile().encode(), "requirements.txt", "ENVIRONMENT", "text/plain")


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


def init(project: str | None = None, name: str | None = None, *, id: str | None = None, **kwargs: Any) -> Run:
    """start_run for notebooks and scripts without a `with` block: finished at exit if you forget
    (FAILED when the script died of an exception). `init(id=..., resume=True)` continues a run."""
    if id is not None:
        kwargs["run_id"] = id
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
