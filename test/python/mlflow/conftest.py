"""Shared fixtures of the MLflow suites: each module starts its own fresh runledger."""
import pytest
from mlflow.tracking._tracking_service import utils as tracking_utils


@pytest.fixture(autouse=True)
def forget_artifact_repositories():
    # MLflow caches a run's artifact repository by run id alone, with the server's address in
    # it. Every fresh runledger numbers its first runs alike (00…01), so a test module would
    # upload into the previous module's server, already stopped. One process talking to one
    # server, as users do, never meets this; clear the cache between tests.
    tracking_utils._artifact_repos_cache.clear()
    yield
    tracking_utils._artifact_repos_cache.clear()
