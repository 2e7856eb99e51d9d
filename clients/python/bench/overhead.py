"""Overhead of run.log on the training thread, per logged value (goal: under 5 µs).

Logs CALLS calls of VALUES values each to a real server (started on an embedded database
unless --url is given) and reports, per value, the training thread's wall time and CPU time
(time.thread_time, so the writer thread's work is not counted), beside an empty loop that
builds the same dicts. Then waits for the writer and reports end-to-end throughput.

    python clients/python/bench/overhead.py [--calls 200000] [--values 5] [--url URL]
"""
from __future__ import annotations

import argparse
import contextlib
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "clients" / "python"))
sys.path.insert(0, str(REPO / "test" / "python"))

import runledger  # noqa: E402


def measure(fn, calls: int) -> tuple[float, float]:
    w0, c0 = time.perf_counter(), time.thread_time()
    fn(calls)
    return time.perf_counter() - w0, time.thread_time() - c0


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--calls", type=int, default=200_000)
    p.add_argument("--values", type=int, default=5)
    p.add_argument("--url")
    args = p.parse_args()
    keys = [f"metric_{i}" for i in range(args.values)]

    ctx = contextlib.nullcontext(None)
    if not args.url:
        from support.server import start_server

        ctx = start_server()
    with ctx as server:
        url = args.url or server.url
        run = runledger.start_run(project="bench-client-overhead", capture=False, url=url, quiet=True)

        def baseline(n: int) -> None:
            for i in range(n):
                {k: i * 0.001 for k in keys}

        def logging(n: int) -> None:
            log = run.log
            for i in range(n):
                log({k: i * 0.001 for k in keys}, step=i)

        base_wall, base_cpu = measure(baseline, args.calls)
        wall, cpu = measure(logging, args.calls)
        t0 = time.perf_counter()
        run.finish()
        drain = time.perf_counter() - t0
        n = args.calls * args.values
        per = lambda x: (x / n) * 1e6  # noqa: E731
        print(f"values logged:                       {n:,} ({args.calls:,} calls x {args.values} values)")
        print(f"training thread, wall per value:     {per(wall):.2f} µs   (empty loop building the dicts: {per(base_wall):.2f} µs)")
        print(f"training thread, CPU per value:      {per(cpu):.2f} µs   (empty loop: {per(base_cpu):.2f} µs)")
        print(f"overhead of run.log per value:       {per(wall - base_wall):.2f} µs wall, {per(cpu - base_cpu):.2f} µs CPU   (goal < 5 µs)")
        print(f"writer: all points stored {drain:.1f} s after the loop ended; end to end {n / (wall + drain):,.0f} values/s")
        print("rerun: python clients/python/bench/overhead.py" + (f" --url {args.url}" if args.url else "") + f" --calls {args.calls} --values {args.values}")


if __name__ == "__main__":
    main()
