"""Marquez's REST API served by runledger, driven by the real marquez-python client (PyPI, pinned)
against a started server with authentication on.

An Airflow-style pipeline (extract -> load) and a dbt model with column lineage arrive as
OpenLineage events on POST /api/v1/lineage; a training run reads the model's output and a model
version is registered from it. Then every read marquez-python offers is asked, as an editor and
as a user with no role: namespaces, datasets and versions, jobs and runs, column lineage, events,
tags; the lineage graph (which marquez-python does not wrap) is read over plain HTTP and carries
the training run and model version downstream of the dataset.
"""
from __future__ import annotations

import json
import os
import subprocess
import urllib.request
import uuid

import pytest
import requests
from marquez_client import MarquezClient
from marquez_client.errors import APIError

from support.server import REPO, start_server

SUFFIX = uuid.uuid4().hex[:8]
AIRFLOW = f"airflow://prod-{SUFFIX}"
WAREHOUSE = f"postgres://warehouse-{SUFFIX}:5432"
SCHEMA_URL = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/definitions/RunEvent"


def create_token(data_dir: str, *args: str) -> str:
    env = {**os.environ, "RUNLEDGER_DATA_DIR": data_dir, "LOG_LEVEL": "silent"}
    env.pop("DATABASE_URL", None)
    out = subprocess.run([str(REPO / "node_modules/.bin/tsx"), "src/modules/auth/token-cli.ts", *args],
                         cwd=REPO, env=env, capture_output=True, text=True, check=True)
    return out.stdout.strip()


def event(state: str, when: str, run_id: str, job: str, inputs=(), outputs=()):
    return {"eventType": state, "eventTime": when, "producer": "https://github.com/runledger/tests/marquez", "schemaURL": SCHEMA_URL,
            "run": {"runId": run_id, "facets": {}}, "job": {"namespace": AIRFLOW, "name": job, "facets": {
                "sql": {"query": f"-- {job}"}}},
            "inputs": list(inputs), "outputs": list(outputs)}


def ds(name: str, **facets):
    return {"namespace": WAREHOUSE, "name": name, "facets": facets}


SCHEMA = {"schema": {"fields": [{"name": "user_id", "type": "BIGINT"}, {"name": "clicks", "type": "BIGINT"}]}}
COLUMNS = {"columnLineage": {"fields": {"clicks": {"inputFields": [
    {"namespace": WAREHOUSE, "name": "staging.clicks", "field": "user_id",
     "transformations": [{"type": "DIRECT", "subtype": "AGGREGATION"}]}]}}}}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    data_dir = str(tmp_path_factory.mktemp("runledger"))
    admin_token = create_token(data_dir, "--admin")
    outsider_token = create_token(data_dir, "--user", f"outsider-{SUFFIX}")
    with start_server(env={"RUNLEDGER_AUTH": "on"}, data_dir=data_dir) as server:
        post = lambda body: requests.post(f"{server.url}/api/v1/lineage", json=body, timeout=60,
                                          headers={"authorization": f"Bearer {admin_token}"})
        runs = {"extract": str(uuid.uuid4()), "load": str(uuid.uuid4())}
        for e in [
            event("START", "2026-11-01T01:00:00Z", runs["extract"], "clicks.extract", outputs=[ds("staging.clicks")]),
            event("COMPLETE", "2026-11-01T01:05:00Z", runs["extract"], "clicks.extract", outputs=[ds("staging.clicks", **SCHEMA)]),
            event("START", "2026-11-01T01:06:00Z", runs["load"], "clicks.load", inputs=[ds("staging.clicks")], outputs=[ds("daily.clicks")]),
            event("COMPLETE", "2026-11-01T01:09:00Z", runs["load"], "clicks.load", inputs=[ds("staging.clicks")],
                  outputs=[ds("daily.clicks", **SCHEMA, **COLUMNS)]),
        ]:
            assert post(e).status_code == 201
        ml = f"ml-{SUFFIX}"
        server.graphql("mutation($n: String!) { createProject(input: {name: $n}) { created } }", {"n": ml}, token=admin_token)
        run = server.graphql('mutation($p: String!) { startRun(input: {project: $p, name: "train-ctr"}) { run { id } } }',
                             {"p": ml}, token=admin_token)["startRun"]["run"]
        version = server.graphql('query($ns: String!) { datasetVersion(namespace: $ns, dataset: "daily.clicks", version: $v) { id } }'
                                 .replace("$v", json.dumps(f"ol:run:{runs['load']}")), {"ns": WAREHOUSE}, token=admin_token)["datasetVersion"]
        server.graphql('mutation($r: ID!, $d: ID!) { logInputs(input: {runId: $r, datasets: [{datasetVersionId: $d, role: "train"}]}) { datasetInputsWritten } }',
                       {"r": run["id"], "d": version["id"]}, token=admin_token)
        put = urllib.request.Request(f"{server.url}/artifacts/runs/{urllib.request.quote(run['id'], safe='')}?name=model.pkl&kind=MODEL",
                                     data=b"weights", method="PUT", headers={"authorization": f"Bearer {admin_token}"})
        with urllib.request.urlopen(put, timeout=60) as resp:
            artifact = json.loads(resp.read())["artifact"]["id"]
        server.graphql('mutation($a: ID!, $m: String!) { createModelVersion(input: {model: $m, artifactId: $a}) { created } }',
                       {"a": artifact, "m": f"ctr-{SUFFIX}"}, token=admin_token)
        yield {"server": server, "client": MarquezClient(server.url, api_key=admin_token), "runs": runs,
               "admin_token": admin_token, "outsider_token": outsider_token}


