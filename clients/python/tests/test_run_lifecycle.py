"""The full life of a run from a training script: start with context, log without blocking,
record datasets, artifacts and a model, and end FINISHED, FAILED or KILLED."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

from conftest import history, run_detail, run_script, unique


def kv(items):
    return {i["key"]: i["value"] for i in items}


def test_a_script_logs_a_whole_run(server, client_env, tmp_path):
    project = unique("life")
    data = tmp_path / "clicks.csv"
    data.write_text("user,item\n1,2\n3,4\n")
    weights = tmp_path / "model.pt"
    weights.write_bytes(b"\x00weights\x01")
    out = run_script(f"""
        import runledger
        runledger.seed_everything(7)
        with runledger.start_run(project={project!r}, name="xgb", config={{"lr": 0.001, "tree": {{"depth": 6}}}},
                                 tags={{"team": "recs"}}, group="sweep-1") as run:
            print("RUN_ID=" + run.id)
            for i in range(1500):
                run.log({{"loss": 1.0 / (i + 1), "val/auc": 0.5 + i / 10000}}, step=i)
            run.log({{"eval/acc": 0.9}})
            run.log_params({{"batch": 64}})
            run.log_dataset("clicks-{project}", "aug", path={str(data)!r}, coverage=("2026-08-01T00:00:00Z", "2026-09-01T00:00:00Z"))
            run.log_model({str(weights)!r}, register_as="rec-{project}", alias="production")
            run.set_tags({{"stage": "done"}})
    """, client_env)
    assert out.returncode == 0, out.stderr
    run_id = next(line[7:] for line in out.stdout.splitlines() if line.startswith("RUN_ID="))
    # The dashboard URL is printed once, in the shape the web app serves.
    assert out.stdout.count(f"{server.url}/runs/{run_id}") == 1

    r = run_detail(server, run_id)
    assert r["status"] == "FINISHED"
    assert r["name"] == "xgb" and r["group"] == "sweep-1" and r["seed"] == "7"
    assert kv(r["params"]) == {"lr": "0.001", "tree.depth": "6", "batch": "64"}
    assert kv(r["tags"]) == {"team": "recs", "stage": "done"}
    metrics = {m["key"]: m for m in r["metrics"]}
    assert metrics["loss"]["count"] == 1500 and metrics["loss"]["lastStep"] == 1499
    assert metrics["val/auc"]["count"] == 1500
    assert history(server, run_id, "loss")[:3] == [(0, 1.0), (1, 0.5), (2, 1 / 3)]
    # A log() without a step continues after the highest step given.
    assert metrics["eval/acc"]["lastStep"] == 1500
    env = r["environment"]
    assert env["python"].count(".") == 2 and env["hostname"] and env["command"][0] == sys.executable
    kinds = {a["name"]: a["kind"] for a in r["artifacts"]}
    assert kinds["requirements.txt"] == "ENVIRONMENT" and kinds["model.pt"] == "MODEL"
    import hashlib
    [inp] = r["inputs"]
    assert inp["role"] == "train" and inp["datasetVersion"]["version"] == "aug"
    assert inp["datasetVersion"]["digest"] == hashlib.sha256(data.read_bytes()).hexdigest()
    assert r["modelVersions"] == [{"version": 1, "model": {"name": f"rec-{project}"}, "aliases": ["production"]}]


def test_the_lockfile_lists_installed_packages(server, client_env):
    out = run_script(f"""
        import runledger
        with runledger.start_run(project={unique('lock')!r}, capture=["packages"]) as run:
            print("RUN_ID=" + run.id)
    """, client_env)
    assert out.returncode == 0, out.stderr
    run_id = out.stdout.split("RUN_ID=")[1].split()[0]
    [lock] = [a for a in run_detail(server, run_id)["artifacts"] if a["kind"] == "ENVIRONMENT"]
    import urllib.request
    text = urllib.request.urlopen(server.url + lock["downloadUrl"]).read().decode()
    assert "pytest==8.3.4" in text.splitlines() and "runledger==0.1.0" in text.splitlines()


def test_an_exception_fails_the_run_with_its_traceback(server, client_env):
    out = run_script(f"""
        import runledger
        with runledger.start_run(project={unique('fail')!r}, capture=False) as run:
            print("RUN_ID=" + run.id, flush=True)
            run.log({{"loss": 1.0}}, step=0)
            raise ValueError("diverged at step 0")
    """, client_env)
    assert out.returncode == 1 and "ValueError: diverged at step 0" in out.stderr
    r = run_detail(server, out.stdout.split("RUN_ID=")[1].split()[0])
    assert r["status"] == "FAILED"
    assert "Traceback" in r["notes"] and "ValueError: diverged at step 0" in r["notes"]
    assert {m["key"]: m["count"] for m in r["metrics"]} == {"loss": 1}


def test_ctrl_c_kills_the_run(server, client_env):
    code = textwrap.dedent(f"""
        import time, runledger
        with runledger.start_run(project={unique('kill')!r}, capture=False) as run:
            print("RUN_ID=" + run.id, flush=True)
            step = 0
            while True:
                run.log({{"loss": 1.0}}, step=step); step += 1; time.sleep(0.01)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], env={**os.environ, **client_env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = ""
    while not line.startswith("RUN_ID="):
        line = proc.stdout.readline()
        assert line, proc.stderr.read()
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=60)
    assert run_detail(server, line.strip()[7:])["status"] == "KILLED"


