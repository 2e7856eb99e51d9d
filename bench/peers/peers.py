"""`npm run bench:peers`: runledger beside the servers people would run instead, same run.

Starts each system on loopback against its own PostgreSQL database (created fresh), drives the
same workloads through one driver (this process: threads with a keep-alive session each), stops
it, and prints one table with ratios against the MLflow server. Peers that speak MLflow get the
same MLflow REST client functions; runledger is driven twice: through its GraphQL API
("runledger") and through its MLflow routes by that same MLflow client ("runledger-mlflow").
`mlflow-go` is mlflow-go-backend: its Go server answers the routes it has ported and passes the others (here
the 1,000-point downsample and model-versions/create) to the MLflow Python server it starts
behind itself, on the same database and the same MLflow version as the `mlflow` column.

Aim is the exception: it has no PostgreSQL store and no server that answers the read rows, so
aim_peer.py runs the same workloads through Aim's Python SDK, in-process, in Aim's own venv, on
its own repository (a temporary directory). Its write rows therefore have no network hop and no
server in them: they are not comparable with the other columns, only shown beside them. Where
Aim measures a row its own way the table is followed by a note; a row a system cannot express
reads "n/a (reason)" (Aim: no model registry).

Environment (defaults sized to finish in a few minutes on 2 shared cores):
  PEERS=runledger,runledger-mlflow,mlflow,mlflow-go,fasttrackml,aim   which systems to run
  PEERS_INGEST_BATCHES=160                           1,000-point batches, 8 writers
  PEERS_CREATE_RUNS=800                              runs created by 16 writers
  PEERS_SEARCH_RUNS=5000                             runs in the searched experiment/project
  PEERS_SERIES_POINTS=200000                         points of the long series read back
  PEERS_SAMPLES=30                                   timed repetitions of each read
  PEERS_DB_PREFIX=peer_                              prefix of the databases it recreates (one per system)
Set by run.sh (not needed by hand): PEERS_MLFLOW_BIN, PEERS_MLFLOW_GO_BIN, PEERS_FML_BIN, PEERS_AIM_PYTHON
(the Aim venv's python); one left unset because its venv could not be built fails that column only.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

PG = os.environ.get("PEERS_PG", "postgresql://postgres@127.0.0.1:5432")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
INGEST_BATCHES = int(os.environ.get("PEERS_INGEST_BATCHES", 160))
CREATE_RUNS = int(os.environ.get("PEERS_CREATE_RUNS", 800))
SEARCH_RUNS = int(os.environ.get("PEERS_SEARCH_RUNS", 5000))
SERIES_POINTS = int(os.environ.get("PEERS_SERIES_POINTS", 200_000))
SAMPLES = int(os.environ.get("PEERS_SAMPLES", 30))
# Databases are dropped and recreated per run: two runs on one PostgreSQL need distinct prefixes.
DB_PREFIX = os.environ.get("PEERS_DB_PREFIX", "peer_")
PAGE = 25_000  # points per history page, for every system
local = threading.local()
DEFAULT_PEERS = "runledger,runledger-mlflow,mlflow,mlflow-go,fasttrackml,aim"


def session() -> requests.Session:
    if not hasattr(local, "s"):
        local.s = requests.Session()
    return local.s


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def recreate_db(name: str) -> str:
    admin = f"{PG}/postgres"
    subprocess.run(["psql", admin, "-qc", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'], check=True)
    subprocess.run(["psql", admin, "-qc", f'CREATE DATABASE "{name}"'], check=True)
    return f"{PG}/{name}"


class CpuMeter:
    """CPU time (user + system) a system spends on a workload, beside its wall-clock figures:
    its server's process tree, and the PostgreSQL backends connected to its database (summed per
    backend between two snapshots; a backend that exits in between loses its share). On a shared,
    loaded machine wall-clock latency is mostly waiting for a CPU; CPU per operation is not, so it
    compares systems even there. Aim has no server: no meter."""

    def __init__(self, pid: int | None, database: str | None):
        self.pid, self.database = pid, database

    @staticmethod
    def _ticks(pid: int) -> int:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return int(fields[11]) + int(fields[12])
        except (FileNotFoundError, ProcessLookupError, IndexError):
            return 0

    def _tree(self) -> list[int]:
        pids, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            pids.append(pid)
            try:
                with open(f"/proc/{pid}/task/{pid}/children") as f:
                    todo += [int(c) for c in f.read().split()]
            except FileNotFoundError:
                pass
        return pids

    def _backends(self) -> list[int]:
        out = subprocess.run(["psql", f"{PG}/postgres", "-Atc", f"SELECT pid FROM pg_stat_activity WHERE datname = '{self.database.rsplit('/', 1)[1]}'"],
                             capture_output=True, text=True).stdout
        return [int(p) for p in out.split()]

    def snapshot(self) -> dict:
        if self.pid is None:
            return {}
        return {"server": {p: self._ticks(p) for p in self._tree()}, "db": {p: self._ticks(p) for p in self._backends()}}

    @staticmethod
    def per_op(before: dict, after: dict, ops: int) -> dict:
        if not before:
            return {}
        tick_ms = 1000 / os.sysconf("SC_CLK_TCK")
        spent = {k: sum(t - before[k].get(p, 0) for p, t in after[k].items()) * tick_ms / max(1, ops) for k in ("server", "db")}
        return {"cpu_server_ms": spent["server"], "cpu_db_ms": spent["db"]}


def metered(c, fn, ops_of):
    """Runs fn() under the client's CPU meter; returns (fn's result, CPU ms per operation)."""
    meter = getattr(c, "meter", None) or CpuMeter(None, None)
    before = meter.snapshot()
    result = fn()
    return result, CpuMeter.per_op(before, meter.snapshot(), ops_of(result))


def pct(samples: list[float], p: float) -> float:
    s = sorted(samples)
    return s[min(len(s) - 1, int(p / 100 * len(s)))]


def timed(fn, n: int) -> list[float]:
    fn(0)  # warm
    out = []
    for i in range(n):
        t = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - t) * 1000)
    return out


def parallel(writers: int, jobs: list, fn) -> tuple[float, list[float]]:
    """Runs fn(job) for every job on `writers` threads; returns (seconds, per-call ms)."""
    latencies: list[float] = []
    lock = threading.Lock()

    def one(job):
        t = time.perf_counter()
        fn(job)
        ms = (time.perf_counter() - t) * 1000
        with lock:
            latencies.append(ms)

    t0 = time.perf_counter()
    with ThreadPoolExecutor(writers) as pool:
        list(pool.map(one, jobs))
    return time.perf_counter() - t0, latencies


def wait_http(url: str, proc: subprocess.Popen, timeout: float = 240) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"exited with {proc.returncode} before answering {url}")
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"no answer from {url} in {timeout} s")


# ------------------------------------------------------------------ the MLflow REST client
class MlflowClient:
    """The one MLflow client every MLflow-speaking server gets (REST 2.0, as mlflow's own client sends)."""

    def __init__(self, base: str):
        self.base = base

    def call(self, method: str, path: str, body=None, params=None):
        r = session().request(method, f"{self.base}/api/2.0/mlflow/{path}", json=body, params=params, timeout=300)
        if r.status_code >= 400:
            raise RuntimeError(f"{path}: {r.status_code} {r.text[:300]}")
        return r.json()

    def experiment(self, name: str) -> str:
        return self.call("POST", "experiments/create", {"name": name})["experiment_id"]

    def new_run(self, exp: str, name: str) -> str:
        return self.call("POST", "runs/create", {"experiment_id": exp, "run_name": name, "start_time": int(time.time() * 1000)})["run"]["info"]["run_id"]

    def upload_model(self, run: str) -> None:
        """What mlflow.<flavor>.log_model sends first: the model's MLmodel file, through the artifact proxy."""
        uri = self.call("GET", "runs/get", params={"run_id": run})["run"]["info"]["artifact_uri"]
        if not uri.startswith("mlflow-artifacts:"):
            return  # no artifact proxy (FastTrackML's root is a local path the client writes itself)
        path = uri.split(":", 1)[1].lstrip("/")
        r = session().put(f"{self.base}/api/2.0/mlflow-artifacts/artifacts/{path}/model/MLmodel",
                          data=b"artifact_path: model\nflavors:\n  python_function:\n    loader_module: bench\n", timeout=60)
        if r.status_code >= 400:
            raise RuntimeError(f"artifact upload: {r.status_code} {r.text[:200]}")

    def log(self, run: str, points: list[tuple[str, float, int]], params=None, ts=None):
        ts = ts or int(time.time() * 1000)
        metrics = [{"key": k, "value": v, "step": s, "timestamp": ts} for k, v, s in points]
        self.call("POST", "runs/log-batch", {"run_id": run, "metrics": metrics, "params": [{"key": k, "value": v} for k, v in (params or {}).items()]})

    def search(self, exp: str) -> int:
        body = {"experiment_ids": [exp], "filter": "params.p1 = 'v3' and metrics.m1 > 0.5", "order_by": ["metrics.m0 DESC"], "max_results": 50}
        return len(self.call("POST", "runs/search", body).get("runs", []))

    def history_full(self, run: str, key: str) -> int:
        n, token = 0, None
        while True:
            params = {"run_id": run, "metric_key": key, "max_results": PAGE}
            if token:
                params["page_token"] = token
            page = self.call("GET", "metrics/get-history", params=params)
            n += len(page.get("metrics", []))
            token = page.get("next_page_token")
            if not token:
                return n

    def history_sampled(self, run: str, key: str) -> int:
        r = session().get(f"{self.base}/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval",
                          params={"run_ids": run, "metric_key": key, "max_results": 1000}, timeout=300)
        if r.status_code >= 400:
            raise RuntimeError(f"get-history-bulk-interval: {r.status_code} {r.text[:200]}")
        return len(r.json().get("metrics", []))

    def register(self, run: str, model: str) -> None:
        self.upload_model(run)
        self.call("POST", "runs/log-inputs", {"run_id": run, "datasets": [{"dataset": {
            "name": f"train-{model}", "digest": "d" * 12, "source_type": "local", "source": "/data/train"}, "tags": []}]})
        self.call("POST", "registered-models/create", {"name": model})
        version = self.call("POST", "model-versions/create", {"name": model, "source": f"runs:/{run}/model", "run_id": run})["model_version"]["version"]
        self.call("POST", "registered-models/alias", {"name": model, "alias": "champion", "version": version})

    def resolve(self, model: str) -> int:
        mv = self.call("GET", "registered-models/alias", params={"name": model, "alias": "champion"})["model_version"]
        run = self.call("GET", "runs/get", params={"run_id": mv["run_id"]})["run"]
        digests = [d["dataset"]["digest"] for d in run.get("inputs", {}).get("dataset_inputs", [])]
        return len(run["data"].get("params", [])) + len(digests)


# ------------------------------------------------------------------ runledger over GraphQL
class RunledgerClient:
    def __init__(self, base: str):
        self.url = f"{base}/graphql"
        self.mlflow = MlflowClient(base)

    def gql(self, query: str, variables=None):
        r = session().post(self.url, json={"query": query, "variables": variables or {}}, timeout=300)
        body = r.json()
        if body.get("errors"):
            raise RuntimeError(json.dumps(body["errors"])[:400])
        return body["data"]

    def experiment(self, name: str) -> str:
        self.gql("mutation($i: CreateProjectInput!) { createProject(input: $i) { created } }", {"i": {"name": name}})
        return name

    def new_run(self, project: str, name: str) -> str:
        return self.gql("mutation($i: StartRunInput!) { startRun(input: $i) { run { id } } }", {"i": {"project": project, "name": name}})["startRun"]["run"]["id"]

    def log(self, run: str, points: list[tuple[str, float, int]], params=None, ts=None):
        by_key: dict[str, tuple[list, list]] = {}
        for k, v, s in points:
            steps, values = by_key.setdefault(k, ([], []))
            steps.append(s)
            values.append(v)
        series = [{"key": k, "steps": st, "values": vs} for k, (st, vs) in by_key.items()]
        i = {"runId": run, "series": series}
        if params:
            i["params"] = [{"key": k, "value": v} for k, v in params.items()]
        self.gql("mutation($i: LogBatchInput!) { logBatch(input: $i) { pointsWritten } }", {"i": i})

    def search(self, project: str) -> int:
        q = """query($p: String!) { runs(project: $p, filter: "params.p1 = 'v3' and metrics.m1 > 0.5",
               orderBy: [{ field: "metrics.m0", direction: DESC }], first: 50) { edges { node { id name } } } }"""
        return len(self.gql(q, {"p": project})["runs"]["edges"])

    def history_full(self, run: str, key: str) -> int:
        q = """query($id: ID!, $k: String!, $f: SafeInt, $t: SafeInt) { run(id: $id) {
               metricHistory(key: $k, fromStep: $f, toStep: $t, maxPoints: 100000) { steps values timestamps } } }"""
        n, start = 0, 0
        while start < SERIES_POINTS:
            n += len(self.gql(q, {"id": run, "k": key, "f": start, "t": start + PAGE - 1})["run"]["metricHistory"]["steps"])
            start += PAGE
        return n

    def history_sampled(self, run: str, key: str) -> int:
        q = "query($id: ID!, $k: String!) { run(id: $id) { metricHistory(key: $k, maxPoints: 1000) { points { step value } } } }"
        return len(self.gql(q, {"id": run, "k": key})["run"]["metricHistory"]["points"])

    def register(self, run: str, model: str) -> None:
        # Set-up (untimed) goes through runledger's MLflow routes, as an MLflow user's log_model and
        # register_model would; only the resolve below is timed, through GraphQL.
        self.mlflow.register(self.mlflow_run_id(run), model)

    def mlflow_run_id(self, run: str) -> str:
        return self.gql("query($id: ID!) { run(id: $id) { mlflowRunId } }", {"id": run})["run"]["mlflowRunId"]

    def resolve(self, model: str) -> int:
        q = """query($m: String!) { registeredModel(name: $m) { alias(name: "champion") { version run {
               params { key value } inputs { datasetVersion { digest } } } } } }"""
        run = self.gql(q, {"m": model})["registeredModel"]["alias"]["run"]
        return len(run["params"]) + len([i for i in run["inputs"] if i["datasetVersion"]])


# ------------------------------------------------------------------ Aim, in its own Python
class AimPeer:
    """Aim runs its rows in its own virtualenv (aim_peer.py, in-process SDK on its own repository):
    Aim has no PostgreSQL store, and its remote server could not answer the read rows (see there)."""

    def __init__(self, tmp: str):
        self.python = os.environ.get("PEERS_AIM_PYTHON")
        if not self.python:
            raise RuntimeError("no Aim venv (PEERS_AIM_PYTHON unset: run.sh could not build it)")
        self.repo = os.path.join(tmp, "aim-repo")
        os.makedirs(self.repo, exist_ok=True)

    def workloads(self) -> dict:
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "aim_peer.py")
        done = subprocess.run([self.python, script, self.repo], stdout=subprocess.PIPE, text=True)  # progress on stderr
        if done.returncode != 0:
            raise RuntimeError(f"aim_peer.py exited with {done.returncode} (its error is printed above)")
        return json.loads(done.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------ the workloads
def row_ingest(name: str, c) -> dict:
    print(f"[{name}] ingest", flush=True)
    exp = c.experiment(f"ingest-{tag_of(name)}")
    runs = [c.new_run(exp, f"w{i}") for i in range(8)]
    keys = [f"m{k}" for k in range(8)]

    def batch(b: int):
        c.log(runs[b % 8], [(keys[i % 8], random.random(), b * 125 + i // 8) for i in range(1000)])

    (secs, lat), cpu = metered(c, lambda: parallel(8, list(range(INGEST_BATCHES)), batch), lambda _r: INGEST_BATCHES)
    return {"ingest": {"points_per_s": INGEST_BATCHES * 1000 / secs, "p50": pct(lat, 50), "p99": pct(lat, 99), **cpu}}


def row_create(name: str, c) -> dict:
    print(f"[{name}] run creation", flush=True)
    exp = c.experiment(f"create-{tag_of(name)}")
    (secs, _), cpu = metered(c, lambda: parallel(16, list(range(CREATE_RUNS)), lambda i: c.new_run(exp, f"r{i}")), lambda _r: CREATE_RUNS)
    return {"create": {"runs_per_s": CREATE_RUNS / secs, **cpu}}


def row_search(name: str, c) -> dict:
    print(f"[{name}] seeding {SEARCH_RUNS} runs for search", flush=True)
    exp = c.experiment(f"search-{tag_of(name)}")

    def seed_run(i: int):
        rng = random.Random(i)
        run = c.new_run(exp, f"s{i}")
        c.log(run, [("m0", rng.random(), 0), ("m1", rng.random(), 0)], params={"p1": f"v{i % 10}", "p2": str(i)})

    parallel(16, list(range(SEARCH_RUNS)), seed_run)
    # Fresh statistics for every system alike: without them runledger's planner took the new
    # project for one run and nested-looped the params index (1.2 s instead of tens of ms).
    subprocess.run(["psql", c.database, "-qc", "ANALYZE"], check=True)
    lat, cpu = metered(c, lambda: timed(lambda _i: c.search(exp), SAMPLES), lambda lat: len(lat) + 1)
    return {"search": {"p50": pct(lat, 50), "p95": pct(lat, 95), "runs": SEARCH_RUNS, **cpu}}


def row_history(name: str, c) -> dict:
    print(f"[{name}] seeding a {SERIES_POINTS}-point series", flush=True)
    exp = c.experiment(f"history-{tag_of(name)}")
    run = c.new_run(exp, "long")
    ts = int(time.time() * 1000)
    parallel(4, list(range(SERIES_POINTS // 1000)), lambda b: c.log(run, [("loss", random.random(), b * 1000 + i) for i in range(1000)], ts=ts))
    out: dict = {}
    lat, cpu = metered(c, lambda: timed(lambda _i: c.history_full(run, "loss"), max(3, SAMPLES // 6)), lambda lat: len(lat) + 1)
    out["history_full"] = {"p50": pct(lat, 50), "p95": pct(lat, 95), **cpu}
    try:
        lat, cpu = metered(c, lambda: timed(lambda _i: c.history_sampled(run, "loss"), SAMPLES), lambda lat: len(lat) + 1)
        out["history_sampled"] = {"p50": pct(lat, 50), "p95": pct(lat, 95), **cpu}
    except Exception as error:  # noqa: BLE001 - a peer without the route gets a note, not a crash
        out["history_sampled"] = {"error": str(error)[:120]}
    return out


def row_registry(name: str, c) -> dict:
    print(f"[{name}] registry", flush=True)
    tag = tag_of(name)
    exp = c.experiment(f"registry-{tag}")
    try:
        run = c.new_run(exp, "trained")
        c.log(run, [("acc", 0.9, 0)], params={f"hp{i}": str(i) for i in range(20)})
        c.register(run, f"model-{tag}")
    except Exception as error:  # noqa: BLE001 - a peer without the routes gets a note, not a retry
        return {"registry": {"error": str(error)[:160]}}
    lat, cpu = metered(c, lambda: timed(lambda _i: c.resolve(f"model-{tag}"), SAMPLES), lambda lat: len(lat) + 1)
    return {"registry": {"p50": pct(lat, 50), "p95": pct(lat, 95), **cpu}}


ROWS = {"ingest": row_ingest, "create": row_create, "search": row_search, "history": row_history, "registry": row_registry}
ROW_KEYS = {"ingest": ["ingest"], "create": ["create"], "search": ["search"], "history": ["history_full", "history_sampled"], "registry": ["registry"]}
SELECTED_ROWS = [r.strip() for r in os.environ.get("PEERS_ROWS", ",".join(ROWS)).split(",") if r.strip()]


def tag_of(name: str) -> str:
    """A fresh name per row and attempt, so a retried row never meets what the failed one left."""
    return f"{name}-{time.time_ns() // 1000}"


def workloads(name: str, c, restart) -> dict:
    """Every selected row for one system. A row that fails is retried once (a peer's transient
    failure under load, e.g. a server that dropped a connection), on a restarted server when the
    first one exited; a second failure is recorded in that row only, and the next rows still run."""
    out: dict = {"system": name}
    for row in SELECTED_ROWS:
        for attempt in (1, 2):
            try:
                out.update(ROWS[row](name, c))
                break
            except Exception as error:  # noqa: BLE001 - one row failing must not lose the others
                print(f"[{name}] {row} failed (attempt {attempt} of 2): {str(error)[:300]}", flush=True)
                if attempt == 2:
                    out.update({key: {"error": str(error)[:160]} for key in ROW_KEYS[row]})
                else:
                    c = restart() or c
    return out


# ------------------------------------------------------------------ starting and stopping
def start(name: str, tmp: str, fresh: bool = True):
    """Starts one system on a free port; `fresh` recreates its database (a restart after a
    failure keeps it)."""
    db_of = recreate_db if fresh else (lambda db: f"{PG}/{db}")
    if name == "aim":
        return None, AimPeer(tmp)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(os.path.join(tmp, f"{name}.log"), "a")
    env = dict(os.environ)
    if name in ("runledger", "runledger-mlflow", "runledger-before"):
        # A fresh database per system, like every peer's (migrations run when the server starts).
        url = db_of(DB_PREFIX + name.replace("-", "_"))
        env.update({"DATABASE_URL": url, "PORT": str(port), "HOST": "127.0.0.1", "LOG_LEVEL": "warn", "DATABASE_POOL_SIZE": "16",
                    "RUNLEDGER_ARTIFACT_DIR": os.path.join(tmp, "rl-artifacts")})
        # e.g. PEERS_RUNLEDGER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" for a CPU profile of the server.
        cmd = ["node", *os.environ.get("PEERS_RUNLEDGER_NODE_ARGS", "").split(), "--import", "tsx", os.environ.get("PEERS_RUNLEDGER_ENTRY", "src/server.ts")]
        # runledger: its GraphQL API; runledger-mlflow: the same MLflow REST client the MLflow
        # servers get, pointed at runledger's MLflow routes.
        client = MlflowClient(base) if name == "runledger-mlflow" else RunledgerClient(base)
        health = f"{base}/healthz"
    elif name == "mlflow":
        db = db_of(DB_PREFIX + "mlflow").replace("postgresql://", "postgresql+psycopg2://")
        cmd = [os.environ["PEERS_MLFLOW_BIN"], "server", "--backend-store-uri", db, "--artifacts-destination", os.path.join(tmp, "mlflow-artifacts"),
               "--host", "127.0.0.1", "--port", str(port), "--workers", "2",
               # Under load a busy worker misses uvicorn's 5 s health ping and is killed mid-request.
               "--uvicorn-opts", "--timeout-worker-healthcheck 300 --timeout-keep-alive 120"]
        client, health = MlflowClient(base), f"{base}/health"
    elif name == "mlflow-go":
        db = db_of(DB_PREFIX + "mlflow_go").replace("postgresql://", "postgresql+psycopg2://")
        venv_bin = os.path.dirname(os.environ["PEERS_MLFLOW_GO_BIN"])
        # The Go server runs `mlflow server` (found on PATH) for the endpoints it has not ported.
        env.update({"MLFLOW_GO_LIBRARY_PATH": mlflow_go_library(venv_bin, tmp), "PATH": venv_bin + os.pathsep + env.get("PATH", "")})
        cmd = [os.environ["PEERS_MLFLOW_GO_BIN"], "server", "--backend-store-uri", db, "--artifacts-destination", os.path.join(tmp, "mlflow-go-artifacts"),
               "--host", "127.0.0.1", "--port", str(port), "--workers", "2", "--go-opts", "shutdown_timeout=5s",
               "--uvicorn-opts", "--timeout-worker-healthcheck 300 --timeout-keep-alive 120"]
        client, health = MlflowClient(base), f"{base}/health"
    elif name == "fasttrackml":
        db = db_of(DB_PREFIX + "fasttrackml").replace("postgresql://", "postgres://") + "?sslmode=disable"
        cmd = [os.environ["PEERS_FML_BIN"], "server", "--database-uri", db, "--listen-address", f"127.0.0.1:{port}",
               "--default-artifact-root", os.path.join(tmp, "fml-artifacts")]
        client, health = MlflowClient(base), f"{base}/health"
    else:
        raise ValueError(name)
    client.database = url if name.startswith("runledger") else db.replace("+psycopg2", "").replace("postgres://", "postgresql://").split("?")[0]
    # runledger-before: the same GraphQL client against another checkout (PEERS_BEFORE_ROOT, e.g. a
    # `git worktree` of the commit before a change), so before and after are measured in one run.
    cwd = os.environ["PEERS_BEFORE_ROOT"] if name == "runledger-before" else ROOT if name.startswith("runledger") else tmp
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    wait_http(health, proc)
    client.meter = CpuMeter(proc.pid, client.database)
    return proc, client


def mlflow_go_library(venv_bin: str, tmp: str) -> str:
    """A directory for MLFLOW_GO_LIBRARY_PATH holding the wheel's Go library under the name its loader wants.

    mlflow-go-backend's Linux wheels ship the shared library as libmlflow-go-backend.dylib (an
    ELF .so despite the name) while its loader looks for libmlflow-go-backend.so on Linux and,
    not finding it, tries to build the library with `go build` from sources the wheel does not
    carry. Pointing the loader at a directory with a .so link to the shipped file avoids that.
    """
    import glob

    found = glob.glob(os.path.join(os.path.dirname(venv_bin), "lib", "python3*", "site-packages", "mlflow_go_backend", "libmlflow-go-backend.*"))
    shipped = {os.path.splitext(f)[1]: f for f in found}
    if (".so" not in shipped and ".dylib" not in shipped) or ".h" not in shipped:
        raise RuntimeError(f"mlflow-go-backend's library not found in {venv_bin}/..: {found}")
    out = os.path.join(tmp, "mlflow-go-lib")
    os.makedirs(out, exist_ok=True)
    for ext in (".so", ".h"):
        link = os.path.join(out, "libmlflow-go-backend" + ext)
        if not os.path.exists(link):
            os.symlink(shipped.get(ext) or shipped[".dylib"], link)
    return out


def stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=30)
    except Exception:  # noqa: BLE001
        os.killpg(proc.pid, 9)


def fmt(x, digits=1):
    return "-" if x is None else f"{x:,.{digits}f}"


def not_measured(row) -> bool:
    return not row or "error" in row or "na" in row


def notes(results: list[dict]) -> list[str]:
    """The footnotes of rows a system measured its own way (Aim: in-process, client-side order...)."""
    return [f"{r['system']} {key}: {v['note']}" for r in results for key, v in r.items() if isinstance(v, dict) and v.get("note")]


def table(results: list[dict]) -> str:
    base = next((r for r in results if r["system"] == "mlflow" and "error" not in r), None)
    rows = [("workload", *[r["system"] for r in results])]

    def cell(r, key, field, digits=1):
        v = r.get(key, {})
        if "na" in v:
            return f"n/a ({v['na']})"
        return v.get("error", "n/a")[:40] if "error" in v else fmt(v.get(field), digits) if v else "n/a"

    def ratio(r, key, field, higher_better):
        if not base or not_measured(r.get(key)) or not_measured(base.get(key)) or r[key].get("comparable") is False:
            return ""  # no ratio for a row measured some other way (Aim's in-process writes): its note says how
        a, b = r[key][field], base[key][field]
        return f" ({a / b if higher_better else b / a:.1f}x)"

    spec = [("ingest 8x1k-point batches, points/s", "ingest", "points_per_s", True, 0),
            ("ingest batch p50 ms", "ingest", "p50", False, 1), ("ingest batch p99 ms", "ingest", "p99", False, 1),
            ("run creation, 16 writers, runs/s", "create", "runs_per_s", True, 0),
            (f"search {SEARCH_RUNS:,} runs p50 ms", "search", "p50", False, 1), (f"search {SEARCH_RUNS:,} runs p95 ms", "search", "p95", False, 1),
            (f"history {SERIES_POINTS:,} pts full (paged) p50 ms", "history_full", "p50", False, 1),
            (f"history {SERIES_POINTS:,} pts full (paged) p95 ms", "history_full", "p95", False, 1),
            ("history 1k-point downsample p50 ms", "history_sampled", "p50", False, 1),
            ("history 1k-point downsample p95 ms", "history_sampled", "p95", False, 1),
            ("registry model@alias -> params + digests p50 ms", "registry", "p50", False, 1)]
    for label, key, field, higher, digits in spec:
        rows.append((label, *[("FAILED: " + r["error"][:30]) if "error" in r else cell(r, key, field, digits) + ratio(r, key, field, higher) for r in results]))
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    lines = ["| " + " | ".join(str(v).ljust(widths[i]) for i, v in enumerate(row)) + " |" for row in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


CPU_ROWS = [("ingest, per 1k-point batch", "ingest"), ("run creation, per run", "create"), ("search, per query", "search"),
            ("history full, per read", "history_full"), ("history downsample, per read", "history_sampled"), ("registry resolve, per call", "registry")]


def cpu_table(results: list[dict]) -> str:
    """CPU ms per operation, server + database, beside the wall-clock table (see CpuMeter)."""
    rows = [("CPU ms per operation: server + database", *[r["system"] for r in results])]
    for label, key in CPU_ROWS:
        cells = []
        for r in results:
            v = r.get(key, {})
            cells.append(f"{v['cpu_server_ms']:.2f} + {v['cpu_db_ms']:.2f}" if "cpu_server_ms" in v else "-")
        rows.append((label, *cells))
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    lines = ["| " + " | ".join(str(v).ljust(widths[i]) for i, v in enumerate(row)) + " |" for row in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def main() -> None:
    systems = os.environ.get("PEERS", DEFAULT_PEERS).split(",")
    tmp = tempfile.mkdtemp(prefix="peers-")
    results = []
    for name in systems:
        print(f"== {name}", flush=True)
        proc = None

        def restart():
            nonlocal proc
            if proc is None or proc.poll() is None:
                return None  # still serving: retry on the same server
            print(f"[{name}] server exited ({proc.returncode}); restarting it on the same database", flush=True)
            proc, fresh_client = start(name, tmp, fresh=False)
            return fresh_client

        try:
            proc, client = start(name, tmp)
            results.append(client.workloads() if isinstance(client, AimPeer) else workloads(name, client, restart))
        except Exception as error:  # noqa: BLE001 - one peer failing must not lose the others' rows
            print(f"[{name}] failed: {error}", flush=True)
            results.append({"system": name, "error": str(error)[:200]})
        finally:
            if proc:
                stop(proc)
    print()
    print(table(results))
    print()
    print(cpu_table(results))
    for note in notes(results):
        print(note)
    print("\nratios in parentheses: against the MLflow server, >1 means better than MLflow")
    when = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    env = " ".join(f"{k}={os.environ[k]}" for k in sorted(os.environ) if k.startswith("PEERS_") and not k.endswith(("_BIN", "_PYTHON")))
    print(f"{when}; rerun: {env + ' ' if env else ''}npm run bench:peers  (logs in {tmp})")
    out = os.path.join(ROOT, "bench", "results", "peers.json")
    with open(out, "w") as f:
        json.dump({"at": when, "sizes": {"ingest_batches": INGEST_BATCHES, "create_runs": CREATE_RUNS, "search_runs": SEARCH_RUNS,
                                         "series_points": SERIES_POINTS, "samples": SAMPLES}, "results": results}, f, indent=2)
    shutil.rmtree(os.path.join(tmp, "rl-artifacts"), ignore_errors=True)
    shutil.rmtree(os.path.join(tmp, "aim-repo"), ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
