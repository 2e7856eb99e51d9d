"""OpenLineage intake, driven by the real openlineage-python client (HttpTransport configured
through OPENLINEAGE_URL / OPENLINEAGE_API_KEY, as Airflow, dbt and Spark integrations are) against
a started runledger server with authentication on.

A three-job pipeline (extract -> dedup -> features) under one DAG run feeds a training run logged
through GraphQL, whose model version is promoted to production. Then one request each answers:
which production models depend on the dedup run of a day, what a failed dedup run would have
affected, and the same as of an instant before the training run existed.
"""
from __future__ import annotations

import json
import os
import subprocess
import uuid
import urllib.error
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

import pytest
import requests
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import (
    dataset_version_dataset,
    error_message_run,
    nominal_time_run,
    parent_run,
    schema_dataset,
    source_code_location_job,
)
from openlineage.client.transport.http import ApiKeyTokenProvider, HttpConfig, HttpTransport
from openlineage.client.uuid import generate_new_uuid

from support.server import REPO, start_server

# Unique per run, so the suite never depends on what an earlier run left behind.
SUFFIX = uuid.uuid4().hex[:8]
PIPELINE_NS = f"etl-prod-{SUFFIX}"   # the Airflow instance's namespace: runledger project of that name
ML, FINANCE, MODEL = f"ml-{SUFFIX}", f"finance-{SUFFIX}", f"ctr-{SUFFIX}"
WAREHOUSE = f"postgres://warehouse-{SUFFIX}:5432"
DAY = "2026-11-01"
PRODUCER = "https://github.com/runledger/tests/openlineage"
COMMIT = "4f2c1e9d8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e"


def create_token(data_dir: str, *args: str) -> str:
    env = {**os.environ, "RUNLEDGER_DATA_DIR": data_dir, "LOG_LEVEL": "silent"}
    env.pop("DATABASE_URL", None)  # the embedded database the server will open (see support.server)
    out = subprocess.run([str(REPO / "node_modules/.bin/tsx"), "src/modules/auth/token-cli.ts", *args],
                         cwd=REPO, env=env, capture_output=True, text=True, check=True)
    return out.stdout.strip()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    data_dir = str(tmp_path_factory.mktemp("runledger"))
    admin_token = create_token(data_dir, "--admin")
    bot = f"etl-bot-{SUFFIX}"
    bot_token = create_token(data_dir, "--user", bot)
    with start_server(env={"RUNLEDGER_AUTH": "on"}, data_dir=data_dir) as server:
        def admin(query: str, **variables):
            return server.graphql(query, variables, token=admin_token)

        for project in (PIPELINE_NS, ML, FINANCE):
            admin("mutation($n: String!) { createProject(input: {name: $n}) { project { name } } }", n=project)
        grant = "mutation($p: String!, $u: String!, $r: ProjectRole!) { grantProjectRole(input: {project: $p, user: $u, role: $r}) { role } }"
        admin(grant, p=PIPELINE_NS, u=bot, r="EDITOR")
        admin(grant, p=FINANCE, u=bot, r="VIEWER")

        # Configured the way the Airflow, dbt and Spark integrations are: environment variables.
        saved = {k: os.environ.get(k) for k in ("OPENLINEAGE_URL", "OPENLINEAGE_API_KEY", "OPENLINEAGE_CONFIG")}
        os.environ.update({"OPENLINEAGE_URL": server.url, "OPENLINEAGE_API_KEY": bot_token})
        os.environ.pop("OPENLINEAGE_CONFIG", None)
        try:
            client = OpenLineageClient()
            assert isinstance(client.transport, HttpTransport)
            yield {"server": server, "admin": admin, "client": client, "bot_token": bot_token, "admin_token": admin_token,
                   **build_pipeline_and_model(server, admin, client, admin_token)}
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


def versioned(cls, name: str, version: str | None, **facets):
    all_facets = dict(facets)
    if version:
        all_facets["version"] = dataset_version_dataset.DatasetVersionDatasetFacet(datasetVersion=version)
    return cls(namespace=WAREHOUSE, name=name, facets=all_facets)


