"""A server that dies while a run logs: the writer retries, then spools to a local file;
after a restart `runledger sync` uploads it, and every logged point is stored exactly once.
Also: 503 answers with Retry-After are waited out, not turned into errors."""
from __future__ import annotations

import http.server
import json
import os
import shutil
import tempfile
import threading
import time
import urllib.request

import runledger
from conftest import cli, history, unique
from support.server import kill_hard, start_server


def test_kill_restart_sync_keeps_every_point_once(tmp_path, monkeypatch):
    data_dir = tempfile.mkdtemp(prefix="runledger-outage-")
    spool = tmp_path / "spool"
    monkeypatch.setenv("RUNLEDGER_SPOOL_DIR", str(spool))
    monkeypatch.setenv("RUNLEDGER_CONFIG", str(tmp_path / "config.json"))
    try:
        with start_server(data_dir=data_dir) as first:
            run = runledger.start_run(project=unique("outage"), capture=False, url=first.url, retry_seconds=1.0, quiet=True)
            for step in range(3000):
                run.log({"loss": step / 3000, "acc": 1 - step / 3000}, step=step)
                if step == 1000:
                    run.flush()
                    kill_hard(first)  # in the middle of the run, with points still queued
            run.finish()
            assert run.status == "FINISHED"
        spool_file = spool / f"{run.id.replace('=', '_')}.jsonl"
        assert sorted(spool.glob("*.jsonl")) == [spool_file]  # beside it: locks/ (one uploader per run)
        spooled = [json.loads(line)["op"] for line in spool_file.read_text().splitlines()]
        assert spooled[-1] == "finishRun" and "logBatch" in spooled

        with start_server(data_dir=data_dir) as second:
            env = {"RUNLEDGER_SPOOL_DIR": str(spool), "RUNLEDGER_CONFIG": str(tmp_path / "config.json")}
            out = cli("sync", "--url", second.url, env=env)
            assert out.returncode == 0, out.stderr
            assert out.stdout.startswith("synced ") and "of 1 runs" in out.stdout
            assert list(spool.glob("*.jsonl")) == []
            assert cli("sync", "--url", second.url, env=env).stdout.strip() == "nothing to sync"
            assert history(second, run.id, "loss") == [(s, s / 3000) for s in range(3000)]
            assert history(second, run.id, "acc") == [(s, 1 - s / 3000) for s in range(3000)]
            status = second.graphql("query($id: ID!) { run(id: $id) { status metrics { key count } } }", {"id": run.id})["run"]
            assert status == {"status": "FINISHED", "metrics": [{"key": "acc", "count": 3000}, {"key": "loss", "count": 3000}]}
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


class _Flaky(http.server.BaseHTTPRequestHandler):
    """Answers the first requests 503 with Retry-After (as a server in a database outage does), then forwards."""
    target = ""
    refusals = 0
    seen: list = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["content-length"]))
        type(self).seen.append(time.monotonic())
        if type(self).refusals > 0:
            type(self).refusals -= 1
            payload = b'{"errors":[{"message":"database unavailable","extensions":{"code":"UNAVAILABLE"}}]}'
            self.send_response(503)
            self.send_header("retry-after", "1")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        req = urllib.request.Request(self.target + self.path, data=body, headers={"content-type": "application/json"}, method="POST")
        with urllib.request.urlopen(req) as resp:
            data = resp.read()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def test_503_with_retry_after_is_waited_out(server, client_env):
    _Flaky.target, _Flaky.refusals, _Flaky.seen = server.url, 2, []
    proxy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Flaky)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{proxy.server_address[1]}"
        out = cli("runs", unique("none"), "--json", env={**client_env, "RUNLEDGER_URL": url})
        # The project does not exist: the answer after the two 503s is the server's NOT_FOUND.
        assert out.returncode == 3, out.stderr
        assert len(_Flaky.seen) == 3  # two refusals retried, then the real answer
    finally:
        proxy.shutdown()


def test_an_unreachable_server_names_the_fix(client_env):
    out = cli("runs", "p", env={**client_env, "RUNLEDGER_URL": "http://127.0.0.1:9"})
    assert out.returncode == 6
    assert "cannot reach runledger at http://127.0.0.1:9" in out.stderr and "RUNLEDGER_URL" in out.stderr
