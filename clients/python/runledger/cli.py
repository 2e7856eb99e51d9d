"""The `runledger` command: find, show and compare runs, follow one live, answer lineage
questions and act on incidents from a terminal. Readable tables by default, --json for scripts.

Exit codes: 0 ok, 1 `check` found something missing, 2 bad usage or input, 3 not found,
4 not authenticated or not allowed, 5 conflict, 6 server unreachable, 7 any other server error.
"""
from __future__ import annotations

import argparse
import getpass
import json
import re
import sys
from typing import Any, Iterable

from . import _config, governance, read
from ._http import RunledgerError, Transport
from ._sync import sync_all, url_of
from .live import watch

EXIT = {"BAD_USER_INPUT": 2, "NOT_FOUND": 3, "UNAUTHENTICATED": 4, "FORBIDDEN": 4, "CONFLICT": 5, "UNAVAILABLE": 6}
FIX = {
    "UNAUTHENTICATED": "run `runledger login` or set RUNLEDGER_TOKEN",
    "FORBIDDEN": "ask a project admin for the EDITOR role",
    "UNAVAILABLE": "check the server, or point at another with --url / RUNLEDGER_URL",
}
REQUIREMENTS = ("commit", "clean", "datasets", "seed", "environment")


class CheckFailed(Exception):
    pass


# ---- output ------------------------------------------------------------------------------------
# What a terminal acts on instead of showing: C0 and C1 controls (ESC starts escape sequences
# that recolour, move the cursor or retitle the window, BEL rings, CR rewrites the line), DEL,
# and the bidirectional marks and overrides that reorder what is read.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _text(v: Any) -> str:
    """Text from the server as a terminal shows it literally: each control character escaped (ESC as \\x1b)."""
    def escape(m: re.Match) -> str:
        ch = m.group()
        return _NAMED.get(ch) or (f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")
    return _UNPRINTABLE.sub(escape, str(v))


def table(rows: list[dict], columns: list[str] | None = None, out=None) -> None:
    out = out or sys.stdout
    if not rows:
        print("(none)", file=out)
        return
    columns = columns or list(dict.fromkeys(k for r in rows for k in r))
    cells = [[_cell(r.get(c)) for c in columns] for r in rows]
    headers = [_text(c.upper()) for c in columns]
    widths = [max(len(h), *(len(row[i]) for row in cells)) for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip(), file=out)
    for row in cells:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip(), file=out)


def _cell(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.6g}"
    return _text(v)


def emit(args: argparse.Namespace, data: Any, human) -> None:
    if args.json:
        json.dump(data, sys.stdout, indent=2, default=str)
        print()
    else:
        human(data)


# ---- commands ----------------------------------------------------------------------------------
def cmd_runs(args, t: Transport) -> None:
    found = read.Runs(t, args.project, args.filter, args.sort, None, min(args.limit, 100), args.limit).to_list()
    keys = [k.strip() for k in args.columns.split(",")] if args.columns else None

    def human(rows):
        base = ["run_id", "name", "status", "started_at"]
        extra = keys if keys is not None else sorted({k for r in rows for k in r if k.startswith("metrics.")})
        table(rows, base + extra)

    emit(args, found, human)


def cmd_show(args, t: Transport) -> None:
    run = read.get_run(args.run, t)

    def human(r):
        cv = r.get("codeVersion")
        lines = [
            ("run", f"{r['project']['name']}/{r['name']}  ({r['id']})"),
            ("status", f"{r['status']}  started {r['startedAt']}  {r['durationSeconds']:.1f}s"),
            ("user", r.get("user")), ("group", r.get("group")), ("seed", r.get("seed")),
            ("commit", f"{cv['commit'][:12]} on {cv.get('branch') or '?'} of {cv['repository']}{' (dirty)' if cv['dirty'] else ''}" if cv else None),
            ("url", f"{t.url}/runs/{r['id']}"),
        ]
        for k, v in lines:
            print(f"{k:<8} {_cell(v)}")
        for title, kvs in (("params", r["params"]), ("tags", r["tags"])):
            if kvs:
                print(f"\n{title}")
                table([{"key": p["key"], "value": p["value"]} for p in kvs])
        if r["metrics"]:
            print("\nmetrics")
            table([{"key": m["key"], "last": read._float(m["last"]), "step": m["lastStep"], "min": read._float(m["min"]), "max": read._float(m["max"]), "points": m["count"]} for m in r["metrics"]])
        if r["inputs"]:
            print("\ninputs")
            table([{"role": i["role"], "input": f"{i['datasetVersion']['dataset']['name']}@{i['datasetVersion']['label']}" if i["datasetVersion"] else f"{i['modelVersion']['model']['name']}/{i['modelVersion']['number']}"} for i in r["inputs"]])
        if r["artifacts"]:
            print("\nartifacts")
            table([{"name": a["name"], "kind": a["kind"], "bytes": a["sizeBytes"]} for a in r["artifacts"]])

    emit(args, run, human)


