"""The Python examples of docs/python-client.md, the repository README and the package README,
executed as written, in order, against a fresh server (as a user pasting them one by one
would): each top-level expression's value is kept, and the reading-back examples must return
what their comments say. Blocks tagged `python media` need a server with the media kinds;
`python integrations` blocks run in the integrations suite, which has the frameworks, and
`python torch` blocks in the PyTorch suite (clients/python/torch-tests)."""
from __future__ import annotations

import ast
import hashlib
import os
import re
import sys
from pathlib import Path

import pytest

import runledger
from conftest import REPO
from support.server import start_server


def python_blocks(path: Path, tag: str = "") -> list[str]:
    want = f"```python{(' ' + tag) if tag else ''}\n"
    text = path.read_text()
    return [m.group(1) for m in re.finditer(r"^" + re.escape(want) + r"(.*?)^```$", text, re.S | re.M)]


def run_blocks(blocks: list[str], namespace: dict) -> list:
    """Each block statement by statement, as a REPL would; returns the expressions' values."""
    shown = []
    for block in blocks:
        for node in ast.parse(block).body:
            if isinstance(node, ast.Expr):
                shown.append(eval(compile(ast.Expression(node.value), "<doc>", "eval"), namespace))
            else:
                exec(compile(ast.Module([node], []), "<doc>", "exec"), namespace)
    return shown


@pytest.fixture()
def workdir(tmp_path, monkeypatch):
    """A fresh server and a directory holding the files the examples name."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "clicks.parquet").write_bytes(b"PAR1" + hashlib.sha256(b"clicks").digest() + b"PAR1")
    (tmp_path / "model.pt").write_bytes(b"\x00weights\x01")
    model = tmp_path / "hf-model"
    model.mkdir()
    (model / "config.json").write_text('{"hidden": 8}')
    (model / "model.safetensors").write_bytes(b"\x01" * 4096)
    with start_server() as server:
        env = {"RUNLEDGER_URL": server.url, "RUNLEDGER_SPOOL_DIR": str(tmp_path / "spool"), "RUNLEDGER_CONFIG": str(tmp_path / "c.json"),
               "RUNLEDGER_FINISH_WAIT": "all", "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        for k in ("RUNLEDGER_TOKEN", "RUNLEDGER_MODE", "RANK", "LOCAL_RANK"):
            monkeypatch.delenv(k, raising=False)
        monkeypatch.chdir(tmp_path)
        yield server, tmp_path


def test_the_user_guide_runs_as_written(workdir, capsys):
    server, tmp = workdir
    doc = REPO / "docs" / "python-client.md"
    shown = run_blocks(python_blocks(doc), {})
    out = capsys.readouterr().out
    # The examples return what they say.
    found, history, compared, models, lineage = shown[-5:]
    assert list(found["name"]) == ["xgb-tuned"] and found["metrics.val/auc"].tolist() == [0.86]
    assert len(history) == 1000 and set(history["key"]) == {"loss"}
    assert {"metrics.val/auc", "params.depth"} <= set(compared["key"]) and "xgb-baseline" in compared.columns
    assert list(models["model"]) == ["recommender"] and list(models["aliases"]) == ["staging"]
    assert {n["type"] for n in lineage["nodes"]} >= {"MODEL_VERSION", "RUN", "DATASET_VERSION"}
    assert "log: key 'bad key!'" in out and "offline-" in out and "-> " in out
    assert [line.split()[0] for line in out.splitlines()[-10:]] == [str(s) for s in range(990, 1000)]
    assert (tmp / "restored" / "checkpoints" / "step-100" / "config.json").exists()
    assert (tmp / "serving" / "model" / "model.safetensors").read_bytes() == b"\x01" * 4096
    job = server.graphql('query { runs(project: "churn", filter: "attributes.status = \'FINISHED\'", first: 50) { edges { node { name metrics { key lastStep } } } } }')
    names = [e["node"]["name"] for e in job["runs"]["edges"]]
    assert {"lr-0.1", "lr-0.01", "sweep", "on-the-train", "bert", "xgb-tuned", "xgb-baseline"} <= set(names)
    media = python_blocks(doc, "media")
    assert media, "the guide shows rich data"
    kinds = server.graphql('{ __type(name: "ArtifactKind") { enumValues { name } } }')["__type"]["enumValues"]
    if "IMAGE" in {k["name"] for k in kinds}:
        run_blocks(media, {"runledger": runledger})


def test_the_readmes_run_as_written(workdir, capsys):
    # The README is a front page: its one Python example logs a run and finds it by its metric.
    server, tmp = workdir
    run_blocks(python_blocks(REPO / "README.md"), {})
    assert capsys.readouterr().out.strip().splitlines()[-1] == "xgb"
    run_blocks(python_blocks(REPO / "clients" / "python" / "README.md"), {})
    runs = server.graphql('query { runs(project: "churn") { totalCount } }')["runs"]["totalCount"]
    assert runs == 2
