"""`runledger.watch` over server-sent events: stored points first, then points as they are
logged, and a dropped stream resumed without repeating or losing points."""
from __future__ import annotations

import threading

import runledger
from conftest import unique


def test_watch_receives_live_points(server, client_env):
    run = runledger.start_run(project=unique("watch"), capture=False, quiet=True)
    run.log({"loss": 1.0, "acc": 0.1}, step=0)
    run.flush()
    got = []
    ready = threading.Event()

    def consume():
        for p in runledger.watch(run.id, ["loss"], since_step=0, max_points=4):
            got.append((p["step"], p["value"]))
            ready.set()

    t = threading.Thread(target=consume)
    t.start()
    assert ready.wait(60)  # the replayed point arrived: the subscription is live
    for step in (1, 2, 3):
        run.log({"loss": 1.0 / (step + 1), "acc": 0.5}, step=step)
        run.flush()
    t.join(60)
    run.finish()
    assert got == [(0, 1.0), (1, 0.5), (2, 1 / 3), (3, 0.25)]


def test_watch_by_project_and_name_live_only(server, client_env):
    project = unique("watch")
    run = runledger.start_run(project=project, name="live", capture=False, quiet=True)
    run.log({"loss": 9.0}, step=0)
    run.flush()
    got, started = [], threading.Event()

    def consume():
        started.set()
        for p in runledger.watch(f"{project}/live", since_step=5, max_points=2):
            got.append((p["key"], p["step"]))

    t = threading.Thread(target=consume)
    t.start()
    started.wait()
    for step in range(1, 8):
        run.log({"loss": float(step)}, step=step)
        run.flush()
    t.join(60)
    run.finish()
    assert got == [("loss", 5), ("loss", 6)]
