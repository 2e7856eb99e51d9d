"""Aim's rows of `npm run bench:peers`, run by peers.py in Aim's own virtualenv (PEERS_AIM_PYTHON).

    python aim_peer.py REPO_DIR   ->  one JSON object on stdout, shaped like peers.workloads()

Aim has no PostgreSQL backend: it keeps its own repository (RocksDB chunks and a SQLite index)
in REPO_DIR. It is driven in-process through its Python SDK, not over the network: `aim server`
(remote tracking, aim://) accepts writes here, but with aim 3.29.1 a remote Repo answers queries
with no runs and get_run() with None, so the read rows could not go through it; the write rows
then would not be comparable with the read rows either. In-process means the ingest and run
creation rows have no network hop and no server in them, unlike every other column: they are
Aim's SDK writing its own files from 8 (16) Python threads, which share one GIL.

Rows, with what differs from the others (each row also carries a `note` that peers.py prints):
  ingest     8 writer threads, one Run each; a "batch" is 1,000 run.track() calls (Aim has no
             batch call), same keys and steps as the others. The 8 runs are closed inside the
             timed window. Read back and counted afterwards: a lost point fails the row.
  create     16 threads, Run(...) constructed (opened and registered in the repo), not closed
             inside the timed window.
  search     AimQL filters `run.hparams.p1 == 'v3' and run.metrics['m1'].last > 0.5` (metric
             last values are in the query language); AimQL has no ORDER BY nor LIMIT, so the
             matches are sorted by m0's last value and cut to 50 here, in the client, timed.
  history    one run, seeded by one thread (an Aim Run has one writer); full = the whole series
             read through the SDK (no paging: the SDK returns it whole); downsample = the SDK's
             own sampling, metric.data.sample(1000), the call Aim's UI uses for its charts: Aim
             stores a series in reservoir order, so the first 1,000 stored points are a uniform
             random sample of the steps (first and last included), not per-bucket min/max.
  registry   n/a: Aim has no model registry.
"""
from __future__ import annotations

import json
import os
import random
import sys
import threading
import time

from aim import Repo, Run
from aim.sdk.index_manager import RepoIndexManager
from aim.storage.context import Context
from aim.sdk.types import QueryReportMode

# peers.py's sizes and timing helpers, so both sides measure alike (it imports only requests
# and the standard library, both of which this venv has).
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no bench/peers/__pycache__ left in the work tree
from peers import CREATE_RUNS, INGEST_BATCHES, SAMPLES, SEARCH_RUNS, SERIES_POINTS, parallel, pct, timed  # noqa: E402

NO_CTX = Context({})


def log(msg: str) -> None:
    print(f"[aim] {msg}", file=sys.stderr, flush=True)


def new_run(repo: Repo, experiment: str) -> Run:
    # No system-metrics thread and no terminal capture: the other systems log neither.
    return Run(repo=repo, experiment=experiment, system_tracking_interval=None, capture_terminal_logs=False)


def index(repo: Repo, hashes: list[str]) -> float:
    """Makes finished runs visible to readers; returns the seconds it took.

    Aim 3.29 writes each run to its own chunk; queries and get_run() only see runs merged into
    the repository index, which `aim up` does in a background thread every few seconds. The
    benchmark merges them itself right after seeding, with the same indexer, outside the timed
    windows (the time is reported in the row's note).
    """
    t = time.perf_counter()
    manager = RepoIndexManager.get_index_manager(repo)
    for run_hash in hashes:
        manager.index(run_hash)
    return time.perf_counter() - t


def points(repo: Repo, run_hash: str, key: str) -> int:
    metric = Run(run_hash, repo=repo, read_only=True).get_metric(key, NO_CTX)
    return 0 if metric is None else len(metric.values.sparse_numpy()[0])