def test_init_and_finish_for_notebooks(server, client_env):
    out = run_script(f"""
        import runledger
        run = runledger.init({unique('nb')!r}, "cell-run", capture=False)
        print("RUN_ID=" + run.id)
        run.log({{"acc": 0.5}}, step=1)
        run.finish()
        run2 = runledger.init({unique('nb')!r}, capture=False)
        print("RUN2=" + run2.id)
        run2.log({{"acc": 0.25}})
        # not finished by hand: finished at exit
    """, client_env)
    assert out.returncode == 0, out.stderr
    r = run_detail(server, out.stdout.split("RUN_ID=")[1].split()[0])
    assert r["status"] == "FINISHED" and [(m["key"], m["last"]) for m in r["metrics"]] == [("acc", 0.5)]
    r2 = run_detail(server, out.stdout.split("RUN2=")[1].split()[0])
    assert r2["status"] == "FINISHED" and [(m["key"], m["last"]) for m in r2["metrics"]] == [("acc", 0.25)]


def test_only_rank_zero_logs(server, client_env):
    project = unique("ddp")
    script = f"""
        import os, runledger
        with runledger.start_run(project={project!r}, name="job", capture=False) as run:
            run.log({{"loss": 1.0}}, step=0)
            print("RUN_ID=" + str(run.id))
    """
    outs = [run_script(script, client_env, extra_env={"RANK": str(rank), "LOCAL_RANK": str(rank)}) for rank in (0, 1, 2)]
    assert [o.returncode for o in outs] == [0, 0, 0]
    assert [o.stdout.split("RUN_ID=")[1].split()[0] != "None" for o in outs] == [True, False, False]
    runs = server.graphql("query($p: String!) { runs(project: $p) { edges { node { name } } } }", {"p": project})["runs"]["edges"]
    assert runs == [{"node": {"name": "job"}}]


def test_gpus_and_system_metrics_from_nvidia_smi(server, client_env, tmp_path):
    # No GPU here: a fake nvidia-smi on PATH answers as a two-GPU machine would.
    fake = tmp_path / "bin" / "nvidia-smi"
    fake.parent.mkdir()
    fake.write_text(textwrap.dedent("""\
        #!/bin/sh
        case "$1" in
          --query-gpu=name,memory.total,driver_version) printf 'NVIDIA A100-SXM4-40GB, 40960, 535.54\\nNVIDIA A100-SXM4-40GB, 40960, 535.54\\n' ;;
          --query-gpu=utilization.gpu,memory.used,memory.total) printf '87, 20480, 40960\\n12, 1024, 40960\\n' ;;
          *) echo '| NVIDIA-SMI 535.54   Driver Version: 535.54   CUDA Version: 12.2 |' ;;
        esac
    """))
    fake.chmod(0o755)
    out = run_script(f"""
        import runledger
        with runledger.start_run(project={unique('gpu')!r}, capture=["gpus", "environment"], system_metrics=0.2) as run:
            print("RUN_ID=" + run.id)
            import time; time.sleep(0.5)
    """, client_env, extra_env={"PATH": f"{fake.parent}:{os.environ['PATH']}"})
    assert out.returncode == 0, out.stderr
    r = run_detail(server, out.stdout.split("RUN_ID=")[1].split()[0])
    assert r["gpuCount"] == 2 and r["environment"]["cuda"] == "12.2"
    assert r["environment"]["hardware"]["gpus"][0] == {"name": "NVIDIA A100-SXM4-40GB", "memory_mb": 40960.0, "driver": "535.54"}
    metrics = {m["key"]: m["last"] for m in r["metrics"]}
    assert metrics["system/gpu0_utilization_percent"] == 87 and metrics["system/gpu1_memory_percent"] == 2.5
    assert 0 < metrics["system/memory_percent"] < 100


def test_a_refused_param_loses_no_points(server, client_env):
    out = run_script(f"""
        import runledger
        with runledger.start_run(project={unique('conflict')!r}, config={{"lr": 0.1}}, capture=False) as run:
            print("RUN_ID=" + run.id)
            for i in range(10):
                run.log({{"loss": float(i)}}, step=i)
                if i == 5:
                    run.log_params({{"lr": 0.2}})  # params are immutable: the server refuses this one
    """, client_env)
    assert out.returncode == 0, out.stderr
    assert "runledger: the server refused 1 logged values" in out.stderr and "lr" in out.stderr
    r = run_detail(server, out.stdout.split("RUN_ID=")[1].split()[0])
    assert kv(r["params"]) == {"lr": "0.1"}
    assert [(m["key"], m["count"]) for m in r["metrics"]] == [("loss", 10)]


def test_a_non_zero_rank_gets_every_method_as_a_no_op():
    from runledger.run import DisabledRun, Run

    public = [m for m in dir(Run) if not m.startswith("_") and callable(getattr(Run, m))]
    assert [m for m in public if getattr(DisabledRun, m) is getattr(Run, m)] == []
    run = DisabledRun()
    run.log({"loss": 1.0})
    run.log_image("samples", b"\x89PNG")
    run.finish()
    assert run.status == "FINISHED"
