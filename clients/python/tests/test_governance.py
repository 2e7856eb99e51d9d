"""Governance through the installed `runledger` command and the Python API, against a server with
authentication on: promote files a request for a protected alias, an approver approves it from
the terminal, failed promotion rules are listed readably (exit 5), `check --project --since`
fails CI on runs that break the conventions, start_run fails fast, and export writes the bundle
and model card."""
from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path

import pytest

import runledger
from runledger.governance import ConventionError
from conftest import REPO, cli, unique
from support.server import start_server


def admin_token(data_dir: str) -> str:
    env = {**os.environ, "RUNLEDGER_DATA_DIR": data_dir, "LOG_LEVEL": "silent"}
    env.pop("DATABASE_URL", None)
    out = subprocess.run([str(REPO / "node_modules" / ".bin" / "tsx"), "src/modules/auth/token-cli.ts", "--admin", "--user", "gov-admin"],
                         cwd=REPO, env=env, capture_output=True, text=True, check=True)
    return out.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def gov(tmp_path_factory):
    data_dir = tempfile.mkdtemp(prefix="runledger-py-gov-")
    admin = admin_token(data_dir)
    with start_server(env={"RUNLEDGER_AUTH": "on"}, data_dir=data_dir) as server:
        gql = lambda q, v=None, token=admin: server.graphql(q, v, token=token)  # noqa: E731
        token = lambda user: gql("mutation($i: CreateApiTokenInput!) { createApiToken(input: $i) { secret } }",  # noqa: E731
                                 {"i": {"user": user, "label": "py"}})["createApiToken"]["secret"]
        project = unique("gov")
        gql("mutation($i: CreateProjectInput!) { createProject(input: $i) { created } }", {"i": {"name": project}})
        for user, role in (("dev", "EDITOR"), ("lead", "VIEWER")):
            gql("mutation($i: GrantProjectRoleInput!) { grantProjectRole(input: $i) { __typename } }", {"i": {"project": project, "user": user, "role": role}})
        gql("mutation($i: SetApproverGroupInput!) { setApproverGroup(input: $i) { __typename } }", {"i": {"project": project, "name": "ml-lead", "members": ["lead"]}})
        gql("mutation($i: ProtectAliasInput!) { protectAlias(input: $i) { __typename } }",
            {"i": {"project": project, "alias": "production", "requirements": [{"count": 1, "groups": ["ml-lead"]}]}})
        yield {"server": server, "gql": gql, "project": project, "dev": token("dev"), "lead": token("lead"), "tmp": tmp_path_factory.mktemp("gov")}


def env_for(gov, who: str, tmp: Path) -> dict:
    return {"RUNLEDGER_URL": gov["server"].url, "RUNLEDGER_TOKEN": gov[who], "RUNLEDGER_CONFIG": str(tmp / "none.json"),
            "RUNLEDGER_SPOOL_DIR": str(tmp / "spool")}


def train(gov, name: str, auc: float, tmp: Path) -> str:
    """A run as dev that registers its weights as the next version of the model; returns model@version."""
    os.environ["RUNLEDGER_TOKEN"] = gov["dev"]
    try:
        with runledger.start_run(gov["project"], name, config={"lr": 0.01}, url=gov["server"].url, capture=False, quiet=True) as run:
            run.log({"val_auc": auc}, step=1)
            (tmp / f"{name}.pt").write_bytes(name.encode())
            out = run.log_model(tmp / f"{name}.pt", register_as=f"{gov['project']}-model")
    finally:
        del os.environ["RUNLEDGER_TOKEN"]
    return f"{gov['project']}-model@{out['modelVersion']['version']}"


def test_promote_files_a_request_that_an_approver_approves(gov, tmp_path):
    ref = train(gov, "v1", 0.9, gov["tmp"])
    out = cli("promote", ref, "--to", "production", "--reason", "beats the baseline", env=env_for(gov, "dev", tmp_path))
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith(f"{ref} -> production needs approval; filed request ")
    number = int(lines[0].rsplit(" ", 1)[1])
    assert lines[1].strip() == f"{gov['server'].url}/promotions/{number}"
    assert "1 of group ml-lead: nobody yet (1 more needed)" in out.stdout
    assert "pass  no quarantined data upstream" in out.stdout

    waiting = json.loads(cli("requests", "--json", env=env_for(gov, "lead", tmp_path)).stdout)
    assert [r["number"] for r in waiting] == [number]
    own = cli("approve", str(number), env=env_for(gov, "dev", tmp_path))
    assert own.returncode == 4 and "you asked for promotion request" in own.stderr and "EDITOR role" not in own.stderr

    approved = cli("approve", str(number), "--comment", "looks good", env=env_for(gov, "lead", tmp_path))
    assert approved.returncode == 0, approved.stderr
    assert approved.stdout.splitlines()[0] == "approved; the alias moved"
    prod = gov["gql"]('query($m: String!) { registeredModel(name: $m) { alias(name: "production") { version } } }', {"m": ref.split("@")[0]})
    assert prod["registeredModel"]["alias"]["version"] == int(ref.split("@")[1])


