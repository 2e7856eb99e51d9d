"""`runledger reproduce RUN --dir D`: the recorded commit checked out into D, the captured diff
applied, the captured package lockfile written, and a script with the exact command line, the
recorded environment variables and seed (params beside it, for reference); each input dataset's
digest verified where its data can be reached. The same recipe as JSON, for other tools."""
from __future__ import annotations

import json
import os
import shlex
import subprocess
from pathlib import Path

from ._http import RunledgerError, Transport
from .artifacts import download_file, sha256_file

RECIPE = """query($r: String!) { lookup(ref: $r) { __typename ... on Run { id name status seed startedAt project { name }
  params { key value } environment
  codeVersion { repository commit branch dirty diff { name digest sizeBytes downloadUrl } }
  inputs { role datasetVersion { version digest sourceUri dataset { name } } }
  artifacts(kind: ENVIRONMENT) { name digest sizeBytes downloadUrl } } } }"""


def _git(args: list[str], cwd: Path | None = None) -> None:
    out = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if out.returncode != 0:
        raise RunledgerError(f"git {' '.join(args)} failed: {out.stderr.strip()[:500]}", code="CONFLICT")


def verify_dataset(dv: dict) -> dict:
    """Whether the data a run read is still what it read: 'verified', 'changed' or 'unreachable'."""
    source = dv.get("sourceUri") or ""
    path = Path(source[7:] if source.startswith("file://") else source)
    entry = {"dataset": f"{dv['dataset']['name']}@{dv['version']}", "source": source or None, "digest": dv["digest"]}
    if not source or "://" in source and not source.startswith("file://") or not path.is_file():
        return {**entry, "status": "unreachable"}
    got = sha256_file(path)
    return {**entry, "status": "verified" if got == dv["digest"] else "changed", **({"found": got} if got != dv["digest"] else {})}


def reproduce(t: Transport, ref: str, dst: str | os.PathLike) -> dict:
    run = t.graphql(RECIPE, {"r": ref})["lookup"]
    if run is None or run.get("__typename") != "Run":
        raise RunledgerError(f"run {ref!r} not found: give a run id or project/run-name", code="NOT_FOUND")
    cv = run.get("codeVersion")
    if not cv:
        raise RunledgerError(f"run {run['project']['name']}/{run['name']} recorded no git commit: nothing to check out", code="BAD_USER_INPUT", field="run")
    dst = Path(dst)
    if dst.exists() and any(dst.iterdir()):
        raise RunledgerError(f"--dir {dst} is not empty", code="BAD_USER_INPUT", field="dir")
    _git(["clone", "--quiet", "--no-checkout", cv["repository"], str(dst)])
    _git(["checkout", "--quiet", cv["commit"]], dst)
    steps = [f"checked out {cv['commit'][:12]} of {cv['repository']}"]
    if cv.get("diff"):
        diff = download_file(t, cv["diff"], dst / ".runledger" / "git.diff")
        _git(["apply", "--whitespace=nowarn", str(diff.resolve())], dst)
        steps.append("applied the uncommitted changes it ran with")
    elif cv.get("dirty"):
        steps.append("WARNING: the working tree was dirty but no diff was captured; the code may differ")
    lock = next((a for a in run["artifacts"] if a["name"] == "requirements.txt"), None)
    if lock:
        download_file(t, lock, dst / ".runledger" / "requirements.txt")
        steps.append("wrote the package lockfile: pip install -r .runledger/requirements.txt")
    env = run.get("environment") or {}
    datasets = [verify_dataset(i["datasetVersion"]) for i in run["inputs"] if i.get("datasetVersion")]
    recipe = {"run": run["id"], "name": f"{run['project']['name']}/{run['name']}", "commit": cv["commit"], "repository": cv["repository"],
              "command": env.get("command"), "cwd": env.get("cwd_in_repo", "."), "env": env.get("env") or {}, "seed": run.get("seed"),
              "params": {p["key"]: p["value"] for p in run["params"]}, "python": env.get("python"), "datasets": datasets}
    (dst / ".runledger").mkdir(exist_ok=True)
    (dst / ".runledger" / "recipe.json").write_text(json.dumps(recipe, indent=2))
    script = dst / "reproduce.sh"
    script.write_text(_script(recipe))
    script.chmod(0o755)
    steps.append(f"wrote {script.name}: run it to train again")
    recipe["steps"] = steps
    return recipe


def _script(r: dict) -> str:
    command = r.get("command") or []
    lines = ["#!/bin/sh", f"# Reproduces run {r['name']} ({r['run']}) at commit {r['commit']}, written by `runledger reproduce`.",
             f"# Python {r.get('python') or '?'}; packages: pip install -r .runledger/requirements.txt",
             "# Params it logged (set by the code and config at this commit):"]
    lines += [f"#   {k} = {v}" for k, v in sorted(r["params"].items())]
    for d in r["datasets"]:
        lines.append(f"# input {d['dataset']} sha256 {d['digest']}: {d['status']}")
    lines += ["set -e", 'cd "$(dirname "$0")"', f"cd {shlex.quote(r['cwd'])}"]
    env = dict(r["env"])
    if r.get("seed") is not None:
        env.setdefault("PYTHONHASHSEED", str(r["seed"]))
        env["RUNLEDGER_REPRODUCED_SEED"] = str(r["seed"])
    env["RUNLEDGER_REPRODUCES"] = r["run"]
    lines += [f"export {k}={shlex.quote(v)}" for k, v in sorted(env.items())]
    if not command:
        lines.append("echo 'the run recorded no command line (capture environment was off)' >&2; exit 2")
    else:
        python, args = command[0], command[1:]
        lines.append(f'exec "${{PYTHON:-{python}}}" {" ".join(shlex.quote(a) for a in args)} "$@"')
    return "\n".join(lines) + "\n"
