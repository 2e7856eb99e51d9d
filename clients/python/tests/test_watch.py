"""`runledger.watch` over server-sent events: stored points first, then points as they are
logged, and a dropped stream resumed without repeating or losing points."""
from __future__ import annotations

import threading

import runledger
from conftest import cli, unique


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


class CuttingProxy:
    """A TCP proxy that closes its first connection right after the server's first event, as a
    flaky network would; later connections pass through."""

    def __init__(self, target_port: int):
        import socket

        self.target_port = target_port
        self.connections = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        import socket

        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            cut = self.connections == 1
            threading.Thread(target=self._pump, args=(client, upstream, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, cut), daemon=True).start()

    @staticmethod
    def _pump(src, dst, cut_after_event):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
                if cut_after_event and b"metricLogged" in data:
                    break
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.close()
            except OSError:
                pass

    def close(self):
        self.listener.close()


def test_watch_resumes_after_a_dropped_connection(server, client_env):
    from urllib.parse import urlsplit

    run = runledger.start_run(project=unique("watch"), capture=False, quiet=True)
    for step in range(3):
        run.log({"loss": float(step)}, step=step)
    run.flush()
    proxy = CuttingProxy(urlsplit(server.url).port)
    got, first = [], threading.Event()

    def consume():
        for p in runledger.watch(run.id, ["loss"], since_step=0, max_points=6, url=f"http://127.0.0.1:{proxy.port}"):
            got.append(p["step"])
            if len(got) == 3:
                first.set()

    t = threading.Thread(target=consume)
    t.start()
    assert first.wait(60)
    for step in range(3, 6):
        run.log({"loss": float(step)}, step=step)
        run.flush()
    t.join(60)
    run.finish()
    proxy.close()
    assert proxy.connections >= 2  # the first stream was cut and the client came back
    assert got == [0, 1, 2, 3, 4, 5]  # resumed from resumeFromStep: nothing lost, nothing twice


def test_watch_and_tail_on_a_finished_run_replay_and_return(server, client_env):
    with runledger.start_run(unique("done"), capture=False, quiet=True) as run:
        for step in range(30):
            run.log({"loss": 1.0 / (step + 1), "acc": step / 30}, step=step)
    points = list(runledger.watch(run.id, ["loss"], since_step=10))
    assert [(p["step"], p["value"]) for p in points] == [(s, 1.0 / (s + 1)) for s in range(10, 30)]
    assert len(list(runledger.watch(run.id))) == 60
    assert list(runledger.watch(run.id, since_step=None)) == []
    out = cli("tail", run.id, "acc", "--json", env=client_env)
    assert out.returncode == 0, out.stderr
    assert len(out.stdout.splitlines()) == 30
