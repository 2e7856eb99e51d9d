"""What MLflow users hit first, through the real clients (3.x and 2.x): autolog datasets across
experiments, GridSearchCV child runs, listing the registry, names MLflow accepts, the run links
the client prints, and the classic protocol beyond them (experiments renamed, deleted, tagged;
logged models; metric history pages; errors as MLflow's server gives them)."""
from __future__ import annotations

import json
import re

import mlflow
import numpy as np
import pandas as pd
import pytest
import requests
from mlflow import MlflowClient
from mlflow.entities import ViewType
from mlflow.exceptions import MlflowException
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.svm import SVC


MLFLOW_3 = int(mlflow.__version__.split(".")[0]) >= 3


pytestmark = pytest.mark.usefixtures("tracking_server")


@pytest.fixture(autouse=True)
def no_autolog_after():
    yield
    mlflow.sklearn.autolog(disable=True)


def frame(seed: int, rows: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 3))
    return pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "label": (x[:, 0] + x[:, 1] > 0).astype(int)})


def dataset_versions(server, experiment_id: str, name: str) -> list[dict]:
    data = server.graphql(
        """query($ns: String!, $n: String!) { dataset(name: $n, namespace: $ns) {
             namespace name versions(first: 50) { edges { node { version sourceUri } } } } }""",
        {"ns": f"mlflow:{experiment_id}", "n": name},
    )
    return [e["node"] for e in data["dataset"]["versions"]["edges"]] if data["dataset"] else []


# --- 1. autolog datasets --------------------------------------------------------------------


def test_autolog_datasets_named_alike_in_two_experiments_and_new_digests_are_kept(server):
    """MLflow's autolog names every dataset "dataset"; each experiment keeps its own, and each digest is a version."""
    mlflow.sklearn.autolog(log_models=False)
    seen = {}
    for experiment, seeds in (("autolog-a", (1, 2)), ("autolog-b", (3,))):
        experiment_id = mlflow.set_experiment(experiment).experiment_id
        for seed in seeds:
            df = frame(seed)
            with mlflow.start_run() as run:
                LogisticRegression().fit(df[["a", "b", "c"]], df["label"])
            got = MlflowClient().get_run(run.info.run_id)
            assert got.info.status == "FINISHED"
            [dataset_input] = got.inputs.dataset_inputs
            assert dataset_input.dataset.name == "dataset"
            assert {t.key: t.value for t in dataset_input.tags}["mlflow.data.context"] == "train"
            seen.setdefault(experiment_id, []).append(dataset_input.dataset.digest)
    [a, b] = seen
    assert len(set(seen[a])) == 2
    # Each experiment holds its own "dataset", with one version per digest, labelled by the digest.
    assert sorted(v["version"] for v in dataset_versions(server, a, "dataset")) == sorted(seen[a])
    assert [v["version"] for v in dataset_versions(server, b, "dataset")] == seen[b]


def test_a_dataset_keeps_source_schema_and_profile_as_sent(server):
    mlflow.set_experiment("dataset-fields")
    df = frame(4)
    dataset = mlflow.data.from_pandas(df, source="s3://raw/clicks/2026-12-01.parquet", name="clicks", targets="label")
    with mlflow.start_run() as run:
        mlflow.log_input(dataset, context="training", tags={"split": "2026-12"})
    [dataset_input] = MlflowClient().get_run(run.info.run_id).inputs.dataset_inputs
    got = dataset_input.dataset
    assert (got.name, got.digest, got.source_type) == ("clicks", dataset.digest, "s3")
    assert got.source == dataset.source.to_json()
    assert json.loads(got.schema) == json.loads(dataset._to_mlflow_entity().schema)
    assert json.loads(got.profile) == json.loads(dataset._to_mlflow_entity().profile)
    assert {t.key: t.value for t in dataset_input.tags} == {"mlflow.data.context": "training", "split": "2026-12"}
    # The location inside the source is what ties the version to an OpenLineage dataset of that name.
    experiment_id = run.info.experiment_id
    assert dataset_versions(server, experiment_id, "clicks") == [{"version": dataset.digest, "sourceUri": "s3://raw/clicks/2026-12-01.parquet"}]


# --- 2. runs/create without an idempotency key always creates --------------------------------


