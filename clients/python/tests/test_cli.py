"""Every `runledger` command, run as the installed console script: its readable output, its
--json, and exit codes a script can trust (0 ok, 1 check failed, 2 bad input, 3 not found,
5 conflict, 6 unreachable)."""
from __future__ import annotations

import json
import os

import pytest

import runledger
from conftest import cli, cli_json, unique


@pytest.fixture(scope="module")
def world(server, tmp_path_factory):
    """Two runs of a project, a dataset version they read, and a model with two versions in production in turn."""
    os.environ["RUNLEDGER_URL"] = server.url
    tmp = tmp_path_factory.mktemp("cli")
    project = unique("cli")
    (tmp / "d.csv").write_text("a\n1\n")
    w = {"project": project, "dataset": f"clicks-{project}", "model": f"rec-{project}"}
    for i, (name, lr) in enumerate((("base", "0.1"), ("tuned", "0.01"))):
        with runledger.start_run(project=project, name=name, config={"lr": lr, "layers": 2}, seed=42, capture=["environment"], quiet=True) as run:
            for step in range(3):
                run.log({"loss": 1.0 / (step + 1 + i), "val/auc": 0.7 + i / 10 + step / 100}, step=step)
            run.log_dataset(w["dataset"], "aug", path=tmp / "d.csv")
            (tmp / f"{name}.pt").write_bytes(name.encode())
            run.log_model(tmp / f"{name}.pt", register_as=w["model"], alias="production")
            w[name] = run.id
    yield w
    del os.environ["RUNLEDGER_URL"]


def test_runs_table_and_json(world, client_env):
    out = cli("runs", world["project"], "--filter", "params.lr = '0.01'", "--sort", "metrics.val/auc desc", env=client_env)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].split() == ["RUN_ID", "NAME", "STATUS", "STARTED_AT", "METRICS.LOSS", "METRICS.VAL/AUC"]
    assert len(lines) == 2 and lines[1].split()[1:3] == ["tuned", "FINISHED"] and lines[1].split()[-2:] == ["0.25", "0.82"]
    rows = cli_json("runs", world["project"], "--sort", "attributes.name", env=client_env)
    assert [(r["name"], r["params.lr"], r["metrics.loss"]) for r in rows] == [("base", "0.1", 1 / 3), ("tuned", "0.01", 0.25)]


