"""Shared fixtures of the MLflow suites: each module starts its own fresh runledger."""
import mlflow
import pytest
from mlflow.tracking._tracking_service import utils as tracking_utils

from support.server import start_server


@pytest.fixture(scope="module")
def server():
    """A fresh runledger for the module (embedded database)."""
    with start_server() as running:
        yield running


@pytest.fixture()
def tracking_server(server, monkeypatch):
    """Points MLflow's client at the module's server: the only setting a team changes when it
    moves to runledger. Modules use it with `pytestmark = pytest.mark.usefixtures(...)`."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", server.url)
    # Fail fast instead of backing off for minutes if the server ever answered 5xx.
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "1")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "0")
    mlflow.set_tracking_uri(server.url)
    yield server
    while mlflow.active_run():
        mlflow.end_run()


@pytest.fixture(autouse=True)
def forget_artifact_repositories():
    # MLflow caches a run's artifact repository by run id alone, with the server's address in
    # it. Every fresh runledger numbers its first runs alike (00…01), so a test module would
    # upload into the previous module's server, already stopped. One process talking to one
    # server, as users do, never meets this; clear the cache between tests.
    tracking_utils._artifact_repos_cache.clear()
    yield
    tracking_utils._artifact_repos_cache.clear()
