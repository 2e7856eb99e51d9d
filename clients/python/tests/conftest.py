"""Fixtures of the client's suite: one real server (embedded database) for the session (every
test works in projects of its own, so they share it; a server start costs seconds), and a clean
client environment per test (server URL, spool and login file in a temporary place)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "test" / "python"))

from support.server import start_server  # noqa: E402

RUNLEDGER = str(Path(sys.executable).parent / "runledger")


@pytest.fixture(scope="session")
def server():
    with start_server() as s:
        yield s


@pytest.fixture()
def client_env(server, tmp_path, monkeypatch):
    """The environment a user's script or shell would have: the server's URL, a private spool and config."""
    env = {
        "RUNLEDGER_URL": server.url,
        "RUNLEDGER_SPOOL_DIR": str(tmp_path / "spool"),
        "RUNLEDGER_CONFIG": str(tmp_path / "config.json"),
        # Tests read what a run logged right after it ends: finish() sends everything in process
        # (test_writer.py covers the background handoff on its own).
        "RUNLEDGER_FINISH_WAIT": "all",
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    for k in ("RUNLEDGER_TOKEN", "RUNLEDGER_MODE", "RANK", "LOCAL_RANK"):
        monkeypatch.delenv(k, raising=False)
    return env


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def run_id_in(out: subprocess.CompletedProcess, marker: str = "RUN_ID=") -> str:
    return out.stdout.split(marker)[1].split()[0]


def run_script(code: str, env: dict, cwd: str | None = None, extra_env: dict | None = None) -> subprocess.CompletedProcess:
    """Runs a training script in a fresh interpreter, as a user would."""
    full = {**os.environ, **env, **(extra_env or {})}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=full, cwd=cwd, capture_output=True, text=True, timeout=180)


def cli(*args: str, env: dict | None = None, input: str | None = None) -> subprocess.CompletedProcess:
    """The installed `runledger` console script, in a child process."""
    return subprocess.run([RUNLEDGER, *args], env={**os.environ, **(env or {})}, capture_output=True, text=True, timeout=120, input=input)


def cli_json(*args: str, env: dict | None = None):
    out = cli(*args, "--json", env=env)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


RUN_DETAIL = """query($id: ID!) { run(id: $id) { id name status seed notes group environment gpuCount
  params { key value } tags { key value } metrics { key count last lastStep }
  codeVersion { repository commit branch dirty diff { name sizeBytes downloadUrl } }
  artifacts { name kind sizeBytes downloadUrl } inputs { role datasetVersion { version digest sourceUri dataset { name } } }
  modelVersions { version model { name } aliases } } }"""


def run_detail(server, run_id: str) -> dict:
    return server.graphql(RUN_DETAIL, {"id": run_id})["run"]


def history(server, run_id: str, key: str) -> list:
    q = """query($id: ID!, $k: String!) { run(id: $id) { metricHistory(key: $k, maxPoints: 100000) { points { step value } } } }"""
    return [(p["step"], p["value"]) for p in server.graphql(q, {"id": run_id, "k": key})["run"]["metricHistory"]["points"]]