def test_grid_search_autolog_keeps_every_child_run(server):
    mlflow.set_experiment("grid-search")
    mlflow.sklearn.autolog(log_models=False)
    df = frame(5, rows=80)
    search = GridSearchCV(SVC(), {"kernel": ["linear", "rbf"], "C": [1, 10]}, cv=2)
    with mlflow.start_run() as parent:
        search.fit(df[["a", "b", "c"]], df["label"])
    client = MlflowClient()
    assert client.get_run(parent.info.run_id).info.status == "FINISHED"
    children = client.search_runs([parent.info.experiment_id], filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'")
    assert len(children) == 4
    assert sorted((r.data.params["kernel"], r.data.params["C"]) for r in children) == [("linear", "1"), ("linear", "10"), ("rbf", "1"), ("rbf", "10")]
    assert all(r.info.status == "FINISHED" for r in children)


def test_identical_create_bodies_are_two_runs_and_a_keyed_retry_is_one(server):
    experiment_id = MlflowClient().create_experiment("identical-creates")
    body = {"experiment_id": experiment_id, "start_time": 1_700_000_000_000, "run_name": "same"}
    first = requests.post(f"{server.url}/api/2.0/mlflow/runs/create", json=body).json()["run"]["info"]["run_id"]
    second = requests.post(f"{server.url}/api/2.0/mlflow/runs/create", json=body).json()["run"]["info"]["run_id"]
    assert first != second
    keyed = [requests.post(f"{server.url}/api/2.0/mlflow/runs/create", json=body, headers={"Idempotency-Key": "k-1"}).json() for _ in range(2)]
    assert keyed[0]["run"]["info"]["run_id"] == keyed[1]["run"]["info"]["run_id"]


# --- 3. the registry, listed from Python ----------------------------------------------------


def registered(client: MlflowClient, project: str, name: str, run_id: str, tags: dict):
    # runledger.project names the project a model belongs to; without it the model is created
    # with its first version, in that version's run's project (docs/mlflow.md).
    client.create_registered_model(name, tags={"runledger.project": project, **tags})
    return client.create_model_version(name, f"s3://models/{name}", run_id=run_id, tags=tags)


def test_search_registered_models_and_versions_with_mlflow_filters(server):
    client = MlflowClient()
    experiment_id = client.create_experiment("registry-search")
    run = client.create_run(experiment_id)
    other = client.create_run(experiment_id)
    for name in ("churn-xgb", "churn-lr", "Fraud_Model"):
        registered(client, "registry-search", name, run.info.run_id, tags={"team": "risk" if name.startswith("Fraud") else "growth"})
    client.create_model_version("churn-lr", "s3://models/churn-lr-2", run_id=other.info.run_id)

    assert [m.name for m in client.search_registered_models()] == ["Fraud_Model", "churn-lr", "churn-xgb"]
    assert [m.name for m in client.search_registered_models(filter_string="name LIKE 'churn-%'")] == ["churn-lr", "churn-xgb"]
    assert [m.name for m in client.search_registered_models(filter_string="name ILIKE 'fraud%'")] == ["Fraud_Model"]
    assert [m.name for m in client.search_registered_models(filter_string="tags.team = 'growth'", order_by=["name DESC"])] == ["churn-xgb", "churn-lr"]
    assert [m.name for m in client.search_registered_models(filter_string="name IN ('churn-lr', 'Fraud_Model')")] == ["Fraud_Model", "churn-lr"]
    first = client.search_registered_models(max_results=2)
    assert [m.name for m in first] == ["Fraud_Model", "churn-lr"] and first.token
    assert [m.name for m in client.search_registered_models(max_results=2, page_token=first.token)] == ["churn-xgb"]

    assert len(client.search_model_versions()) == 4
    versions = client.search_model_versions("name = 'churn-lr'")
    assert [(v.name, v.version) for v in versions] == [("churn-lr", "2"), ("churn-lr", "1")]
    assert [v.version for v in client.search_model_versions(f"run_id = '{other.info.run_id}'")] == ["2"]
    assert [v.name for v in client.search_model_versions("source_path LIKE 's3://models/churn-%' AND name != 'churn-xgb'")] == ["churn-lr", "churn-lr"]
    assert {v.name for v in client.search_model_versions("tags.team = 'risk'")} == {"Fraud_Model"}
    with pytest.raises(MlflowException, match="filter"):
        client.search_model_versions("name = ")


def test_version_sources_are_checked_as_mlflows_server_checks_them(server):
    """A source naming another run than run_id, or a path of the artifact proxy naming no run, is
    recorded as given (as MLflow's server records them); relative parts and local paths are not."""
    client = MlflowClient()
    run = client.create_run(client.create_experiment("version-sources"))
    client.create_registered_model("sourced")
    url = f"{server.url}/api/2.0/mlflow/model-versions/create"
    for source in ("mlflow-artifacts:/models", "mlflow-artifacts:/models/foo///bar", "mlflow-artifacts://host:9000/models",
                   "runs:/some_other_run/model"):
        answer = requests.post(url, json={"name": "sourced", "source": source, "run_id": run.info.run_id}, timeout=30)
        assert answer.status_code == 200, (source, answer.text)
        version = answer.json()["model_version"]
        assert (version["source"], version["run_id"]) == (source, run.info.run_id)
    for source in ("mlflow-artifacts:/models/../../etc", "mlflow-artifacts://host:9000/models/..%2f..%2fetc", "/tmp/model", "file:///tmp/model"):
        answer = requests.post(url, json={"name": "sourced", "source": source, "run_id": run.info.run_id}, timeout=30)
        assert answer.status_code == 400, (source, answer.text)
        assert answer.json()["error_code"] == "INVALID_PARAMETER_VALUE" and "Invalid model version source" in answer.json()["message"]
    assert len(client.search_model_versions("name = 'sourced'")) == 4


# --- 4. names MLflow accepts ----------------------------------------------------------------


@pytest.mark.parametrize("name", ["churn (v2)", "/Users/alice@example.com/churn", "exp: baseline", "résumé-ranker"])
def test_experiment_and_run_names_mlflow_accepts(server, name):
    experiment = mlflow.set_experiment(name)
    assert experiment.name == name
    with mlflow.start_run(run_name="lr=0.1 (try 2)") as run:
        mlflow.log_metric("val:auc", 0.91, step=1)
        mlflow.log_param("opt/β", "adam")
    got = MlflowClient().get_run(run.info.run_id)
    assert got.info.run_name == "lr=0.1 (try 2)"
    assert got.data.metrics == {"val:auc": 0.91}
    found = mlflow.search_runs(experiment_names=[name], filter_string="metrics.`val:auc` > 0.9 and params.`opt/β` = 'adam'")
    assert list(found["run_id"]) == [run.info.run_id]


def test_keys_that_would_resolve_to_other_names_are_refused_by_the_server(server):
    # The client checks keys itself; the server holds every door (and older clients) to the same rule.
    client = MlflowClient()
    run = client.create_run(client.create_experiment("bad-keys"))
    for key in ("../up", "/abs", "semi;colon"):
        body = {"run_id": run.info.run_id, "key": key, "value": 1.0, "timestamp": 1, "step": 0}
        refused = requests.post(f"{server.url}/api/2.0/mlflow/runs/log-metric", json=body)
        assert refused.status_code == 400 and refused.json()["error_code"] == "INVALID_PARAMETER_VALUE"
        assert "key" in refused.json()["message"]
    assert client.get_run(run.info.run_id).data.metrics == {}


# --- 5. the links the client prints ---------------------------------------------------------


def test_the_printed_run_link_resolves_to_the_run_and_experiment(server, capsys):
    mlflow.set_experiment("links")
    with mlflow.start_run() as run:
        pass
    printed = capsys.readouterr()
    link = re.search(r"#/experiments/(\d+)/runs/([0-9a-f]+)", printed.out + printed.err)
    assert link, "the client printed no run link"
    experiment_id, run_id = link.groups()
    assert (experiment_id, run_id) == (run.info.experiment_id, run.info.run_id)
    data = server.graphql(
        "query($e: String!, $r: String!) { mlflowExperiment(id: $e) { name } mlflowRun(id: $r) { mlflowRunId project { name } } }",
        {"e": experiment_id, "r": run_id},
    )
    assert data["mlflowExperiment"] == {"name": "links"}
    assert data["mlflowRun"] == {"mlflowRunId": run_id, "project": {"name": "links"}}
