"""The Python client's costs, against a real server (started on an embedded database unless
--url or --postgres is given), with the machine's load printed beside them:

1. log() overhead on the training thread per logged value (goal: under 5 µs): CALLS calls of
   VALUES values, wall and thread CPU time, beside an empty loop building the same dicts.
2. finish() after the last log() of those values (goal: within 5 s for 1,000,000 values):
   with the default RUNLEDGER_FINISH_WAIT, and how long until every point is stored and the
   run is FINISHED (the background upload included); then the same drain waiting in process.
3. Requests per second per run under steady logging: 50 steps a second of 8 metrics for
   --steady seconds (goal: about one a second, as documented).

    python clients/python/bench/overhead.py [--calls 200000] [--values 5] [--steady 10] [--url URL | --postgres URL]
"""
from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "clients" / "python"))
sys.path.insert(0, str(REPO / "test" / "python"))

import runledger  # noqa: E402
from runledger._http import Transport  # noqa: E402

STATUS = """query($id: ID!) { run(id: $id) { status metrics { key count } } }"""


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores"


def measure(fn, calls: int) -> tuple[float, float]:
    w0, c0 = time.perf_counter(), time.thread_time()
    fn(calls)
    return time.perf_counter() - w0, time.thread_time() - c0


def stored(t: Transport, run_id: str, expected: int, timeout: float = 900) -> float:
    """Seconds until the run is FINISHED with every point stored."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        r = t.graphql(STATUS, {"id": run_id})["run"]
        if r["status"] == "FINISHED" and sum(m["count"] for m in r["metrics"]) == expected:
            return time.perf_counter() - t0
        time.sleep(0.2)
    raise SystemExit(f"run {run_id} not complete after {timeout} s")


def drain(url: str, calls: int, keys: list[str], wait: str) -> dict:
    os.environ["RUNLEDGER_FINISH_WAIT"] = wait
    run = runledger.start_run(project="bench-client", name=f"drain-wait-{wait}", capture=False, url=url, quiet=True)
    log = run.log
    t0 = time.perf_counter()
    for i in range(calls):
        log({k: i * 0.001 for k in keys}, step=i)
    loop = time.perf_counter() - t0
    t1 = time.perf_counter()
    run.finish()
    finish = time.perf_counter() - t1
    n = calls * len(keys)
    complete = finish + stored(Transport(url), run.id, n)
    return {"loop": loop, "finish": finish, "complete": complete, "n": n, "requests": run._writer.requests,
            "handed_off": run._writer.handed_off, "run": run}


def steady(url: str, seconds: float) -> tuple[int, float, int]:
    run = runledger.start_run(project="bench-client", name="steady-50-steps-per-second", capture=False, url=url, quiet=True)
    t0 = time.monotonic()
    step = 0
    while time.monotonic() - t0 < seconds:
        run.log({f"m{i}": step * 0.1 + i for i in range(8)}, step=step)
        step += 1
        time.sleep(max(0.0, t0 + step / 50 - time.monotonic()))
    elapsed = time.monotonic() - t0
    requests = run._writer.requests
    run.finish()
    return requests, elapsed, step


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--calls", type=int, default=200_000)
    p.add_argument("--values", type=int, default=5)
    p.add_argument("--steady", type=float, default=10.0)
    p.add_argument("--url")
    p.add_argument("--postgres", help="start the server on this PostgreSQL database instead of the embedded one")
    p.add_argument("--json", help="also write the figures to this file (e.g. clients/python/bench/results/overhead-pglite.json)")
    args = p.parse_args()
    keys = [f"metric_{i}" for i in range(args.values)]

    ctx = contextlib.nullcontext(None)
    if not args.url:
        from support.server import start_server

        ctx = start_server(env={"DATABASE_URL": args.postgres} if args.postgres else None)
    with ctx as server:
        url = args.url or server.url
        database = "given server" if args.url else ("PostgreSQL" if args.postgres else "embedded PGlite")
        print(f"server: {url} ({database}); {load()}")
        run = runledger.start_run(project="bench-client", name="overhead", capture=False, url=url, quiet=True)

        def baseline(n: int) -> None:
            for i in range(n):
                {k: i * 0.001 for k in keys}

        def logging(n: int) -> None:
            log = run.log
            for i in range(n):
                log({k: i * 0.001 for k in keys}, step=i)

        base_wall, base_cpu = measure(baseline, args.calls)
        wall, cpu = measure(logging, args.calls)
        os.environ["RUNLEDGER_FINISH_WAIT"] = "all"
        run.finish()
        n = args.calls * args.values
        per = lambda x: (x / n) * 1e6  # noqa: E731
        print(f"1. log() overhead, {n:,} values ({args.calls:,} calls x {args.values}):")
        print(f"   training thread, wall per value:  {per(wall):.2f} µs   (empty loop building the dicts: {per(base_wall):.2f} µs)")
        print(f"   training thread, CPU per value:   {per(cpu):.2f} µs   (empty loop: {per(base_cpu):.2f} µs)")
        print(f"   overhead of run.log per value:    {per(wall - base_wall):.2f} µs wall, {per(cpu - base_cpu):.2f} µs CPU   (goal < 5 µs)")

        d = drain(url, args.calls, keys, os.environ.get("BENCH_FINISH_WAIT", "2"))
        print(f"2. finish() after the last log() of {d['n']:,} values (loop took {d['loop']:.1f} s; {load()}):")
        print(f"   default (RUNLEDGER_FINISH_WAIT=2): finish() returned after {d['finish']:.1f} s (goal < 5 s); "
              f"{d['handed_off']} batches handed to the background upload; all stored and FINISHED {d['complete']:.1f} s after the last log()")
        a = drain(url, args.calls, keys, "all")
        print(f"   RUNLEDGER_FINISH_WAIT=all: finish() returned after {a['finish']:.1f} s, {a['requests']} requests; "
              f"end to end {a['n'] / (a['loop'] + a['finish']):,.0f} values/s, drain {a['n'] / max(a['finish'], 1e-9):,.0f} values/s after the loop")

        requests, elapsed, steps = steady(url, args.steady)
        print(f"3. steady logging, 50 steps/s x 8 metrics for {elapsed:.1f} s ({steps} steps): {requests} requests, "
              f"{requests / elapsed:.2f} requests/s per run (goal about 1); {load()}")
        flags = "".join(f" --{k} {v}" for k, v in (("url", args.url), ("postgres", args.postgres)) if v)
        command = f"nice python clients/python/bench/overhead.py --calls {args.calls} --values {args.values} --steady {args.steady:g}{flags}"
        print(f"rerun: {command}")
        if args.json:
            figures = {
                "at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"), "command": command, "database": database,
                "load": os.getloadavg()[0], "cores": os.cpu_count(), "values": n,
                "logOverheadMicrosPerValue": {"wall": per(wall - base_wall), "cpu": per(cpu - base_cpu), "goal": "< 5"},
                "finishDefault": {"wait": os.environ.get("BENCH_FINISH_WAIT", "2"), "finishSeconds": d["finish"], "storedSeconds": d["complete"],
                                  "handedOff": d["handed_off"], "goal": "finish < 5 s after the last log()"},
                "finishWaitAll": {"finishSeconds": a["finish"], "requests": a["requests"], "drainValuesPerSecond": a["n"] / max(a["finish"], 1e-9)},
                "steady": {"seconds": elapsed, "steps": steps, "requests": requests, "requestsPerSecond": requests / elapsed, "goal": "about 1"},
            }
            Path(args.json).parent.mkdir(parents=True, exist_ok=True)
            Path(args.json).write_text(json.dumps(figures, indent=1) + "\n")


if __name__ == "__main__":
    main()
