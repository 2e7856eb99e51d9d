"""Unchanged MLflow code against runledger: fluent runs, datasets, artifacts, autolog, the model
registry and search, then the same facts read back through runledger's GraphQL."""
from __future__ import annotations

import hashlib
import json
import os

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient
from mlflow.entities import Metric
from sklearn.linear_model import LogisticRegression


MLFLOW_3 = int(mlflow.__version__.split(".")[0]) >= 3
COMMIT = "3f2a9c1d5e7b9a0c1d2e3f4a5b6c7d8e9f0a1b2c"
REPO = "git@example.com:acme/churn.git"


pytestmark = pytest.mark.usefixtures("tracking_server")


def mlflow_dataset_sha256(name: str, digest: str) -> str:
    """The sha256 runledger gives the dataset version of an MLflow dataset: MLflow's identity, name and digest
    (src/http/mlflow/datasets.ts)."""
    return hashlib.sha256(json.dumps(["mlflow-dataset", name, digest], separators=(",", ":")).encode()).hexdigest()


def training_data(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(200, 3))
    return pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "label": (x[:, 0] + x[:, 1] > 0).astype(int)})


def log_model(model, name: str):
    if MLFLOW_3:
        return mlflow.sklearn.log_model(model, name=name)
    return mlflow.sklearn.log_model(model, artifact_path=name)


def run_node(server, experiment: str, mlflow_run_id: str) -> dict:
    data = server.graphql(
        """query($p: String!) { runs(project: $p, first: 100) { edges { node {
             mlflowRunId name user status params { key value } tags { key value }
             metrics { key last count } metricHistory(key: "loss") { points { step value } }
             codeVersion { repository commit branch dirty }
             parent { mlflowRunId }
             inputs { role datasetVersion { version digest sourceUri dataset { name } } }
             artifacts { name digest sizeBytes }
             modelVersions { version model { name } }
           } } } }""",
        {"p": experiment},
    )
    nodes = [e["node"] for e in data["runs"]["edges"] if e["node"]["mlflowRunId"] == mlflow_run_id]
    assert len(nodes) == 1, f"run {mlflow_run_id} not found through GraphQL"
    return nodes[0]


def test_fluent_run_lands_as_a_runledger_run(server, tmp_path):
    experiment = "churn-fluent"
    mlflow.set_experiment(experiment)
    df = training_data()
    dataset = mlflow.data.from_pandas(df, name="churn-train", targets="label")
    (tmp_path / "notes.txt").write_text("first run\n")
    (tmp_path / "plots").mkdir()
    (tmp_path / "plots" / "a.txt").write_text("a")
    (tmp_path / "plots" / "b.txt").write_text("bb")
    with mlflow.start_run(run_name="baseline", tags={
        "mlflow.source.git.commit": COMMIT, "mlflow.source.git.repoURL": REPO, "mlflow.source.git.branch": "main", "team": "recs",
    }) as run:
        mlflow.log_params({"lr": 0.01, "depth": 3})
        for step in range(5):
            mlflow.log_metrics({"loss": 1.0 / (step + 1), "acc": 0.5 + step / 10}, step=step)
        mlflow.log_metric("odd", float("nan"), step=0)
        mlflow.set_tag("stage", "dev")
        mlflow.log_input(dataset, context="training")
        mlflow.log_artifact(str(tmp_path / "notes.txt"))
        mlflow.log_artifacts(str(tmp_path / "plots"), artifact_path="plots")
        with mlflow.start_run(run_name="child", nested=True) as child:
            mlflow.log_metric("loss", 0.3, step=0)

    client = MlflowClient()
    got = client.get_run(run.info.run_id)
    assert got.info.status == "FINISHED"
    assert got.data.params == {"lr": "0.01", "depth": "3"}
    assert got.data.metrics["loss"] == pytest.approx(0.2)
    assert np.isnan(got.data.metrics["odd"])
    assert got.data.tags["stage"] == "dev" and got.data.tags["team"] == "recs"
    assert [d.dataset.name for d in got.inputs.dataset_inputs] == ["churn-train"]
    history = client.get_metric_history(run.info.run_id, "loss")
    assert [(m.step, round(m.value, 6)) for m in history] == [(s, round(1.0 / (s + 1), 6)) for s in range(5)]
    listed = sorted(f.path for f in client.list_artifacts(run.info.run_id))
    assert listed == ["notes.txt", "plots"]
    assert sorted(f.path for f in client.list_artifacts(run.info.run_id, "plots")) == ["plots/a.txt", "plots/b.txt"]
    local = mlflow.artifacts.download_artifacts(run_id=run.info.run_id, artifact_path="plots", dst_path=str(tmp_path / "dl"))
    assert open(os.path.join(local, "b.txt")).read() == "bb"

    # The same run through GraphQL: params, metrics, code version, parent, dataset version.
    node = run_node(server, experiment, run.info.run_id)
    assert node["name"] == "baseline" and node["status"] == "FINISHED"
    assert {p["key"]: p["value"] for p in node["params"]} == {"lr": "0.01", "depth": "3"}
    assert [p["step"] for p in node["metricHistory"]["points"]] == [0, 1, 2, 3, 4]
    assert node["codeVersion"] == {"repository": REPO, "commit": COMMIT, "branch": "main", "dirty": False}
    [link] = node["inputs"]
    source = dataset.source.to_json()
    assert link["role"] == "training"
    assert link["datasetVersion"]["dataset"]["name"] == "churn-train"
    assert link["datasetVersion"]["version"] == dataset.digest
    assert link["datasetVersion"]["digest"] == mlflow_dataset_sha256("churn-train", dataset.digest)
    assert sorted(a["name"] for a in node["artifacts"]) == ["notes.txt", "plots/a.txt", "plots/b.txt"]
    child_node = run_node(server, experiment, child.info.run_id)
    assert child_node["parent"] == {"mlflowRunId": run.info.run_id}


