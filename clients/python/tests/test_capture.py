"""Git state captured at start in a temporary repository with a dirty file: commit, branch,
dirty flag and the diff uploaded as a CODE_DIFF artifact; each part can be switched off."""
from __future__ import annotations

import subprocess
import urllib.request

from conftest import cli, run_detail, run_script, unique


def git(cwd, *args):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def make_repo(path):
    path.mkdir()
    git(path, "init", "-q", "-b", "feature/x")
    git(path, "config", "user.email", "t@example.com")
    git(path, "config", "user.name", "t")
    git(path, "remote", "add", "origin", "git@example.com:ml/churn.git")
    (path / "train.py").write_text("lr = 0.1\n")
    git(path, "add", "train.py")
    git(path, "commit", "-qm", "first")
    (path / "train.py").write_text("lr = 0.2  # tuned by hand\n")
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=path, capture_output=True, text=True).stdout.strip()


SCRIPT = """
    import runledger
    with runledger.start_run(project={project!r}, capture={capture!r}, seed=1) as run:
        print("RUN_ID=" + run.id)
"""


def test_a_dirty_repository_is_recorded_with_its_diff(server, client_env, tmp_path):
    commit = make_repo(tmp_path / "repo")
    out = run_script(SCRIPT.format(project=unique("git"), capture=True), client_env, cwd=str(tmp_path / "repo"))
    assert out.returncode == 0, out.stderr
    run_id = out.stdout.split("RUN_ID=")[1].split()[0]
    cv = run_detail(server, run_id)["codeVersion"]
    assert cv["repository"] == "git@example.com:ml/churn.git"
    assert cv["commit"] == commit and cv["branch"] == "feature/x" and cv["dirty"] is True
    assert cv["diff"]["name"] == "git.diff"
    diff = urllib.request.urlopen(server.url + cv["diff"]["downloadUrl"]).read().decode()
    assert "-lr = 0.1" in diff and "+lr = 0.2  # tuned by hand" in diff
    # CI can ask for a clean tree or a recorded diff: this run passes.
    assert cli("check", run_id, "--require", "commit,clean,seed,environment", env=client_env).returncode == 0


def test_without_the_diff_a_dirty_run_fails_the_clean_check(server, client_env, tmp_path):
    make_repo(tmp_path / "repo")
    out = run_script(SCRIPT.format(project=unique("git"), capture=["git"]), client_env, cwd=str(tmp_path / "repo"))
    run_id = out.stdout.split("RUN_ID=")[1].split()[0]
    r = run_detail(server, run_id)
    assert r["codeVersion"]["dirty"] is True and r["codeVersion"]["diff"] is None
    assert r["environment"] is None and r["artifacts"] == []
    check = cli("check", run_id, "--require", "commit,clean,environment", env=client_env)
    assert check.returncode == 1
    assert "lacks clean: the working tree was dirty and no diff was uploaded" in check.stdout
    assert "lacks environment" in check.stdout and "lacks commit" not in check.stdout


def test_outside_git_nothing_is_claimed(server, client_env, tmp_path):
    out = run_script(SCRIPT.format(project=unique("nogit"), capture=True), client_env, cwd=str(tmp_path))
    run_id = out.stdout.split("RUN_ID=")[1].split()[0]
    assert run_detail(server, run_id)["codeVersion"] is None
    check = cli("check", run_id, "--require", "commit", env=client_env)
    assert check.returncode == 1 and "lacks commit: no git commit recorded" in check.stdout