def cmd_compare(args, t: Transport) -> None:
    rows = read.compare(args.runs, url=t.url, token=t.token)
    emit(args, rows, lambda rows: table([{**r, "differs": "*" if r["differs"] else ""} for r in rows]))


def cmd_tail(args, t: Transport) -> None:
    since = None if args.live_only else args.since
    for p in watch(args.run, args.keys or None, since, max_points=args.max_points, t=t):
        if args.json:
            print(json.dumps(p), flush=True)
        else:
            print(f"{p['step']:>8}  {_text(p['key']):<20} {_cell(read._float(p['value']))}", flush=True)


def cmd_lineage(args, t: Transport) -> None:
    direction = "UPSTREAM" if args.up else "DOWNSTREAM" if args.down else "BOTH"
    graph = read.lineage(args.ref, direction, args.depth, args.at, url=t.url, token=t.token)
    emit(args, dict(graph), lambda g: table([{"depth": n["depth"], "type": n["type"], "label": n["label"], "id": n["id"]} for n in g["nodes"]]))


def cmd_models(args, t: Transport) -> None:
    rows = read.models(args.used_dataset, alias=args.alias, at=args.at, url=t.url, token=t.token)
    emit(args, rows, lambda rows: table(rows, ["model", "version", "aliases", "run", "created_at"]))


def cmd_impact(args, t: Transport) -> None:
    rows = read.impact(args.ref, aliases=args.alias or None, at=args.at, url=t.url, token=t.token)
    emit(args, rows, lambda rows: table(rows, ["model", "version", "aliases", "run", "created_at"]))


ALIAS_NOW = """query($m: String!, $a: String!) { registeredModel(name: $m) { alias(name: $a) { version } } }"""
ROLLBACK = """mutation($i: RollbackModelAliasInput!) { rollbackModelAlias(input: $i) { changed version { version } event { at who reason } } }"""
QUARANTINE = """mutation($i: QuarantineDatasetVersionInput!) { quarantineDatasetVersion(input: $i) { created quarantine { reason by at } datasetVersion { id } } }"""


def cmd_rollback(args, t: Transport) -> None:
    model = t.graphql(ALIAS_NOW, {"m": args.model, "a": args.alias})["registeredModel"]
    if model is None:
        raise RunledgerError(f"model {args.model!r} not found (see `runledger models`)", code="NOT_FOUND")
    current = model["alias"]["version"] if model["alias"] else None
    # The version seen is sent as the expected one: if someone moved the alias meanwhile, nothing happens.
    inp = {"model": args.model, "alias": args.alias, "reason": args.reason, **({"fromVersion": current} if current is not None else {})}
    out = t.graphql(ROLLBACK, {"i": inp})["rollbackModelAlias"]
    to = out["version"]["version"] if out["version"] else None
    result = {"model": args.model, "alias": args.alias, "from": current, "to": to, "changed": out["changed"]}
    emit(args, result, lambda r: print(f"{_text(r['model'])}@{_text(r['alias'])}: v{r['from']} -> " + (f"v{r['to']}" if r["to"] else "unset")
                                       + ("" if r["changed"] else f" (unchanged: the alias no longer pointed at v{r['from']})")))
    if not out["changed"]:
        raise RunledgerError(f"{args.model}@{args.alias} was not rolled back: it moved since it was read; check `runledger models` and retry", code="CONFLICT")


def cmd_quarantine(args, t: Transport) -> None:
    out = t.graphql(QUARANTINE, {"i": {"ref": args.dataset, "reason": args.reason}})["quarantineDatasetVersion"]
    emit(args, out, lambda o: print(f"{_text(args.dataset)} quarantined" + ("" if o["created"] else f" already (since {o['quarantine']['at']} by {_text(o['quarantine']['by'])}: {_text(o['quarantine']['reason'])})")))