def test_failed_promotion_rules_are_listed_and_exit_5(gov, tmp_path):
    gql = gov["gql"]
    gql("mutation($i: SetPromotionRulesInput!) { setPromotionRules(input: $i) { __typename } }",
        {"i": {"project": gov["project"], "rules": [{"kind": "METRIC", "metric": "val_auc", "op": ">=", "threshold": 0.8}, {"kind": "ARTIFACT", "artifactKind": "EVAL_REPORT"}]}})
    try:
        ref = train(gov, "weak", 0.6, gov["tmp"])
        out = cli("promote", ref, "--to", "production", "--reason", "try", env=env_for(gov, "dev", tmp_path))
        assert out.returncode == 5
        assert "2 promotion rule(s) failed" in out.stderr
        assert "FAIL  metric val_auc >= 0.8: val_auc is 0.6" in out.stderr
        assert "FAIL  an EVAL_REPORT artifact: the run has no EVAL_REPORT artifact" in out.stderr
    finally:
        gql("mutation($i: SetPromotionRulesInput!) { setPromotionRules(input: $i) { __typename } }", {"i": {"project": gov["project"], "rules": []}})


def test_check_project_since_fails_ci_on_runs_that_break_the_conventions(gov, tmp_path):
    gql = gov["gql"]
    project = unique("conv")
    gql("mutation($i: CreateProjectInput!) { createProject(input: $i) { created } }", {"i": {"name": project}})
    gql("mutation($i: SetRunConventionsInput!) { setRunConventions(input: $i) { __typename } }",
        {"i": {"project": project, "requiredParams": ["lr", "batch_size"], "requiredTags": [{"key": "team", "allowedValues": ["search", "ads"]}]}})
    dev_env = {"RUNLEDGER_URL": gov["server"].url, "RUNLEDGER_TOKEN": gov["dev"], "RUNLEDGER_CONFIG": str(tmp_path / "c.json")}
    os.environ["RUNLEDGER_TOKEN"] = gov["dev"]
    gql("mutation($i: GrantProjectRoleInput!) { grantProjectRole(input: $i) { __typename } }", {"i": {"project": project, "user": "dev", "role": "EDITOR"}})
    try:
        with runledger.start_run(project, "ok", config={"lr": 0.1, "batch_size": 32}, tags={"team": "ads"}, url=gov["server"].url, capture=False, quiet=True):
            pass
        with runledger.start_run(project, "sloppy", config={"lr": 0.1}, tags={"team": "sales"}, url=gov["server"].url, capture=False, quiet=True) as bad:
            pass
        with pytest.raises(ConventionError) as refused:
            runledger.start_run(project, "strict", config={"lr": 0.1}, tags={"team": "ads"}, url=gov["server"].url, capture=False, quiet=True, enforce_conventions=True)
        assert refused.value.violations[0]["message"] == "param batch_size is required"
    finally:
        del os.environ["RUNLEDGER_TOKEN"]
    out = cli("check", "--project", project, "--since", "1d", env=dev_env)
    assert out.returncode == 1, out.stderr
    assert out.stdout.splitlines() == [
        f"{project}: 1 of 2 run(s) since 1d break the conventions",
        f"  sloppy ({bad.id}): param batch_size is required",
        f"  sloppy ({bad.id}): tag team is \"sales\"; allowed: search, ads",
    ]
    one = cli("check", bad.id, "--require", "seed", env=dev_env)
    assert one.returncode == 1 and "lacks param batch_size: param batch_size is required by the project's conventions" in one.stdout
    assert cli("check", "--project", project, env=dev_env).returncode == 2


def test_export_writes_the_bundle_and_model_card(gov, tmp_path):
    ref = train(gov, "exported", 0.95, gov["tmp"])
    out = cli("export", ref, "--out", str(tmp_path / "bundle.json"), "--html", str(tmp_path / "card.html"), env=env_for(gov, "lead", tmp_path))
    assert out.returncode == 0, out.stderr
    bundle = json.loads((tmp_path / "bundle.json").read_text())
    assert bundle["format"] == "runledger.compliance-bundle/1"
    assert bundle["run"]["name"] == "exported" and bundle["run"]["params"] == {"lr": "0.01"}
    html = (tmp_path / "card.html").read_text()
    assert html.startswith("<!doctype html>") and "<script" not in html and "exported" in html
    assert cli("export", "nope", env=env_for(gov, "lead", tmp_path)).returncode == 2