def test_a_retried_log_batch_writes_nothing_twice(server):
    mlflow.set_experiment("churn-retry")
    client = MlflowClient()
    with mlflow.start_run() as run:
        metrics = [Metric("loss", 0.5, 1_700_000_000_000 + i, i) for i in range(3)]
        # What MLflow's retry after a lost answer sends: the same body again.
        client.log_batch(run.info.run_id, metrics=metrics, params=[mlflow.entities.Param("seed", "7")])
        client.log_batch(run.info.run_id, metrics=metrics, params=[mlflow.entities.Param("seed", "7")])
    assert len(client.get_metric_history(run.info.run_id, "loss")) == 3
    node = run_node(server, "churn-retry", run.info.run_id)
    assert [m for m in node["metrics"] if m["key"] == "loss"][0]["count"] == 3


def test_autolog_search_and_registry_round_trip(server, tmp_path):
    experiment = "churn-models"
    mlflow.set_experiment(experiment)
    df = training_data(1)
    dataset = mlflow.data.from_pandas(df, name="churn-models-train", targets="label")
    mlflow.sklearn.autolog(log_models=False, log_datasets=False)
    try:
        with mlflow.start_run(run_name="autolog") as run:
            mlflow.log_input(dataset, context="training")
            model = LogisticRegression(C=0.5, max_iter=200).fit(df[["a", "b", "c"]], df["label"])
            info = log_model(model, "model")
    finally:
        mlflow.sklearn.autolog(disable=True)
    client = MlflowClient()
    got = client.get_run(run.info.run_id)
    assert got.data.params["C"] == "0.5"
    assert "training_score" in got.data.metrics

    name = "churn-classifier"
    version = mlflow.register_model(info.model_uri, name)
    assert version.version == "1"
    client.set_registered_model_alias(name, "production", version.version)
    assert client.get_model_version_by_alias(name, "production").version == "1"

    loaded = mlflow.pyfunc.load_model(f"models:/{name}@production")
    predictions = loaded.predict(df[["a", "b", "c"]].head(5))
    assert list(predictions) == list(model.predict(df[["a", "b", "c"]].head(5)))

    found = mlflow.search_runs(experiment_names=[experiment], filter_string="params.C = '0.5' and metrics.training_score > 0", order_by=["metrics.training_score DESC"])
    assert isinstance(found, pd.DataFrame)
    assert list(found["run_id"]) == [run.info.run_id]

    registry = server.graphql(
        """query($n: String!, $d: String!) {
             registeredModel(name: $n) { alias(name: "production") { version run { mlflowRunId } }
               history { action alias to { version } } }
             models(usedDataset: {name: $d}) { version model { name } } }""",
        {"n": name, "d": "churn-models-train"},
    )
    model_node = registry["registeredModel"]
    assert model_node["alias"] == {"version": 1, "run": {"mlflowRunId": run.info.run_id}}
    assert model_node["history"] == [{"action": "SET", "alias": "production", "to": {"version": 1}}]
    assert {"version": 1, "model": {"name": name}} in registry["models"]