def ingest(repo: Repo, tag: str) -> dict:
    log("ingest")
    runs = [new_run(repo, f"ingest-{tag}") for _ in range(8)]
    keys = [f"m{k}" for k in range(8)]
    latencies: list[float] = []
    lock = threading.Lock()

    def writer(w: int) -> None:
        # Writer w owns run w and its batches (b % 8 == w): the same (run, batch) pairs as the
        # other systems get, without two threads writing one Run.
        run = runs[w]
        for b in range(w, INGEST_BATCHES, 8):
            t = time.perf_counter()
            for i in range(1000):
                run.track(random.random(), name=keys[i % 8], step=b * 125 + i // 8)
            ms = (time.perf_counter() - t) * 1000
            with lock:
                latencies.append(ms)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(8)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for run in runs:
        run.close()
    secs = time.perf_counter() - t0
    hashes = [r.hash for r in runs]
    index_s = index(repo, hashes)
    expected = sum(1 for b in range(INGEST_BATCHES) for _ in range(125) if b % 8 == 0)
    got = points(repo, hashes[0], "m0")
    if got != expected:
        raise RuntimeError(f"ingest: run 0 m0 has {got} points, expected {expected}")
    return {"points_per_s": INGEST_BATCHES * 1000 / secs, "p50": pct(latencies, 50), "p99": pct(latencies, 99),
            "comparable": False,
            "note": f"not comparable, no ratio: in-process SDK, no server; batch = 1,000 run.track() calls; indexing for readers {index_s:.1f} s more"}


def create(repo: Repo, tag: str) -> dict:
    log("run creation")
    made: list[Run] = []
    lock = threading.Lock()

    def one(_i: int) -> None:
        run = new_run(repo, f"create-{tag}")
        with lock:
            made.append(run)

    secs, _ = parallel(16, list(range(CREATE_RUNS)), one)
    for run in made:
        run.close()
    return {"runs_per_s": CREATE_RUNS / secs, "comparable": False, "note": "not comparable, no ratio: in-process SDK, no server"}


def search(repo: Repo, tag: str) -> dict:
    log(f"seeding {SEARCH_RUNS} runs for search")
    exp = f"search-{tag}"
    seeded_hashes: list[str] = []

    def seeded(i: int) -> tuple[float, float]:
        rng = random.Random(i)
        return rng.random(), rng.random()  # m0, m1: the values peers.py seeds the others with

    def seed_run(i: int) -> None:
        m0, m1 = seeded(i)
        run = new_run(repo, exp)
        run["hparams"] = {"p1": f"v{i % 10}", "p2": str(i)}
        run.track(m0, name="m0", step=0)
        run.track(m1, name="m1", step=0)
        run.close()
        seeded_hashes.append(run.hash)

    parallel(16, list(range(SEARCH_RUNS)), seed_run)
    index_s = index(repo, seeded_hashes)
    query = f"run.experiment == '{exp}' and run.hparams.p1 == 'v3' and run.metrics['m1'].last > 0.5"
    expected = sum(1 for i in range(SEARCH_RUNS) if i % 10 == 3 and seeded(i)[1] > 0.5)

    def run_search(_i: int) -> int:
        hits = []
        for found in repo.query_runs(query, report_mode=QueryReportMode.DISABLED).iter_runs():
            m0 = found.run.get_metric("m0", NO_CTX)
            hits.append((m0.values.last_value(), found.run.hash))
        hits.sort(reverse=True)  # ORDER BY metrics.m0 DESC, in the client
        if len(hits) != expected:
            raise RuntimeError(f"search matched {len(hits)} runs, expected {expected}")
        return len(hits[:50])

    lat = timed(run_search, SAMPLES)
    return {"p50": pct(lat, 50), "p95": pct(lat, 95), "runs": SEARCH_RUNS,
            "note": f"AimQL filters (incl. metric last value); order by m0 + first 50 client-side; index {index_s:.1f} s"}


def history(repo: Repo, tag: str) -> tuple[dict, dict]:
    log(f"seeding a {SERIES_POINTS}-point series")
    run = new_run(repo, f"history-{tag}")
    for s in range(SERIES_POINTS):
        run.track(random.random(), name="loss", step=s)
    run.close()
    run_hash = run.hash
    index(repo, [run_hash])

    def full(_i: int) -> None:
        n = points(repo, run_hash, "loss")
        if n != SERIES_POINTS:
            raise RuntimeError(f"history: read {n} points, expected {SERIES_POINTS}")

    def sampled(_i: int) -> None:
        metric = Run(run_hash, repo=repo, read_only=True).get_metric("loss", NO_CTX)
        steps, _values = metric.data.sample(1000).numpy()
        if len(steps) != min(1000, SERIES_POINTS):
            raise RuntimeError(f"history sample: {len(steps)} points, expected 1000")

    lat = timed(full, max(3, SAMPLES // 6))
    out_full = {"p50": pct(lat, 50), "p95": pct(lat, 95), "note": "whole series in one SDK read (no paging)"}
    lat = timed(sampled, SAMPLES)
    out_sampled = {"p50": pct(lat, 50), "p95": pct(lat, 95), "note": "metric.data.sample(1000): Aim's stored reservoir order, 1,000 random steps across the series"}
    return out_full, out_sampled


def main() -> None:
    repo = Repo.from_path(sys.argv[1], init=True)
    tag = f"aim-{int(time.time())}"
    out: dict = {"system": "aim"}
    out["ingest"] = ingest(repo, tag)
    out["create"] = create(repo, tag)
    out["search"] = search(repo, tag)
    out["history_full"], out["history_sampled"] = history(repo, tag)
    out["registry"] = {"na": "no registry"}
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