def cmd_sync(args, t: Transport) -> None:
    """Sends each spooled run's operations in order, to --url or else the server they were meant for.
    Offline runs are started on the server with their client run id, so syncing twice creates one run."""
    transports: dict[str, Transport] = {}

    def transport_for(url: str) -> Transport:
        if args.url:
            return t
        if url not in transports:
            transports[url] = Transport(url, _config.resolve(url, args.token)[1], retry_seconds=args.retry_seconds)
        return transports[url]

    stats, busy = sync_all(transport_for, only=args.run, retry_seconds=args.retry_seconds, wait=args.wait)
    result = {"runs": len(stats.runs), "batches": stats.batches, "points": stats.points, "busy": busy,
              "ids": stats.runs, "urls": {k: url_of(stats.urls[k], v) for k, v in stats.runs.items()}, "refused": stats.refused}
    for summary in stats.refused:
        print(summary, file=sys.stderr)

    def human(r):
        if args.quiet:
            return
        for key, run_id in r["ids"].items():
            if key != run_id:
                print(f"{key} -> {run_id}  {r['urls'][key]}")
        print(f"synced {r['batches']} batches ({r['points']} points) of {r['runs']} runs" if r["runs"] else "nothing to sync")
        for key in busy:
            print(f"{key}: being uploaded by another process (a run's background upload); skipped")

    emit(args, result, human)


def cmd_reproduce(args, t: Transport) -> None:
    from .reproduce import reproduce

    recipe = reproduce(t, args.run, args.dir)

    def human(r):
        print(f"{r['name']} ({r['run']}) into {args.dir}:")
        for step in r["steps"]:
            print(f"  {step}")
        for d in r["datasets"]:
            print(f"  input {d['dataset']}: {d['status']}" + (f" ({d['source']})" if d["source"] else ""))
        print(f"then: sh {args.dir}/reproduce.sh")

    emit(args, recipe, human)
    if any(d["status"] == "changed" for d in recipe["datasets"]):
        raise CheckFailed()


def cmd_download(args, t: Transport) -> None:
    if args.run:
        from .artifacts import download_run_artifacts

        run_id = args.ref if read.is_run_id(args.ref) else read.get_run(args.ref, t)["id"]
        paths = [str(p) for p in download_run_artifacts(t, run_id, args.path or "", args.dst)]
    else:
        from .artifacts import download_model

        root = download_model(t, args.ref, args.dst)
        paths = sorted(str(p) for p in root.rglob("*") if p.is_file())
    emit(args, paths, lambda ps: print("\n".join(ps)))


def cmd_login(args, t: Transport) -> None:
    token = args.token
    if token is None:
        token = getpass.getpass(f"API token for {t.url} (empty: none): ") if sys.stdin.isatty() else sys.stdin.readline().strip()
    probe = Transport(t.url, token or None, retry_seconds=5)
    viewer = probe.graphql("{ viewer { name authenticated isAdmin } }")["viewer"]
    if token and not viewer["authenticated"]:
        raise RunledgerError("the server did not accept the token", code="UNAUTHENTICATED")
    path = _config.save(t.url, token or None)
    emit(args, {"url": t.url, "user": viewer["name"], "config": str(path)},
         lambda r: print(f"logged in to {r['url']} as {_text(r['user'] or 'anonymous (local mode)')}; saved to {r['config']}"))


def missing_requirements(run: dict, required: Iterable[str]) -> list[tuple[str, str]]:
    """What a run lacks of the required records, each with how to fix it."""
    cv = run.get("codeVersion")
    env = run.get("environment") or {}
    no_git = "no git state was recorded (the run did not start in a git checkout, or git capture was off): run the training from a git checkout"
    checks = {
        "commit": (bool(cv and cv.get("commit")), "no git commit recorded: run the training from a git checkout with the runledger client"),
        "clean": (bool(cv and not cv.get("dirty")) or bool(cv and cv.get("diff")),
                  no_git + ", so whether its tree was clean is unknown" if not cv
                  else "the working tree was dirty and no diff was uploaded: commit first, or keep the client's diff capture on"),
        "datasets": (any(i.get("datasetVersion") for i in run.get("inputs") or []), "no dataset versions logged: call run.log_dataset(name, version, path=...)"),
        "seed": (bool(run.get("seed")), "no seed recorded: pass seed= to start_run or call runledger.seed_everything(n)"),
        "environment": (bool(env.get("python")) and bool(env.get("command")), "no environment captured: keep capture on (environment) in start_run"),
    }
    return [(name, checks[name][1]) for name in required if not checks[name][0]]


