"""Offline from the start (RUNLEDGER_MODE=offline, or the server away at start_run) and synced
later with the same ids exactly once; resuming a KILLED or FAILED run with steps going on; runs
nested under a parent."""
from __future__ import annotations

import json
import time

import runledger
from conftest import cli, cli_json, history, run_detail, run_id_in, run_script, unique

CHILDREN = """query($id: ID!) { run(id: $id) { children { edges { node { name parent { id } } } } } }"""
AUDIT = """query($t: String) { auditEvents(first: 10, filter: {operation: "resumeRun", targetId: $t}) { edges { node { outcome } } } }"""


def offline_script(project: str, tmp_path) -> str:
    model = tmp_path / "hf-model"
    model.mkdir()
    (model / "config.json").write_text('{"hidden": 8}')
    (model / "weights.bin").write_bytes(bytes(range(256)) * 40)
    data = tmp_path / "train.csv"
    data.write_text("a,b\n1,2\n")
    return f"""
        import runledger
        with runledger.start_run({project!r}, name="offline-job", config={{"lr": 0.01}}, capture=False) as run:
            print("LOCAL=" + run.id, flush=True)
            for step in range(2500):
                run.log({{"loss": 1 / (step + 1)}})
            run.set_tags({{"stage": "trained"}})
            run.log_dataset("train-{project}", "v1", path={str(data)!r})
            run.log_model({str(model)!r}, register_as="m-{project}", alias="candidate")
    """


def test_offline_mode_logs_locally_and_sync_uploads_it_once(server, client_env, tmp_path):
    project = unique("offline")
    out = run_script(offline_script(project, tmp_path), {**client_env, "RUNLEDGER_MODE": "offline"})
    assert out.returncode == 0, out.stderr
    local = run_id_in(out, "LOCAL=")
    assert local.startswith("offline-") and "upload it with `runledger sync`" in out.stderr
    assert server.graphql("query($p: String!) { project(name: $p) { id } }", {"p": project})["project"] is None

    synced = cli_json("sync", env=client_env)
    run_id = synced["ids"][local]
    assert synced["points"] == 2500 and synced["runs"] == 1
    assert cli_json("sync", env=client_env)["runs"] == 0  # nothing left: a second sync sends nothing
    r = run_detail(server, run_id)
    assert r["status"] == "FINISHED" and r["name"] == "offline-job"
    assert {t["key"]: t["value"] for t in r["tags"]} == {"stage": "trained"}
    assert {p["key"]: p["value"] for p in r["params"]} == {"lr": "0.01"}
    assert history(server, run_id, "loss")[:2] == [(0, 1.0), (1, 0.5)] and len(history(server, run_id, "loss")) == 2500
    assert r["inputs"][0]["datasetVersion"]["version"] == "v1"
    assert r["modelVersions"] == [{"version": 1, "model": {"name": f"m-{project}"}, "aliases": ["candidate"]}]
    names = sorted(a["name"] for a in r["artifacts"])
    assert names == ["hf-model/config.json", "hf-model/runledger-model.json", "hf-model/weights.bin"]

    runs = server.graphql("query($p: String!) { runs(project: $p) { totalCount } }", {"p": project})["runs"]
    assert runs["totalCount"] == 1


def test_a_sync_cut_short_and_started_again_stores_everything_once(server, client_env, tmp_path):
    project = unique("resync")
    out = run_script(offline_script(project, tmp_path), {**client_env, "RUNLEDGER_MODE": "offline"})
    assert out.returncode == 0, out.stderr
    local = run_id_in(out, "LOCAL=")
    spool_file = next(p for p in (tmp_path / "spool").iterdir() if p.suffix == ".jsonl")
    lines = spool_file.read_text().splitlines()
    copy = spool_file.read_text()
    assert json.loads(lines[0])["op"] == "startRun"
    first = cli_json("sync", env=client_env)
    spool_file.write_text(copy)  # as if the first sync had died before removing what it sent
    second = cli_json("sync", env=client_env)
    assert second["ids"][local] == first["ids"][local]
    r = run_detail(server, first["ids"][local])
    assert {m["key"]: m["count"] for m in r["metrics"]} == {"loss": 2500}
    assert len(r["modelVersions"]) == 1 and len(r["artifacts"]) == 3


