"""Reading back as DataFrames with exact values: runs (params.*, metrics.*, tags.*), long-format
history (downsampled on the server, or paged in full), compare, models, impact, lineage."""
from __future__ import annotations

import math

import pandas as pd
import pytest

import runledger
from conftest import unique


@pytest.fixture(scope="module")
def seeded(server):
    import os

    os.environ["RUNLEDGER_URL"] = server.url
    project = unique("read")
    ids = {}
    for name, lr, team, auc in (("a", "1e-3", "recs", 0.85), ("b", "1e-2", "ads", 0.9), ("c", "1e-2", "recs", 0.7)):
        with runledger.start_run(project=project, name=name, config={"lr": lr}, tags={"team": team}, capture=False, quiet=True) as run:
            for step in range(5):
                run.log({"val_auc": auc - (4 - step) / 100, "loss": float(step)}, step=step)
            ids[name] = run.id
    with runledger.start_run(project=project, name="long", capture=False, quiet=True) as run:
        for step in range(120_000):
            run.log({"x": math.sin(step / 1000)}, step=step)
        run.log({"x": float("nan")}, step=120_000)
        ids["long"] = run.id
    yield project, ids
    del os.environ["RUNLEDGER_URL"]


def test_runs_to_pandas_one_row_per_run(seeded):
    project, ids = seeded
    found = runledger.runs(project, filter="metrics.val_auc > 0.8 and (params.lr = '1e-3' or tags.team = 'ads')", order_by="metrics.val_auc desc")
    df = found.to_pandas()
    assert list(df["name"]) == ["b", "a"]
    assert list(df["run_id"]) == [ids["b"], ids["a"]]
    assert list(df["params.lr"]) == ["1e-2", "1e-3"]
    assert list(df["tags.team"]) == ["ads", "recs"]
    assert list(df["metrics.val_auc"]) == [0.9, 0.85]
    assert list(df["metrics.loss"]) == [4.0, 4.0]
    assert [c for c in df.columns if "." in c] == ["metrics.loss", "metrics.val_auc", "params.lr", "tags.team"]


def test_runs_pages_lazily(seeded):
    project, _ = seeded
    found = runledger.runs(project, order_by=["attributes.name"], page_size=2, columns=["metrics.loss"])
    assert [r["name"] for r in found] == ["a", "b", "c", "long"]
    assert list(found.to_pandas().columns) == ["run_id", "name", "metrics.loss"]


def test_history_long_format_exact(seeded):
    _, ids = seeded
    df = runledger.history([ids["a"], ids["b"]], ["val_auc", "loss"])
    assert list(df.columns) == ["run", "key", "step", "timestamp", "value"]
    assert len(df) == 20
    a = df[(df["run"] == ids["a"]) & (df["key"] == "val_auc")]
    assert list(a["step"]) == [0, 1, 2, 3, 4]
    assert list(a["value"]) == [0.85 - (4 - s) / 100 for s in range(5)]
    assert str(df["timestamp"].dtype) == "datetime64[ns, UTC]"


def test_history_downsampled_or_full(seeded):
    _, ids = seeded
    small = runledger.history(ids["long"], "x", max_points=1000)
    assert len(small) <= 1000
    assert small["value"].max() == max(math.sin(s / 1000) for s in range(120_000))
    full = runledger.history(ids["long"], "x", max_points=None)
    assert list(full["step"]) == list(range(120_001))
    assert list(full["value"][:3]) == [0.0, math.sin(0.001), math.sin(0.002)]
    assert math.isnan(full["value"].iloc[-1])


def test_compare_marks_differences(seeded):
    project, ids = seeded
    table = runledger.compare([ids["a"], f"{project}/b"])
    df = table.to_pandas().set_index("key")
    assert df.loc["params.lr", "a"] == "1e-3" and df.loc["params.lr", "b"] == "1e-2" and bool(df.loc["params.lr", "differs"])
    assert df.loc["metrics.val_auc", "b"] == 0.9 and df.loc["metrics.loss", "a"] == 4.0
    assert not bool(df.loc["metrics.loss", "differs"])


def test_models_impact_and_lineage(seeded, tmp_path):
    project, _ = seeded
    data = tmp_path / "d.csv"
    data.write_text("x\n1\n")
    with runledger.start_run(project=project, name="trainer", capture=False, quiet=True) as run:
        run.log_dataset(f"clicks-{project}", "aug", path=data)
        weights = tmp_path / "w.bin"
        weights.write_bytes(b"w")
        run.log_model(weights, register_as=f"rec-{project}", alias="production")
    models = runledger.models(used_dataset=f"clicks-{project}@aug", alias="production").to_pandas()
    assert list(models["model"]) == [f"rec-{project}"] and list(models["version"]) == [1]
    assert list(models["run"]) == [f"{project}/trainer"]
    assert runledger.impact(f"clicks-{project}@aug") == runledger.models(used_dataset=f"clicks-{project}@aug")
    graph = runledger.lineage(f"rec-{project}@production", direction="up")
    labels = [n["label"] for n in graph["nodes"]]
    assert labels[0] == f"rec-{project} v1" and f"clicks-{project}@aug" in labels and "trainer" in labels
    assert set(graph.to_pandas().columns) >= {"id", "type", "label", "depth"}