def cmd_check(args, t: Transport) -> None:
    if args.project or args.since:
        if not (args.project and args.since) or args.run:
            raise RunledgerError("check: give a run, or --project and --since (e.g. --project churn --since 1d)", code="BAD_USER_INPUT")
        if not governance.cmd_check_project(args, t, emit):
            raise CheckFailed()
        return
    if not args.run:
        raise RunledgerError("check: give a run, or --project and --since", code="BAD_USER_INPUT")
    required = [r.strip() for r in args.require.split(",") if r.strip()]
    unknown = [r for r in required if r not in REQUIREMENTS]
    if unknown:
        raise RunledgerError(f"--require: unknown {', '.join(unknown)}; choose from {','.join(REQUIREMENTS)}", code="BAD_USER_INPUT")
    run = read.get_run(args.run, t)
    missing = missing_requirements(run, required)
    # The project's declared conventions (required params, tags, inputs) count too.
    missing += [(f"{v['kind'].lower()} {v['key']}", f"{v['message']} by the project's conventions") for v in governance.run_violations(t, run["id"])]
    result = {"run": run["id"], "name": f"{run['project']['name']}/{run['name']}", "required": required, "missing": [m for m, _ in missing]}

    def human(r):
        if not missing:
            print(f"{_text(r['name'])}: has {', '.join(required)}")
        for name, fix in missing:
            print(f"{_text(r['name'])} lacks {name}: {fix}")

    emit(args, result, human)
    if missing:
        raise CheckFailed()


