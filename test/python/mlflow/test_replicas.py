"""The real MLflow client behind a load balancer: two runledger replicas on one PostgreSQL, Redis
and S3, each request to the other replica in turn. Everything one replica took, the other
serves at once: the run, its params and metric history, an artifact, and a registered model's
alias. Skipped without `scripts/services up` (replicas cannot share an embedded database)."""
from __future__ import annotations

import mlflow
import pytest
import requests
from mlflow import MlflowClient

from support.replicas import two_replicas


@pytest.fixture(scope="module")
def replicas():
    with two_replicas() as running:
        yield running


def test_the_mlflow_client_alternating_replicas_sees_one_tracking_server(replicas, tmp_path, monkeypatch):
    balancer, a, b = replicas
    monkeypatch.setenv("MLFLOW_TRACKING_URI", balancer.url)
    mlflow.set_tracking_uri(balancer.url)
    mlflow.set_experiment("behind-a-balancer")
    with mlflow.start_run() as run:
        mlflow.log_params({"lr": "0.01", "depth": "6"})
        for step in range(12):
            mlflow.log_metric("loss", 1 / (step + 1), step=step)
        (tmp_path / "notes.txt").write_text("trained behind a load balancer\n")
        mlflow.log_artifact(str(tmp_path / "notes.txt"))
    run_id = run.info.run_id

    client = MlflowClient(balancer.url)
    client.create_registered_model("balanced")
    version = client.create_model_version("balanced", f"runs:/{run_id}/model", run_id=run_id)
    client.set_registered_model_alias("balanced", "champion", version.version)
    assert client.get_model_version_by_alias("balanced", "champion").version == version.version
    (tmp_path / "back").mkdir()  # MLflow 2's client wants the destination to exist
    downloaded = client.download_artifacts(run_id, "notes.txt", str(tmp_path / "back"))
    assert open(downloaded).read() == "trained behind a load balancer\n"
    assert min(balancer.served) >= 10, balancer.served  # both replicas took part

    for replica in (a, b):  # each replica alone serves all of it
        direct = MlflowClient(replica.url)
        got = direct.get_run(run_id)
        assert got.info.status == "FINISHED" and got.data.params == {"lr": "0.01", "depth": "6"}
        assert [(m.step, m.value) for m in direct.get_metric_history(run_id, "loss")] == [(s, 1 / (s + 1)) for s in range(12)]
        assert direct.get_model_version_by_alias("balanced", "champion").version == version.version
        listed = requests.get(f"{replica.url}/api/2.0/mlflow/artifacts/list", params={"run_id": run_id}, timeout=30).json()
        assert [f["path"] for f in listed["files"]] == ["notes.txt"]