def event(state, when: str, run_id: str, job: str, inputs=(), outputs=(), run_facets=None, job_facets=None) -> RunEvent:
    return RunEvent(
        eventType=state, eventTime=when, producer=PRODUCER,
        run=Run(runId=run_id, facets=run_facets or {}),
        job=Job(namespace=PIPELINE_NS, name=job, facets=job_facets or {}),
        inputs=list(inputs), outputs=list(outputs),
    )


def build_pipeline_and_model(server, admin, client, admin_token):
    dag_run = str(generate_new_uuid())
    parent = {"parent": parent_run.ParentRunFacet(run=parent_run.Run(runId=dag_run),
                                                   job=parent_run.Job(namespace=PIPELINE_NS, name="daily_ctr"))}
    nominal = {"nominalTime": nominal_time_run.NominalTimeRunFacet(nominalStartTime=f"{DAY}T00:00:00Z")}
    code = {"sourceCodeLocation": source_code_location_job.SourceCodeLocationJobFacet(
        type="git", url="https://github.com/acme/etl", repoUrl="https://github.com/acme/etl.git", version=COMMIT)}
    schema = {"schema": schema_dataset.SchemaDatasetFacet(fields=[schema_dataset.SchemaDatasetFacetFields(name="user_id", type="BIGINT")])}
    steps = [
        ("extract", [], [versioned(OutputDataset, "raw.clicks", DAY, **schema)]),
        ("dedup", [versioned(InputDataset, "raw.clicks", DAY)], [versioned(OutputDataset, "clean.clicks", DAY, **schema)]),
        ("features", [versioned(InputDataset, "clean.clicks", DAY)], [versioned(OutputDataset, "features.ctr", DAY, **schema)]),
    ]
    runs = {}
    minute = 0
    for job, inputs, outputs in steps:
        run_id = runs[job] = str(generate_new_uuid())
        for state in (RunState.START, RunState.COMPLETE):
            client.emit(event(state, f"{DAY}T02:{minute:02d}:00Z", run_id, f"daily_ctr.{job}", inputs, outputs,
                              run_facets={**parent, **nominal}, job_facets=code))
            minute += 1

    features = admin('query($ns: String!) { datasetVersion(namespace: $ns, dataset: "features.ctr", version: "2026-11-01") { id } }',
                     ns=WAREHOUSE)["datasetVersion"]
    assert features, "the pipeline's features version is reachable by namespace, name and version"
    before_training = datetime.now(timezone.utc).isoformat()

    run = admin('mutation($p: String!) { startRun(input: {project: $p, name: "train-ctr"}) { run { id } } }', p=ML)["startRun"]["run"]
    admin("mutation($r: ID!, $d: ID!) { logInputs(input: {runId: $r, datasets: [{datasetVersionId: $d, role: \"train\"}]}) { datasetInputsWritten } }",
          r=run["id"], d=features["id"])
    artifact = upload_model(server, admin_token, run["id"])
    version = admin('mutation($m: String!, $a: ID!) { createModelVersion(input: {model: $m, artifactId: $a}) { modelVersion { version } } }',
                    m=MODEL, a=artifact)["createModelVersion"]["modelVersion"]
    admin('mutation($m: String!, $v: Int!) { setModelAlias(input: {model: $m, alias: "production", version: $v}) { changed } }',
          m=MODEL, v=version["version"])
    return {"runs": runs, "dag_run": dag_run, "before_training": before_training, "features_id": features["id"]}