# ---- parsing -----------------------------------------------------------------------------------
def parser() -> argparse.ArgumentParser:
    def global_options(suppress: bool) -> argparse.ArgumentParser:
        # The same options before or after the subcommand: after it, a default must not
        # overwrite what was given before it (`runledger --json runs p`), hence SUPPRESS there.
        g = argparse.ArgumentParser(add_help=False)
        none = argparse.SUPPRESS if suppress else None
        g.add_argument("--url", default=none, help="server URL (default: RUNLEDGER_URL, the saved login, http://127.0.0.1:4000)")
        g.add_argument("--token", default=none, help="API token (default: RUNLEDGER_TOKEN or the saved login)")
        g.add_argument("--json", action="store_true", default=argparse.SUPPRESS if suppress else False, help="machine-readable output")
        return g

    common = global_options(suppress=True)
    p = argparse.ArgumentParser(prog="runledger", description="runledger from the terminal.", parents=[global_options(suppress=False)],
                                epilog="Exit codes: 0 ok, 1 check failed, 2 bad input, 3 not found, 4 auth, 5 conflict, 6 unreachable, 7 other.")
    sub = p.add_subparsers(dest="command", required=True)

    def add(name, fn, help):
        sp = sub.add_parser(name, help=help, parents=[common], description=help)
        sp.set_defaults(fn=fn)
        return sp

    sp = add("runs", cmd_runs, "search the runs of a project")
    sp.add_argument("project")
    sp.add_argument("--filter", help="e.g. \"metrics.val_auc > 0.8 and params.lr = '1e-3'\"")
    sp.add_argument("--sort", help="e.g. 'metrics.val_auc desc'")
    sp.add_argument("--limit", type=int, default=20)
    sp.add_argument("--columns", help="comma-separated params./metrics./tags. columns to show")
    sp = add("show", cmd_show, "everything about one run")
    sp.add_argument("run", help="run id or project/run-name")
    sp = add("compare", cmd_compare, "runs side by side (differing params marked *)")
    sp.add_argument("runs", nargs="+", metavar="RUN")
    sp = add("tail", cmd_tail, "follow a run's metrics live")
    sp.add_argument("run")
    sp.add_argument("keys", nargs="*")
    sp.add_argument("--since", type=int, default=0, help="replay stored points from this step first (default 0)")
    sp.add_argument("--live-only", action="store_true", help="only points logged from now on")
    sp.add_argument("--max-points", type=int, help="stop after this many points")
    sp = add("lineage", cmd_lineage, "what went into (--up) or came out of (--down) something")
    sp.add_argument("ref", help="dataset@version, model@alias, model/version, project/run-name or an id")
    g = sp.add_mutually_exclusive_group()
    g.add_argument("--up", action="store_true")
    g.add_argument("--down", action="store_true")
    sp.add_argument("--depth", type=int, default=10)
    sp.add_argument("--at", help="as of this instant, e.g. 2026-10-03T14:00")
    sp = add("models", cmd_models, "model versions trained on a dataset")
    sp.add_argument("--used-dataset", required=True, help="dataset or dataset@version")
    sp.add_argument("--alias", help="only versions holding it, e.g. production")
    sp.add_argument("--at")
    sp = add("impact", cmd_impact, "model versions a bad dataset version, commit or run reached")
    sp.add_argument("ref")
    sp.add_argument("--alias", action="append", help="only versions holding it (repeatable)")
    sp.add_argument("--at")
    sp = add("rollback", cmd_rollback, "undo the last change of a model alias")
    sp.add_argument("model")
    sp.add_argument("alias")
    sp.add_argument("--reason", required=True)
    sp = add("quarantine", cmd_quarantine, "mark a dataset version bad")
    sp.add_argument("dataset", metavar="DATASET@VERSION")
    sp.add_argument("--reason", required=True)
    sp = add("sync", cmd_sync, "upload what runs spooled (offline runs, outages, background uploads)")
    sp.add_argument("--run", help="only this run (its id, or the offline-... id an offline run printed)")
    sp.add_argument("--retry-seconds", type=float, default=10.0)
    sp.add_argument("--wait", action="store_true", help="wait for a run another process is uploading, instead of skipping it")
    sp.add_argument("--quiet", action="store_true")
    sp = add("reproduce", cmd_reproduce, "check out a run's code (with its diff) into a directory, with its lockfile and a script that runs it again")
    sp.add_argument("run", help="run id or project/run-name")
    sp.add_argument("--dir", required=True, help="an empty or new directory")
    sp = add("download", cmd_download, "a model version (name@alias, name/3) or, with --run, a run's artifacts, into a directory")
    sp.add_argument("ref", help="model@alias or model/version; with --run, a run id or project/run-name")
    sp.add_argument("dst", help="directory to write into (created)")
    sp.add_argument("--run", action="store_true", help="ref is a run: download its artifacts")
    sp.add_argument("--path", help="with --run: only artifacts named PATH or under PATH/")
    add("login", cmd_login, "save the server URL and API token for later commands")
    sp = add("check", cmd_check, "exit non-zero when a run lacks what reproducibility or its project's conventions need")
    sp.add_argument("run", nargs="?", help="one run; or use --project and --since for every run of a period (CI)")
    sp.add_argument("--require", default=",".join(REQUIREMENTS), help=f"comma-separated: {','.join(REQUIREMENTS)}")
    sp.add_argument("--project", help="check every run of this project started since --since against its conventions")
    sp.add_argument("--since", help="1d, 12h, 30m, 2w, or an instant such as 2026-10-03T14:00")
    sp = add("promote", lambda a, t: governance.cmd_promote(a, t, emit), "move an alias onto a model version (a protected alias files a promotion request)")
    sp.add_argument("ref", metavar="MODEL@VERSION")
    sp.add_argument("--to", required=True, metavar="ALIAS", help="e.g. production")
    sp.add_argument("--reason", required=True)
    sp.add_argument("--override-reason", help="promote although promotion rules fail (needs an override group's member; recorded)")
    sp = add("approve", lambda a, t: governance.cmd_approve(a, t, emit), "approve a promotion request")
    sp.add_argument("request", type=int, metavar="REQUEST")
    sp.add_argument("--comment")
    sp = add("reject", lambda a, t: governance.cmd_reject(a, t, emit), "reject a promotion request, saying why")
    sp.add_argument("request", type=int, metavar="REQUEST")
    sp.add_argument("--comment", required=True)
    sp = add("requests", lambda a, t: governance.cmd_requests(a, t, emit, table), "pending promotion requests you may approve (--all: every pending one you can see)")
    sp.add_argument("--all", action="store_true")
    sp = add("export", lambda a, t: governance.cmd_export(a, t, emit), "a model version's compliance bundle (JSON) and model card (HTML)")
    sp.add_argument("ref", metavar="MODEL@VERSION")
    sp.add_argument("--out", help="write the JSON bundle here (default: stdout)")
    sp.add_argument("--html", help="write the HTML model card here")
    sp.add_argument("--alias", help="evaluate the promotion rules of this alias (default production)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "login" and args.url is None:
        args.url = _config.resolve(None, None)[0]
    url, token = _config.resolve(args.url, args.token)
    try:
        t = Transport(url, token, retry_seconds=5.0)
        args.fn(args, t)
        return 0
    except CheckFailed:
        return 1
    except RunledgerError as err:
        code = err.code or "ERROR"
        fix = getattr(err, "fix", FIX.get(code))
        print(f"runledger: {_text(err)}" + (f"\n  fix: {fix}" if fix and fix not in str(err) else ""), file=sys.stderr)
        return EXIT.get(code, 7)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
