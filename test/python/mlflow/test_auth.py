"""MLflow clients with a runledger token: Bearer (MLFLOW_TRACKING_TOKEN) and Basic
(MLFLOW_TRACKING_USERNAME/PASSWORD, password = token) act as the same user, with the same
project roles as GraphQL; a write the token may not make is refused and leaves nothing."""
from __future__ import annotations

import os
import subprocess
import tempfile

import mlflow
import pytest
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from support.server import REPO, start_server


def admin_token(data_dir: str) -> str:
    """`npm run token:create -- --admin` against the server's database, before it starts."""
    env = {**os.environ, "RUNLEDGER_DATA_DIR": data_dir, "LOG_LEVEL": "silent"}
    env.pop("DATABASE_URL", None)  # the embedded database the server will open (see support.server)
    out = subprocess.run([str(REPO / "node_modules" / ".bin" / "tsx"), "src/modules/auth/token-cli.ts", "--admin", "--user", "mlflow-admin"],
                         cwd=REPO, env=env, capture_output=True, text=True, check=True)
    return out.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def secured():
    data_dir = tempfile.mkdtemp(prefix="runledger-mlflow-auth-")
    admin = admin_token(data_dir)
    with start_server(env={"RUNLEDGER_AUTH": "on"}, data_dir=data_dir) as server:
        gql = lambda q, v=None: server.graphql(q, v, token=admin)  # noqa: E731
        for project in ("open", "secret", "hidden"):
            gql("mutation($i: CreateProjectInput!) { createProject(input: $i) { created } }", {"i": {"name": project}})
        for project, role in (("open", "EDITOR"), ("secret", "VIEWER")):
            gql("mutation($i: GrantProjectRoleInput!) { grantProjectRole(input: $i) { __typename } }",
                {"i": {"project": project, "user": "ana", "role": role}})
        ana = gql("mutation($i: CreateApiTokenInput!) { createApiToken(input: $i) { secret } }", {"i": {"user": "ana", "label": "mlflow"}})
        yield server, gql, ana["createApiToken"]["secret"]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ("MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "1")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "0")
    yield
    while mlflow.active_run():
        mlflow.end_run()


def run_count(gql, project: str) -> int:
    return gql("query($p: String!) { runs(project: $p) { totalCount } }", {"p": project})["runs"]["totalCount"]


def test_bearer_and_basic_act_as_the_token_user(secured, monkeypatch):
    server, gql, token = secured
    mlflow.set_tracking_uri(server.url)
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", token)
    mlflow.set_experiment("open")
    with mlflow.start_run() as bearer_run:
        mlflow.log_param("via", "bearer")
    monkeypatch.delenv("MLFLOW_TRACKING_TOKEN")
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "anything")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", token)
    with mlflow.start_run() as basic_run:
        mlflow.log_param("via", "basic")
    client = MlflowClient()
    assert client.get_run(bearer_run.info.run_id).info.user_id == "ana"
    assert client.get_run(basic_run.info.run_id).info.user_id == "ana"
    events = gql('{ auditEvents(first: 50, filter: {actor: "ana"}) { edges { node { operation outcome } } } }')
    operations = [e["node"]["operation"] for e in events["auditEvents"]["edges"]]
    assert "mlflow POST /mlflow/runs/create" in operations


def test_writing_where_the_token_may_not_is_refused_and_writes_nothing(secured, monkeypatch):
    server, gql, token = secured
    mlflow.set_tracking_uri(server.url)
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", token)
    # A viewer of "secret": the experiment is found, starting a run in it is refused.
    mlflow.set_experiment("secret")
    with pytest.raises(MlflowException) as refused:
        mlflow.start_run()
    assert refused.value.error_code == "PERMISSION_DENIED"
    assert run_count(gql, "secret") == 0
    # No role in "hidden": it is not found, and creating an experiment under its name is refused.
    client = MlflowClient()
    assert client.get_experiment_by_name("hidden") is None
    with pytest.raises(MlflowException) as hidden:
        client.create_experiment("hidden")
    assert hidden.value.error_code == "PERMISSION_DENIED"
    # set_experiment gets the same refusal (it swallows only RESOURCE_ALREADY_EXISTS, as a race).
    with pytest.raises(MlflowException):
        mlflow.set_experiment("hidden")
    assert run_count(gql, "hidden") == 0
    names = [e["node"]["name"] for e in gql("{ projects(first: 100) { edges { node { name } } } }")["projects"]["edges"]]
    # Default is MLflow's experiment 0, present from the start (seeded by a migration).
    assert sorted(names) == ["Default", "hidden", "open", "secret"]


def test_no_token_is_unauthenticated(secured):
    server, _gql, _token = secured
    mlflow.set_tracking_uri(server.url)
    with pytest.raises(MlflowException) as refused:
        MlflowClient().search_experiments()
    assert refused.value.error_code == "UNAUTHENTICATED"