def test_show(world, client_env):
    out = cli("show", f"{world['project']}/tuned", env=client_env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == f"run      {world['project']}/tuned  ({world['tuned']})"
    assert f"url      {client_env['RUNLEDGER_URL']}/runs/{world['tuned']}" in out.stdout
    rows = [line.split() for line in out.stdout.splitlines()]
    assert ["lr", "0.01"] in rows and ["layers", "2"] in rows and ["loss", "0.25", "2", "0.25", "0.5", "3"] in rows
    assert f"train  {world['dataset']}@aug" in out.stdout
    assert cli_json("show", world["tuned"], env=client_env)["seed"] == "42"


def test_compare(world, client_env):
    out = cli("compare", world["base"], f"{world['project']}/tuned", env=client_env)
    assert out.returncode == 0, out.stderr
    rows = {line.split()[0]: line.split() for line in out.stdout.splitlines()[1:]}
    assert rows["params.lr"] == ["params.lr", "0.1", "0.01", "*"]
    assert rows["params.layers"] == ["params.layers", "2", "2"]


def test_tail_replays_and_stops(world, client_env):
    out = cli("tail", world["tuned"], "loss", "--max-points", "3", env=client_env)
    assert out.returncode == 0, out.stderr
    assert [line.split() for line in out.stdout.splitlines()] == [["0", "loss", "0.5"], ["1", "loss", "0.333333"], ["2", "loss", "0.25"]]


def test_lineage_models_impact(world, client_env):
    out = cli("lineage", f"{world['model']}@production", "--up", "--depth", "3", env=client_env)
    assert out.returncode == 0, out.stderr
    table = [line.split()[:3] for line in out.stdout.splitlines()[1:]]
    assert table[:3] == [["0", "MODEL_VERSION", world["model"]], ["1", "ARTIFACT", "tuned.pt"], ["2", "RUN", "tuned"]]
    assert ["3", "DATASET_VERSION", f"{world['dataset']}@aug"] in table
    down = cli_json("lineage", f"{world['dataset']}@aug", "--down", "--depth", "1", env=client_env)
    assert sorted(n["label"] for n in down["nodes"]) == sorted([f"{world['dataset']}@aug", "base", "tuned"])

    models = cli("models", "--used-dataset", f"{world['dataset']}@aug", "--alias", "production", env=client_env)
    assert models.returncode == 0
    assert [line.split()[:4] for line in models.stdout.splitlines()] == [["MODEL", "VERSION", "ALIASES", "RUN"], [world["model"], "2", "production", f"{world['project']}/tuned"]]
    # An instant without a zone is UTC; far in the future it answers as now.
    later = cli_json("models", "--used-dataset", f"{world['dataset']}@aug", "--alias", "production", "--at", "2099-01-01T00:00", env=client_env)
    assert [r["version"] for r in later] == [2]
    impact = cli_json("impact", f"{world['dataset']}@aug", env=client_env)
    assert sorted(r["version"] for r in impact) == [1, 2]


def test_rollback_sends_the_version_it_saw(world, client_env):
    out = cli("rollback", world["model"], "production", "--reason", "bad auc in prod", env=client_env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"{world['model']}@production: v2 -> v1"
    assert cli_json("models", "--used-dataset", world["dataset"], "--alias", "production", env=client_env)[0]["version"] == 1
    again = cli("rollback", world["model"], "staging", "--reason", "x", env=client_env)
    assert again.returncode in (3, 5) and "staging" in again.stderr


def test_quarantine_and_its_errors(world, client_env):
    out = cli("quarantine", f"{world['dataset']}@aug", "--reason", "duplicated events", env=client_env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"{world['dataset']}@aug quarantined"
    assert "quarantined already" in cli("quarantine", f"{world['dataset']}@aug", "--reason", "again", env=client_env).stdout
    missing = cli("quarantine", f"{world['dataset']}@sept", "--reason", "x", env=client_env)
    assert missing.returncode == 3 and "not found" in missing.stderr
    wrong = cli("quarantine", f"{world['model']}/1", "--reason", "x", env=client_env)
    assert wrong.returncode == 2 and "not a dataset version" in wrong.stderr


def test_check_names_what_is_missing(world, client_env):
    ok = cli("check", f"{world['project']}/tuned", "--require", "datasets,seed,environment", env=client_env)
    assert ok.returncode == 0 and ok.stdout.strip() == f"{world['project']}/tuned: has datasets, seed, environment"
    bad = cli("check", world["base"], "--require", "commit,seed", env=client_env)
    assert bad.returncode == 1
    assert bad.stdout.strip() == f"{world['project']}/base lacks commit: no git commit recorded: run the training from a git checkout with the runledger client"
    assert cli_json("check", world["base"], "--require", "seed", env=client_env)["missing"] == []
    typo = cli("check", world["base"], "--require", "comit", env=client_env)
    assert typo.returncode == 2 and "choose from commit,clean,datasets,seed,environment" in typo.stderr


def test_not_found_and_bad_input_exit_codes(world, client_env):
    nf = cli("show", f"{world['project']}/nope", env=client_env)
    assert nf.returncode == 3 and "not found" in nf.stderr
    bad = cli("runs", world["project"], "--filter", "metrics.x >", env=client_env)
    assert bad.returncode == 2 and "filter" in bad.stderr
    assert cli("runs", env=client_env).returncode == 2  # argparse: project missing


def test_sync_with_nothing_spooled(client_env):
    out = cli("sync", env=client_env)
    assert out.returncode == 0 and out.stdout.strip() == "nothing to sync"


def test_login_saves_url_and_token(server, client_env):
    out = cli("login", "--url", server.url, input="\n", env={**client_env, "RUNLEDGER_URL": ""})
    assert out.returncode == 0, out.stderr
    assert "logged in to" in out.stdout and "anonymous (local mode)" in out.stdout
    saved = json.loads(open(client_env["RUNLEDGER_CONFIG"]).read())
    assert saved == {"url": server.url, "token": None}
    assert oct(os.stat(client_env["RUNLEDGER_CONFIG"]).st_mode & 0o777) == "0o600"
    # Later commands find the server through the saved login alone.
    env = {k: v for k, v in client_env.items() if k != "RUNLEDGER_URL"}
    assert cli("sync", env={**env, "RUNLEDGER_URL": ""}).returncode == 0


def test_global_options_work_before_and_after_the_subcommand(server, client_env):
    import json as _json

    env = {**client_env, "RUNLEDGER_URL": "http://127.0.0.1:9"}  # the default would be unreachable
    project = unique("gopts")
    import runledger

    with runledger.start_run(project, name="r1", capture=False, quiet=True, url=server.url):
        pass
    for args in (["--url", server.url, "--json", "runs", project], ["runs", project, "--url", server.url, "--json"],
                 ["--url", server.url, "runs", project, "--json"]):
        out = cli(*args, env=env)
        assert out.returncode == 0, (args, out.stderr)
        assert [r["name"] for r in _json.loads(out.stdout)] == ["r1"], args


def test_check_says_when_no_git_state_was_recorded(server, client_env, tmp_path):
    import runledger

    with runledger.start_run(unique("nogit"), capture=["environment"], cwd=str(tmp_path), quiet=True) as run:
        pass
    out = cli("check", run.id, "--require", "commit,clean", env=client_env)
    assert out.returncode == 1
    assert "lacks commit: no git commit recorded" in out.stdout
    assert "lacks clean: no git state was recorded" in out.stdout and "dirty" not in out.stdout


def test_show_and_runs_escape_control_characters(server, client_env):
    """Names, tags and params are whatever someone logged: printed raw, ESC would retitle the
    window or clear the screen, BEL ring, CR overwrite the line. They print escaped instead.
    Run names are display names, which the shared input rules refuse with control characters (ESC,
    BEL, CR) in them, but a bidi override is printable text and still reverses the line; values
    take anything."""
    project = unique("ctl")
    with pytest.raises(runledger.InvalidInput, match=r"name: must not contain control characters \(found U\+001B\)"):
        runledger.start_run(project=project, name="ok\x1b]0;pwned\x07", quiet=True, capture=False)
    name = "ok\u202e]0;pwned forged"
    lr, note = "0.1\x1b]0;pwned\x07\x1b[2J\rforged", "a\rb\u202ec"
    with runledger.start_run(project=project, name=name, config={"lr": lr}, tags={"note": note}, quiet=True, capture=False) as run:
        run.log({"loss": 1.0}, step=0)
        run_id = run.id
    for args in (("show", run_id), ("runs", project, "--columns", "params.lr,tags.note")):
        out = cli(*args, env=client_env)
        assert out.returncode == 0, out.stderr
        assert not any(ch in out.stdout for ch in "\x1b\x07\r\u202e"), repr(out.stdout)
        assert "ok\\u202e]0;pwned forged" in out.stdout
        assert "0.1\\x1b]0;pwned\\x07\\x1b[2J\\rforged" in out.stdout and "a\\rb\\u202ec" in out.stdout
    # --json keeps the data as it is: JSON escapes it, and scripts get the real value.
    shown = cli_json("show", run_id, env=client_env)
    assert shown["name"] == name
    assert {p["key"]: p["value"] for p in shown["params"]}["lr"] == lr
    assert {t["key"]: t["value"] for t in shown["tags"]}["note"] == note
