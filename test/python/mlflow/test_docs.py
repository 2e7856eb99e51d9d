"""docs/mlflow.md, executed: its Python examples run in order, as one script, against a fresh
server, with the MLflow client pointed at it the way the page says (MLFLOW_TRACKING_URI only)."""
from __future__ import annotations

import re
from pathlib import Path

import mlflow
import pytest

from support.server import start_server

DOC = Path(__file__).resolve().parents[3] / "docs" / "mlflow.md"


def examples() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)


def test_the_page_has_examples():
    assert len(examples()) >= 4


def test_every_example_runs_against_a_fresh_server(monkeypatch):
    with start_server() as server:
        monkeypatch.setenv("MLFLOW_TRACKING_URI", server.url)
        monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "1")
        mlflow.set_tracking_uri(server.url)
        scope: dict = {}
        for i, code in enumerate(examples()):
            try:
                exec(compile(code, f"docs/mlflow.md example {i + 1}", "exec"), scope)
            except Exception as error:  # name the example that failed
                pytest.fail(f"docs/mlflow.md example {i + 1} failed: {type(error).__name__}: {error}\n{code}")
        while mlflow.active_run():
            mlflow.end_run()