def upload_model(server, token: str, run_id: str) -> str:
    url = f"{server.url}/artifacts/runs/{urllib.request.quote(run_id, safe='')}?name=model.pkl&kind=MODEL"
    req = urllib.request.Request(url, data=b"weights", method="PUT", headers={"authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=60) as resp:
        return json.loads(resp.read())["artifact"]["id"]


IMPACT = """query($runId: String!, $at: DateTime) {
  pipelineRun(runId: $runId) { state errorMessage jobName impact(aliases: ["production"], at: $at) { version model { name } } }
}"""


def models(pipeline_run: dict) -> list[str]:
    return [f"{v['model']['name']} v{v['version']}" for v in pipeline_run["impact"]]


def test_pipeline_runs_are_lineage_nodes_with_their_facets(world):
    data = world["admin"]("""query($id: String!) { pipelineRun(runId: $id) {
        state startedAt endedAt nominalStartTime parentRunId parent { jobName } jobName
        inputs { namespace name } outputs { namespace name }
        lineage(direction: BOTH, depth: 10) { nodes { type label } } } }""", id=world["runs"]["dedup"])["pipelineRun"]
    assert data["state"] == "COMPLETE"
    assert data["startedAt"].startswith(f"{DAY}T02:02:00") and data["endedAt"].startswith(f"{DAY}T02:03:00")
    assert data["nominalStartTime"].startswith(f"{DAY}T00:00:00")
    assert data["parentRunId"] == world["dag_run"] and data["parent"]["jobName"] == "daily_ctr"
    assert data["inputs"] == [{"namespace": WAREHOUSE, "name": "raw.clicks"}]
    assert data["outputs"] == [{"namespace": WAREHOUSE, "name": "clean.clicks"}]
    labels = {(n["type"], n["label"]) for n in data["lineage"]["nodes"]}
    assert ("CODE_COMMIT", f"{COMMIT[:10]} https://github.com/acme/etl.git") in labels
    assert ("MODEL_VERSION", f"{MODEL} v1") in labels  # one walk crosses from the Airflow task to the model
    assert ("RUN", "train-ctr") in labels


def test_which_production_models_depend_on_the_dedup_run_of_the_day(world):
    data = world["admin"](IMPACT, runId=world["runs"]["dedup"])["pipelineRun"]
    assert models(data) == [f"{MODEL} v1"]


def test_what_a_failed_dedup_run_would_have_affected(world):
    failed = str(generate_new_uuid())
    io = {"inputs": [versioned(InputDataset, "raw.clicks", "2026-11-02")], "outputs": [versioned(OutputDataset, "clean.clicks", None)]}
    client = world["client"]
    client.emit(event(RunState.START, "2026-11-02T02:00:00Z", failed, "daily_ctr.dedup", **io))
    client.emit(event(RunState.FAIL, "2026-11-02T02:04:00Z", failed, "daily_ctr.dedup", **io, run_facets={
        "errorMessage": error_message_run.ErrorMessageRunFacet(message="duplicate key value violates unique constraint", programmingLanguage="python")}))
    data = world["admin"](IMPACT, runId=failed)["pipelineRun"]
    assert data["state"] == "FAIL"
    assert data["errorMessage"] == "duplicate key value violates unique constraint"
    assert models(data) == [f"{MODEL} v1"]


def test_the_same_question_as_of_before_the_training_run_finds_nothing_downstream(world):
    data = world["admin"](IMPACT, runId=world["runs"]["dedup"], at=world["before_training"])["pipelineRun"]
    assert data["impact"] == []


def test_quarantining_a_pipeline_produced_version_blocks_promoting_the_model_trained_downstream(world):
    admin = world["admin"]
    clean = admin('query($ns: String!) { datasetVersion(namespace: $ns, dataset: "clean.clicks", version: "2026-11-01") { id } }',
                  ns=WAREHOUSE)["datasetVersion"]
    admin('mutation($id: ID!) { quarantineDatasetVersion(input: {id: $id, reason: "dedup kept bot clicks"}) { created } }', id=clean["id"])
    with pytest.raises(RuntimeError, match="CONFLICT") as refused:
        admin('mutation($m: String!) { setModelAlias(input: {model: $m, alias: "champion", version: 1}) { changed } }', m=MODEL)
    assert "clean.clicks@2026-11-01" in str(refused.value)


def test_the_same_event_twice_changes_nothing(world):
    run_id = str(generate_new_uuid())
    transport: HttpTransport = world["client"].transport
    ev = event(RunState.START, "2026-11-03T01:00:00Z", run_id, "daily_ctr.retry", outputs=[versioned(OutputDataset, "retry.out", None)])
    assert transport.emit(ev).json() == {"status": "created"}
    first = world["admin"]('query($id: String!) { pipelineRun(runId: $id) { state startedAt updatedFacets: runFacets } }', id=run_id)
    assert transport.emit(ev).json() == {"status": "duplicate"}
    again = world["admin"]('query($id: String!) { pipelineRun(runId: $id) { state startedAt updatedFacets: runFacets } }', id=run_id)
    assert again == first


def test_events_out_of_order_never_reopen_a_completed_run(world):
    run_id = str(generate_new_uuid())
    client = world["client"]
    client.emit(event(RunState.COMPLETE, "2026-11-04T01:10:00Z", run_id, "daily_ctr.late"))
    client.emit(event(RunState.START, "2026-11-04T01:00:00Z", run_id, "daily_ctr.late"))
    data = world["admin"]('query($id: String!) { pipelineRun(runId: $id) { state startedAt endedAt } }', id=run_id)["pipelineRun"]
    assert data["state"] == "COMPLETE"
    assert data["startedAt"].startswith("2026-11-04T01:00:00") and data["endedAt"].startswith("2026-11-04T01:10:00")


def post_raw(world, body: str) -> tuple[int, dict]:
    req = urllib.request.Request(f"{world['server'].url}/api/v1/lineage", data=body.encode(), method="POST",
                                 headers={"content-type": "application/json", "authorization": f"Bearer {world['bot_token']}"})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_a_malformed_event_is_400_naming_the_field_and_writes_nothing(world):
    from openlineage.client.serde import Serde
    run_id = str(generate_new_uuid())
    good = json.loads(Serde.to_json(event(RunState.START, "2026-11-05T01:00:00Z", run_id, "daily_ctr.bad",
                                          outputs=[versioned(OutputDataset, "never.written", "v1")])))
    good["eventTime"] = "not a time"
    status, body = post_raw(world, json.dumps(good))
    assert status == 400
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "eventTime"}
    assert body["errors"][0]["message"].startswith("eventTime: ")
    assert world["admin"]('query($id: String!) { pipelineRun(runId: $id) { id } }', id=run_id)["pipelineRun"] is None
    assert world["admin"]('query($ns: String!) { dataset(namespace: $ns, name: "never.written") { id } }', ns=WAREHOUSE)["dataset"] is None


def test_an_event_for_a_namespace_the_token_may_not_write_is_403_and_writes_nothing(world):
    run_id = str(generate_new_uuid())
    transport = HttpTransport(HttpConfig(url=world["server"].url, auth=ApiKeyTokenProvider({"apiKey": world["bot_token"]})))
    forbidden = RunEvent(eventType=RunState.COMPLETE, eventTime="2026-11-06T01:00:00Z", producer=PRODUCER,
                         run=Run(runId=run_id), job=Job(namespace=FINANCE, name="ledger.close"),
                         outputs=[OutputDataset(namespace=WAREHOUSE, name="finance.ledger")])
    with pytest.raises(requests.HTTPError) as refused:
        transport.emit(forbidden)
    assert refused.value.response.status_code == 403
    assert refused.value.response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert world["admin"]('query($id: String!) { pipelineRun(runId: $id) { id } }', id=run_id)["pipelineRun"] is None
    assert world["admin"]('query($ns: String!) { dataset(namespace: $ns, name: "finance.ledger") { id } }', ns=WAREHOUSE)["dataset"] is None


def test_a_gzip_compressed_event_from_the_client_is_accepted(world):
    from openlineage.client.transport.http import HttpCompression
    run_id = str(generate_new_uuid())
    transport = HttpTransport(HttpConfig(url=world["server"].url, auth=ApiKeyTokenProvider({"apiKey": world["bot_token"]}),
                                         compression=HttpCompression.GZIP))
    response = transport.emit(event(RunState.COMPLETE, "2026-11-07T01:00:00Z", run_id, "daily_ctr.gzip"))
    assert response.status_code == 201
    assert world["admin"]('query($id: String!) { pipelineRun(runId: $id) { state } }', id=run_id)["pipelineRun"] == {"state": "COMPLETE"}


def test_a_uri_like_namespace_is_the_jobs_identity(world):
    run_id = str(generate_new_uuid())
    namespace = f"airflow://prod-{SUFFIX}"
    client = OpenLineageClient(transport=HttpTransport(HttpConfig(url=world["server"].url, auth=ApiKeyTokenProvider({"apiKey": world["admin_token"]}))))
    client.emit(RunEvent(eventType=RunState.COMPLETE, eventTime="2026-11-08T01:00:00Z", producer=PRODUCER, run=Run(runId=run_id),
                         job=Job(namespace=namespace, name="dag.task")))
    data = world["admin"]('query($id: String!) { pipelineRun(runId: $id) { jobNamespace project { name } job { name } } }', id=run_id)["pipelineRun"]
    assert data == {"jobNamespace": namespace, "project": {"name": f"airflow-prod-{SUFFIX}"}, "job": {"name": "dag.task"}}
