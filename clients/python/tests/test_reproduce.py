"""`runledger reproduce`: a run made by a script in a git repository with an uncommitted change
is checked out (commit plus diff) into a new directory with its lockfile and a script, and that
script trains again and logs the same metrics."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

from conftest import cli, history, run_detail, unique

TRAIN = """
import os, random, runledger
STEPS = 5
runledger.seed_everything(11)
with runledger.start_run("{project}", config={{"lr": 0.1}}) as run:
    print("RUN_ID=" + run.id, flush=True)
    run.log_dataset("points-{project}", "v1", path="data.csv")
    base = float(open("data.csv").read().split()[-1])
    for step in range(STEPS):
        run.log({{"loss": base / (step + 1) + random.random()}}, step=step)
"""


def git(repo, *args):
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def test_a_reproduced_run_logs_the_same_metrics(server, client_env, tmp_path):
    project = unique("repro")
    repo = tmp_path / "repo"
    (repo / "src").mkdir(parents=True)
    (repo / "src" / "train.py").write_text(textwrap.dedent(TRAIN.format(project=project)))
    (repo / "src" / "data.csv").write_text("x\n4.0\n")
    git(repo, "init", "-q")
    git(repo, "-c", "user.email=a@b.c", "-c", "user.name=a", "add", ".")
    git(repo, "-c", "user.email=a@b.c", "-c", "user.name=a", "commit", "-qm", "first")
    # Uncommitted: the run trains 7 steps, not the 5 the commit says.
    (repo / "src" / "train.py").write_text(textwrap.dedent(TRAIN.format(project=project)).replace("STEPS = 5", "STEPS = 7"))
    env = {**os.environ, **client_env, "OMP_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, "train.py"], cwd=repo / "src", env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    first = out.stdout.split("RUN_ID=")[1].split()[0]

    dst = tmp_path / "again"
    done = cli("reproduce", first, "--dir", str(dst), "--json", env=client_env)
    assert done.returncode == 0, done.stderr
    recipe = json.loads(done.stdout)
    assert recipe["cwd"] == "src" and recipe["env"]["OMP_NUM_THREADS"] == "1" and recipe["seed"] == "11"
    assert recipe["params"] == {"lr": "0.1"}
    assert [d["status"] for d in recipe["datasets"]] == ["verified"]
    assert "STEPS = 7" in (dst / "src" / "train.py").read_text()  # the diff was applied
    assert (dst / ".runledger" / "requirements.txt").read_text().count("==") > 3
    script = (dst / "reproduce.sh").read_text()
    assert "export OMP_NUM_THREADS=1" in script and "train.py" in script

    clean_env = {k: v for k, v in env.items() if k != "OMP_NUM_THREADS"}
    again = subprocess.run(["sh", str(dst / "reproduce.sh")], env=clean_env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    second = again.stdout.split("RUN_ID=")[1].split()[0]
    assert second != first
    assert history(server, second, "loss") == history(server, first, "loss") and len(history(server, first, "loss")) == 7
    assert run_detail(server, second)["codeVersion"]["commit"] == run_detail(server, first)["codeVersion"]["commit"]

    # The data changed since: reproduce says so and exits 1.
    (repo / "src" / "data.csv").write_text("x\n5.0\n")
    changed = cli("reproduce", first, "--dir", str(tmp_path / "third"), env=client_env)
    assert changed.returncode == 1 and f"points-{project}@v1: changed" in changed.stdout
