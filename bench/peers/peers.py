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
def workloads(name: str, c) -> dict:
    out: dict = {"system": name}
    tag = f"{name}-{int(time.time())}"
    print(f"[{name}] ingest", flush=True)
    exp = c.experiment(f"ingest-{tag}")
    runs = [c.new_run(exp, f"w{i}") for i in range(8)]
    keys = [f"m{k}" for k in range(8)]

    def batch(b: int):
        c.log(runs[b % 8], [(keys[i % 8], random.random(), b * 125 + i // 8) for i in range(1000)])

    secs, lat = parallel(8, list(range(INGEST_BATCHES)), batch)
    out["ingest"] = {"points_per_s": INGEST_BATCHES * 1000 / secs, "p50": pct(lat, 50), "p99": pct(lat, 99)}

    print(f"[{name}] run creation", flush=True)
    exp = c.experiment(f"create-{tag}")
    secs, _ = parallel(16, list(range(CREATE_RUNS)), lambda i: c.new_run(exp, f"r{i}"))
    out["create"] = {"runs_per_s": CREATE_RUNS / secs}

    print(f"[{name}] seeding {SEARCH_RUNS} runs for search", flush=True)
    exp = c.experiment(f"search-{tag}")

    def seed_run(i: int):
        rng = random.Random(i)
        run = c.new_run(exp, f"s{i}")
        c.log(run, [("m0", rng.random(), 0), ("m1", rng.random(), 0)], params={"p1": f"v{i % 10}", "p2": str(i)})

    parallel(16, list(range(SEARCH_RUNS)), seed_run)
    # Fresh statistics for every system alike: without them runledger's planner took the new
    # project for one run and nested-looped the params index (1.2 s instead of tens of ms).
    subprocess.run(["psql", c.database, "-qc", "ANALYZE"], check=True)
    lat = timed(lambda _i: c.search(exp), SAMPLES)
    out["search"] = {"p50": pct(lat, 50), "p95": pct(lat, 95), "runs": SEARCH_RUNS}

    print(f"[{name}] seeding a {SERIES_POINTS}-point series", flush=True)
    exp = c.experiment(f"history-{tag}")
    run = c.new_run(exp, "long")
    ts = int(time.time() * 1000)
    parallel(4, list(range(SERIES_POINTS // 1000)), lambda b: c.log(run, [("loss", random.random(), b * 1000 + i) for i in range(1000)], ts=ts))
    lat = timed(lambda _i: c.history_full(run, "loss"), max(3, SAMPLES // 6))
    out["history_full"] = {"p50": pct(lat, 50), "p95": pct(lat, 95)}
    try:
        lat = timed(lambda _i: c.history_sampled(run, "loss"), SAMPLES)
        out["history_sampled"] = {"p50": pct(lat, 50), "p95": pct(lat, 95)}
    except Exception as error:  # noqa: BLE001 - a peer without the route gets a note, not a crash
        out["history_sampled"] = {"error": str(error)[:120]}

    print(f"[{name}] registry", flush=True)
    try:
        run = c.new_run(exp, "trained")
        c.log(run, [("acc", 0.9, 0)], params={f"hp{i}": str(i) for i in range(20)})
        c.register(run, f"model-{tag}")
        lat = timed(lambda _i: c.resolve(f"model-{tag}"), SAMPLES)
        out["registry"] = {"p50": pct(lat, 50), "p95": pct(lat, 95)}
    except Exception as error:  # noqa: BLE001
        out["registry"] = {"error": str(error)[:160]}
    return out


# ------------------------------------------------------------------ starting and stopping
def start(name: str, tmp: str):
    if name == "aim":
        return None, AimPeer(tmp)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(os.path.join(tmp, f"{name}.log"), "w")
    env = dict(os.environ)
    if name in ("runledger", "runledger-mlflow"):
        # A fresh database per system, like every peer's (migrations run when the server starts).
        url = recreate_db("peer_" + name.replace("-", "_"))
        env.update({"DATABASE_URL": url, "PORT": str(port), "HOST": "127.0.0.1", "LOG_LEVEL": "warn", "DATABASE_POOL_SIZE": "16",
                    "RUNLEDGER_ARTIFACT_DIR": os.path.join(tmp, "rl-artifacts")})
        cmd = [os.path.join(ROOT, "node_modules", ".bin", "tsx"), "src/server.ts"]
        # runledger: its GraphQL API; runledger-mlflow: the same MLflow REST client the MLflow
        # servers get, pointed at runledger's MLflow routes.
        client = RunledgerClient(base) if name == "runledger" else MlflowClient(base)
        health = f"{base}/healthz"
    elif name == "mlflow":
        db = recreate_db("peer_mlflow").replace("postgresql://", "postgresql+psycopg2://")
        cmd = [os.environ["PEERS_MLFLOW_BIN"], "server", "--backend-store-uri", db, "--artifacts-destination", os.path.join(tmp, "mlflow-artifacts"),
               "--host", "127.0.0.1", "--port", str(port), "--workers", "2",
               # Under load a busy worker misses uvicorn's 5 s health ping and is killed mid-request.
               "--uvicorn-opts", "--timeout-worker-healthcheck 300 --timeout-keep-alive 120"]
        client, health = MlflowClient(base), f"{base}/health"
    elif name == "mlflow-go":
        db = recreate_db("peer_mlflow_go").replace("postgresql://", "postgresql+psycopg2://")
        venv_bin = os.path.dirname(os.environ["PEERS_MLFLOW_GO_BIN"])
        # The Go server runs `mlflow server` (found on PATH) for the endpoints it has not ported.
        env.update({"MLFLOW_GO_LIBRARY_PATH": mlflow_go_library(venv_bin, tmp), "PATH": venv_bin + os.pathsep + env.get("PATH", "")})
        cmd = [os.environ["PEERS_MLFLOW_GO_BIN"], "server", "--backend-store-uri", db, "--artifacts-destination", os.path.join(tmp, "mlflow-go-artifacts"),
               "--host", "127.0.0.1", "--port", str(port), "--workers", "2", "--go-opts", "shutdown_timeout=5s",
               "--uvicorn-opts", "--timeout-worker-healthcheck 300 --timeout-keep-alive 120"]
        client, health = MlflowClient(base), f"{base}/health"
    elif name == "fasttrackml":
        db = recreate_db("peer_fasttrackml").replace("postgresql://", "postgres://") + "?sslmode=disable"
        cmd = [os.environ["PEERS_FML_BIN"], "server", "--database-uri", db, "--listen-address", f"127.0.0.1:{port}",
               "--default-artifact-root", os.path.join(tmp, "fml-artifacts")]
        client, health = MlflowClient(base), f"{base}/health"
    else:
        raise ValueError(name)
    client.database = url if name.startswith("runledger") else db.replace("+psycopg2", "").replace("postgres://", "postgresql://").split("?")[0]
    proc = subprocess.Popen(cmd, cwd=ROOT if name.startswith("runledger") else tmp, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    wait_http(health, proc)
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


def main() -> None:
    systems = os.environ.get("PEERS", DEFAULT_PEERS).split(",")
    tmp = tempfile.mkdtemp(prefix="peers-")
    results = []
    for name in systems:
        print(f"== {name}", flush=True)
        proc = None
        try:
            proc, client = start(name, tmp)
            results.append(client.workloads() if isinstance(client, AimPeer) else workloads(name, client))
        except Exception as error:  # noqa: BLE001 - one peer failing must not lose the others' rows
            print(f"[{name}] failed: {error}", flush=True)
            results.append({"system": name, "error": str(error)[:200]})
        finally:
            if proc:
                stop(proc)
    print()
    print(table(results))
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