def test_an_unreachable_server_at_start_falls_back_to_offline(server, client_env, tmp_path):
    project = unique("fallback")
    started = time.monotonic()
    out = run_script(f"""
        import runledger
        with runledger.start_run({project!r}, capture=False) as run:
            print("LOCAL=" + run.id, flush=True)
            run.log({{"acc": 0.5}}, step=3)
    """, {**client_env, "RUNLEDGER_URL": "http://127.0.0.1:9"})
    assert out.returncode == 0, out.stderr
    assert time.monotonic() - started < 30
    assert "cannot reach runledger at http://127.0.0.1:9" in out.stderr and "logging offline instead" in out.stderr
    local = run_id_in(out, "LOCAL=")
    synced = cli_json("sync", "--url", server.url, env=client_env)
    assert history(server, synced["ids"][local], "acc") == [(3, 0.5)]
    # mode "online" refuses instead
    online = run_script(f"""
        import runledger
        runledger.start_run({project!r}, capture=False, mode="online", retry_seconds=1)
    """, {**client_env, "RUNLEDGER_URL": "http://127.0.0.1:9"})
    assert online.returncode == 1 and "Unreachable" in online.stderr


def test_resume_a_killed_run_with_steps_going_on(server, client_env):
    project = unique("resume")
    first = run_script(f"""
        import runledger
        run = runledger.start_run({project!r}, client_run_id="job-7", capture=False)
        print("RUN_ID=" + run.id)
        for step in range(10):
            run.log({{"loss": 10.0 - step}})
        run.finish("KILLED")  # preempted
    """, client_env)
    assert first.returncode == 0, first.stderr
    run_id = run_id_in(first)

    refused = run_script(f"""
        import runledger
        runledger.start_run({project!r}, client_run_id="job-7", capture=False)
    """, client_env)
    assert refused.returncode == 1 and "already ended as KILLED; pass resume=True" in refused.stderr

    again = run_script(f"""
        import runledger
        with runledger.init(id={run_id!r}, resume=True, capture=False) as run:
            for _ in range(5):
                run.log({{"loss": 0.5}})
        with runledger.start_run({project!r}, client_run_id="job-8", capture=False) as other:
            pass
        try:
            runledger.start_run(run_id=run.id, resume=True, capture=False)
        except runledger.RunledgerError as err:
            print("FINISHED_REFUSED=" + err.code)
    """, client_env)
    assert again.returncode == 0, again.stderr
    assert "continuing run" in again.stdout and "from step 10" in again.stdout
    assert "FINISHED_REFUSED=CONFLICT" in again.stdout
    assert history(server, run_id, "loss") == [(s, 10.0 - s) for s in range(10)] + [(s, 0.5) for s in range(10, 15)]
    assert run_detail(server, run_id)["status"] == "FINISHED"
    outcomes = [e["node"]["outcome"] for e in server.graphql(AUDIT, {"t": run_id})["auditEvents"]["edges"]]
    assert outcomes == ["CONFLICT", "OK"]


def test_nested_runs(server, client_env):
    out = run_script(f"""
        import runledger
        with runledger.start_run({unique('nested')!r}, name="sweep", capture=False) as parent:
            print("PARENT=" + parent.id)
            for lr in (0.1, 0.01):
                with runledger.start_run(parent.project, name=f"lr-{{lr}}", nested=True, capture=False) as child:
                    child.log({{"acc": lr}})
            with runledger.start_run(parent.project, name="explicit", parent=parent, capture=False):
                pass
    """, client_env)
    assert out.returncode == 0, out.stderr
    parent = run_id_in(out, "PARENT=")
    edges = server.graphql(CHILDREN, {"id": parent})["run"]["children"]["edges"]
    assert sorted(e["node"]["name"] for e in edges) == ["explicit", "lr-0.01", "lr-0.1"]
    assert {e["node"]["parent"]["id"] for e in edges} == {parent}


def test_an_uploader_that_dies_half_way_loses_nothing(server, client_env, tmp_path):
    from runledger import _spool

    project = unique("crash")
    out = run_script(offline_script(project, tmp_path), {**client_env, "RUNLEDGER_MODE": "offline"})
    assert out.returncode == 0, out.stderr
    local = run_id_in(out, "LOCAL=")
    taken = _spool.take(local)  # an uploader took the operations, then was killed before sending them all
    assert taken and not (tmp_path / "spool" / f"{local}.jsonl").exists()
    synced = cli_json("sync", env=client_env)
    r = run_detail(server, synced["ids"][local])
    assert r["status"] == "FINISHED" and {m["key"]: m["count"] for m in r["metrics"]} == {"loss": 2500}
    assert not list((tmp_path / "spool").glob("*.sending"))
