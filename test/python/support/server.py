"""Starts a real runledger server (embedded PGlite in a temporary directory) for Python
tests, and stops it afterwards.

Always the embedded database, even where TEST_DATABASE_URL names a PostgreSQL server: each
server then starts from an empty database of its own (the suites assert exact contents, and
the MLflow suites run twice, once per client version), and the vitest suite is what covers
PostgreSQL.

Used by every Python suite (MLflow clients, OpenLineage, the runledger client) so they all
drive the same server the same way: a child process on a free loopback port.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Iterator

REPO = Path(__file__).resolve().parents[3]


class RunningServer:
    def __init__(self, proc: subprocess.Popen, url: str, data_dir: str, env: dict):
        self.proc = proc
        self.url = url  # e.g. http://127.0.0.1:41234 (no trailing slash)
        self.data_dir = data_dir
        self.env = env
        self.log_lines: list[str] = []

    @property
    def graphql_url(self) -> str:
        return f"{self.url}/graphql"

    def graphql(self, query: str, variables: dict | None = None, token: str | None = None,
                user: str | None = None) -> dict:
        """Runs one operation; raises on transport or GraphQL errors."""
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        headers = {"content-type": "application/json"}
        if token:
            headers["authorization"] = f"Bearer {token}"
        if user:
            headers["x-runledger-user"] = user
        req = urllib.request.Request(self.graphql_url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                payload = json.loads(resp.read())
        except urllib.error.HTTPError as err:
            payload = json.loads(err.read() or b"{}")
        if payload.get("errors"):
            raise RuntimeError(json.dumps(payload["errors"]))
        return payload["data"]


def _pump(stream, sink: list[str], found: threading.Event, holder: dict) -> None:
    for raw in stream:
        line = raw.decode(errors="replace").rstrip("\n")
        sink.append(line)
        if os.environ.get("TEST_LOGS"):
            print(line, flush=True)
        if not found.is_set() and '"listening"' in line:
            try:
                holder["url"] = json.loads(line)["url"].removesuffix("/graphql")
                found.set()
            except (ValueError, KeyError):
                pass


@contextlib.contextmanager
def start_server(env: dict | None = None, data_dir: str | None = None,
                 timeout: float = 120.0) -> Iterator[RunningServer]:
    """Starts `tsx src/server.ts` with PORT=0 and yields once it listens.

    `data_dir` reuses an embedded database across restarts (kill and start again); by
    default each server gets a fresh temporary one, removed afterwards.
    """
    own_dir = data_dir is None
    data_dir = data_dir or tempfile.mkdtemp(prefix="runledger-py-")
    full_env = {**os.environ, "PORT": "0", "HOST": "127.0.0.1", "LOG_LEVEL": "info",
                "RUNLEDGER_DATA_DIR": data_dir, "RUNLEDGER_SHUTDOWN_GRACE_MS": "2000"}
    for inherited in ("DATABASE_URL", "REDIS_URL", "NEO4J_URI"):
        full_env.pop(inherited, None)
    full_env.update(env or {})
    tsx = REPO / "node_modules" / ".bin" / "tsx"
    proc = subprocess.Popen([str(tsx), "src/server.ts"], cwd=REPO, env=full_env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    found, holder, lines = threading.Event(), {}, []
    threading.Thread(target=_pump, args=(proc.stdout, lines, found, holder), daemon=True).start()
    deadline = time.monotonic() + timeout
    while not found.wait(0.1):
        if proc.poll() is not None or time.monotonic() > deadline:
            _stop(proc)
            raise RuntimeError("runledger did not start:\n" + "\n".join(lines[-40:]))
    server = RunningServer(proc, holder["url"], data_dir, full_env)
    server.log_lines = lines
    try:
        yield server
    finally:
        _stop(proc)
        if own_dir:
            shutil.rmtree(data_dir, ignore_errors=True)


def kill_hard(server: RunningServer) -> None:
    """SIGKILL, as a crash would: no graceful shutdown."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.proc.pid, signal.SIGKILL)
    server.proc.wait(timeout=30)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
