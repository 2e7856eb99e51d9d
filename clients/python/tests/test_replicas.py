"""The client behind a load balancer: two runledger replicas on one PostgreSQL, Redis and S3,
each request to the other replica in turn. A run logged, given an artifact and a registered
model through the balancer is whole on each replica alone, and downloads back through it.
Skipped without `scripts/services up` (replicas cannot share an embedded database)."""
from __future__ import annotations

import pytest

import runledger
from conftest import RUN_DETAIL, history, unique
from support.replicas import two_replicas


@pytest.fixture(scope="module")
def replicas():
    with two_replicas() as running:
        yield running


def test_a_run_logged_through_alternating_replicas_is_whole_on_each(replicas, client_env, monkeypatch, tmp_path):
    balancer, a, b = replicas
    monkeypatch.setenv("RUNLEDGER_URL", balancer.url)
    project = unique("balanced")
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "weights.bin").write_bytes(bytes(range(256)) * 64)
    with runledger.start_run(project, capture=False, quiet=True) as run:
        run.log_params({"lr": 0.01})
        for step in range(300):
            run.log({"loss": 1 / (step + 1), "acc": step / 300}, step=step)
        run.log_artifact(tmp_path / "model" / "weights.bin")
        run.log_model(tmp_path / "model", register_as=f"m-{project}", alias="champion")
    assert min(balancer.served) >= 3, balancer.served  # both replicas took part

    for replica in (a, b):
        detail = replica.graphql(RUN_DETAIL, {"id": run.id})["run"]
        assert detail["status"] == "FINISHED"
        assert {p["key"]: p["value"] for p in detail["params"]}["lr"] in ("0.01", "0.01000")
        assert history(replica, run.id, "loss") == [(s, 1 / (s + 1)) for s in range(300)]
        assert detail["modelVersions"] == [{"version": 1, "model": {"name": f"m-{project}"}, "aliases": ["champion"]}]
    back = runledger.download(f"m-{project}@champion", tmp_path / "back")
    assert (back / "weights.bin").read_bytes() == bytes(range(256)) * 64