def test_namespaces(world):
    client = world["client"]
    names = [n["name"] for n in client.list_namespaces(limit=1000)["namespaces"]]
    assert AIRFLOW in names and WAREHOUSE in names
    ns = client.get_namespace(AIRFLOW)
    assert ns["name"] == AIRFLOW and ns["ownerName"] == f"airflow-prod-{SUFFIX}"
    created = client.create_namespace(f"spark://master-{SUFFIX}:7077", "data-eng")
    assert created["name"] == f"spark://master-{SUFFIX}:7077"


def test_datasets_and_versions(world):
    client = world["client"]
    listed = client.list_datasets(WAREHOUSE)
    assert listed["totalCount"] == 2
    assert [d["name"] for d in listed["datasets"]] == ["daily.clicks", "staging.clicks"]
    daily = client.get_dataset(WAREHOUSE, "daily.clicks")
    assert daily["id"] == {"namespace": WAREHOUSE, "name": "daily.clicks"}
    assert [f["name"] for f in daily["fields"]] == ["user_id", "clicks"]
    assert daily["currentVersion"] == f"ol:run:{world['runs']['load']}"
    versions = client.list_dataset_versions(WAREHOUSE, "daily.clicks")
    assert [v["version"] for v in versions["versions"]] == [daily["currentVersion"]]
    assert versions["versions"][0]["createdByRun"]["id"] == world["runs"]["load"]
    one = client.get_dataset_version(WAREHOUSE, "daily.clicks", daily["currentVersion"])
    assert one["fields"][1] == {"name": "clicks", "type": "BIGINT", "tags": [], "description": None}


def test_jobs_and_runs(world):
    client = world["client"]
    jobs = client.list_jobs(AIRFLOW)
    assert [j["name"] for j in jobs["jobs"]] == ["clicks.extract", "clicks.load"]
    load = client.get_job(AIRFLOW, "clicks.load")
    assert load["inputs"] == [{"namespace": WAREHOUSE, "name": "staging.clicks"}]
    assert load["outputs"] == [{"namespace": WAREHOUSE, "name": "daily.clicks"}]
    assert load["latestRun"]["state"] == "COMPLETED" and load["latestRun"]["durationMs"] == 180000
    runs = client.list_job_runs(AIRFLOW, "clicks.load")["runs"]
    assert [r["id"] for r in runs] == [world["runs"]["load"]]
    run = client.get_job_run(world["runs"]["load"])
    assert run["jobVersion"] == {"namespace": AIRFLOW, "name": "clicks.load", "version": load["currentVersion"]}
    assert run["inputDatasetVersions"][0]["datasetVersionId"]["name"] == "staging.clicks"
    assert run["outputDatasetVersions"][0]["datasetVersionId"]["version"] == f"ol:run:{world['runs']['load']}"


def test_column_lineage(world):
    graph = world["client"].get_column_lineage_by_dataset_field(WAREHOUSE, "daily.clicks", "clicks")["graph"]
    node = next(n for n in graph if n["id"] == f"datasetField:{WAREHOUSE}:daily.clicks:clicks")
    assert node["data"]["inputFields"][0]["field"] == "user_id"
    assert node["inEdges"] == [{"origin": f"datasetField:{WAREHOUSE}:staging.clicks:user_id", "destination": node["id"]}]


def test_events_and_tags(world):
    client = world["client"]
    events = client.list_events(limit=1000)["events"]
    assert {e["run"]["runId"] for e in events if e.get("job", {}).get("namespace") == AIRFLOW} == set(world["runs"].values())
    assert client.list_tags() == {"tags": []}


def test_lineage_reaches_the_training_run_and_model(world):
    server = world["server"]
    res = requests.get(f"{server.url}/api/v1/lineage", params={"nodeId": f"dataset:{WAREHOUSE}:staging.clicks", "depth": 5},
                       headers={"authorization": f"Bearer {world['admin_token']}"}, timeout=60)
    assert res.status_code == 200
    nodes = {n["id"]: n for n in res.json()["graph"]}
    assert f"job:{AIRFLOW}:clicks.load" in nodes and f"dataset:{WAREHOUSE}:daily.clicks" in nodes
    training = [n for n in nodes.values() if n["data"].get("type") == "TRAINING_RUN"]
    models = [n for n in nodes.values() if n["data"].get("type") == "MODEL_VERSION"]
    assert [n["data"]["name"] for n in training] == ["train-ctr"]
    assert [n["data"]["name"] for n in models] == [f"ctr-{SUFFIX}/v1"]
    assert training[0]["inEdges"] == [{"origin": f"dataset:{WAREHOUSE}:daily.clicks", "destination": training[0]["id"]}]


def test_a_user_with_no_role_sees_nothing(world):
    outsider = MarquezClient(world["server"].url, api_key=world["outsider_token"])
    try:
        assert AIRFLOW not in [n["name"] for n in outsider.list_namespaces(limit=1000)["namespaces"]]
        for call in (lambda: outsider.get_dataset(WAREHOUSE, "daily.clicks"), lambda: outsider.get_job(AIRFLOW, "clicks.load"),
                     lambda: outsider.get_job_run(world["runs"]["load"])):
            with pytest.raises(APIError) as refused:
                call()
            assert refused.value.__cause__.response.status_code == 404
    finally:
        # marquez-python keeps the key in module-level headers: put the admin's back.
        MarquezClient(world["server"].url, api_key=world["admin_token"])
