"""Governance from Python and the terminal: promote a model version (a protected alias files a
promotion request), approve or reject one, list what waits for you, check runs against their
project's conventions (for CI), and export a version's compliance bundle. Every rule is the
server's; this module only asks and prints."""
from __future__ import annotations

import json
import re
import sys
from datetime import datetime, timedelta, timezone
from typing import Any

from ._http import RunledgerError, Transport

REQUEST = """id number url alias action status requestedBy reason override from { version } to { version } expiresAt
  model { name } requirements { description } progress { requirement { description } approvedBy missing }
  gateResults { rule kind passed detail } decisions { who decision comment at }"""
PROMOTE = f"""mutation($i: RequestPromotionInput!) {{ requestPromotion(input: $i) {{ moved created
  event {{ action who to {{ version }} gateResults {{ rule passed detail }} }} request {{ {REQUEST} }} }} }}"""
APPROVE = f"""mutation($i: ApprovePromotionInput!) {{ approvePromotion(input: $i) {{ moved event {{ action to {{ version }} }} request {{ {REQUEST} }} }} }}"""
REJECT = f"""mutation($i: RejectPromotionInput!) {{ rejectPromotion(input: $i) {{ request {{ {REQUEST} }} }} }}"""
GET = f"""query($n: Int!) {{ promotionRequest(number: $n) {{ {REQUEST} }} }}"""
PENDING = """query($actionable: Boolean) { promotionRequests(status: PENDING, actionable: $actionable, first: 100) {
  edges { node { number url alias requestedBy reason model { name } to { version } expiresAt progress { missing requirement { description } } } } } }"""
REPORT = """query($p: String!, $since: DateTime!) { conventionReport(project: $p, since: $since) { project checked
  failing { run { id name } violations { kind key message } } } }"""
RUN_VIOLATIONS = """query($id: ID!) { run(id: $id) { conventionViolations { kind key message } } }"""
START_CHECK = """query($p: String!, $params: [ParamInput!], $tags: [TagInput!]) { project(name: $p) { conventions {
  check(params: $params, tags: $tags) { kind key message } } } }"""
EXPORT = """query($m: String!, $v: Int!, $a: String) { complianceExport(model: $m, version: $v, alias: $a) { json html } }"""


class ConventionError(RunledgerError):
    """A run about to start breaks its project's conventions (raised by start_run(enforce_conventions=True))."""

    def __init__(self, project: str, violations: list[dict]):
        lines = "; ".join(v["message"] for v in violations)
        super().__init__(f"project {project} requires: {lines}", code="BAD_USER_INPUT", field="config")
        self.violations = violations


def graphql_full(t: Transport, query: str, variables: dict) -> tuple[Any, list[dict]]:
    """One request, returning data and errors as the server sent them (the CLI shows their details)."""
    body = json.dumps({"query": query, "variables": variables}).encode()
    status, _, raw = t.request("POST", "/graphql", body, {"content-type": "application/json", "accept": "application/json"})
    try:
        payload = json.loads(raw)
    except ValueError:
        raise RunledgerError(f"HTTP {status} from {t.url}/graphql: {raw[:200]!r}", status=status) from None
    return payload.get("data"), payload.get("errors") or []


def _raise(errors: list[dict]) -> None:
    first = errors[0]
    ext = first.get("extensions") or {}
    err = RunledgerError(first.get("message", "error"), code=ext.get("code"), field=ext.get("field"))
    err.extensions = ext  # type: ignore[attr-defined]
    # The server's message already says what to do; the generic hint for the code would mislead.
    err.fix = None  # type: ignore[attr-defined]
    raise err


def call(t: Transport, query: str, variables: dict) -> dict:
    data, errors = graphql_full(t, query, variables)
    if errors:
        _raise(errors)
    return data


def parse_ref(ref: str) -> tuple[str, int]:
    """model@version: the version is a number (aliases are what promote moves)."""
    model, sep, version = ref.rpartition("@")
    if not sep or not model or not version.isdigit():
        raise RunledgerError(f"{ref!r}: give model@version, e.g. churn@3", code="BAD_USER_INPUT", field="ref")
    return model, int(version)


def parse_since(text: str, now: datetime | None = None) -> str:
    """1d, 12h, 30m, 2w (before now) or an ISO instant, as an ISO instant in UTC."""
    now = now or datetime.now(timezone.utc)
    m = re.fullmatch(r"(\d+)\s*([mhdw])", text.strip())
    if m:
        unit = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}[m.group(2)]
        return (now - timedelta(**{unit: int(m.group(1))})).isoformat().replace("+00:00", "Z")
    try:
        parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise RunledgerError(f"--since: {text!r} is neither a span (1d, 12h, 30m, 2w) nor an instant (2026-10-03T14:00)", code="BAD_USER_INPUT") from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).isoformat()


# ---- the Python API ------------------------------------------------------------------------
def promote(ref: str, to: str, reason: str, *, override_reason: str | None = None, t: Transport) -> dict:
    """Moves an alias onto model@version, or files the promotion request when the alias is protected."""
    model, version = parse_ref(ref)
    inp: dict[str, Any] = {"model": model, "version": version, "alias": to, "reason": reason}
    if override_reason:
        inp["override"] = {"reason": override_reason}
    return call(t, PROMOTE, {"i": inp})["requestPromotion"]


def approve(number: int, comment: str | None = None, *, t: Transport) -> dict:
    return call(t, APPROVE, {"i": {"request": number, **({"comment": comment} if comment else {})}})["approvePromotion"]


def reject(number: int, comment: str, *, t: Transport) -> dict:
    return call(t, REJECT, {"i": {"request": number, "comment": comment}})["rejectPromotion"]


def pending(*, mine_to_approve: bool = True, t: Transport) -> list[dict]:
    return [e["node"] for e in call(t, PENDING, {"actionable": mine_to_approve})["promotionRequests"]["edges"]]


def convention_report(project: str, since: str, *, t: Transport) -> dict:
    return call(t, REPORT, {"p": project, "since": parse_since(since)})["conventionReport"]


def run_violations(t: Transport, run_id: str) -> list[dict]:
    run = call(t, RUN_VIOLATIONS, {"id": run_id})["run"]
    return run["conventionViolations"] if run else []


def require_conventions(t: Transport, project: str, params: dict | None, tags: dict | None) -> None:
    """Raises ConventionError when a run with these params and tags would break its project's conventions."""
    kv = lambda d: [{"key": str(k), "value": str(v)} for k, v in (d or {}).items()]  # noqa: E731
    found = call(t, START_CHECK, {"p": project, "params": kv(params), "tags": kv(tags)})["project"]
    violations = found["conventions"]["check"] if found else []
    if violations:
        raise ConventionError(project, violations)


def export(ref: str, *, alias: str | None = None, t: Transport) -> dict:
    """The compliance bundle of model@version: {"json": {...}, "html": "<!doctype html>..."}."""
    model, version = parse_ref(ref)
    return call(t, EXPORT, {"m": model, "v": version, "a": alias})["complianceExport"]


# ---- the CLI -------------------------------------------------------------------------------
def _describe_request(r: dict) -> list[str]:
    to = f"v{r['to']['version']}" if r.get("to") else "(removed)"
    lines = [f"promotion request {r['number']} ({r['status'].lower()}): {r['model']['name']}@{r['alias']} -> {to}", f"  {r['url']}"]
    for p in r.get("progress") or []:
        who = ", ".join(p["approvedBy"]) or "nobody yet"
        lines.append(f"  {p['requirement']['description']}: {who}" + (f" ({p['missing']} more needed)" if p["missing"] else ""))
    return lines


def _gate_lines(results: list[dict]) -> list[str]:
    return [f"  {'pass' if g['passed'] else 'FAIL'}  {g['rule']}: {g['detail']}" for g in results]


def cmd_promote(args, t: Transport, emit) -> None:
    try:
        out = promote(args.ref, args.to, args.reason, override_reason=args.override_reason, t=t)
    except RunledgerError as err:
        failed = (getattr(err, "extensions", {}) or {}).get("failedRules")
        if failed:
            print(f"runledger: {args.ref} cannot become {args.to}: {len(failed)} promotion rule(s) failed", file=sys.stderr)
            for g in failed:
                print(f"  FAIL  {g['rule']}: {g['detail']}", file=sys.stderr)
            print("  (an allowed approver may pass --override-reason to promote anyway; it is recorded)", file=sys.stderr)
            err.args = ("promotion rules failed",)
        raise

    def human(o):
        if o["request"]:
            r = o["request"]
            print(f"{args.ref} -> {args.to} needs approval; " + ("filed " if o["created"] else "already pending as ") + f"request {r['number']}")
            print("\n".join(_describe_request(r)[1:]))
            print("\n".join(_gate_lines(r["gateResults"])))
        elif o["moved"]:
            print(f"{args.ref} is now {args.to}")
            print("\n".join(_gate_lines(o["event"]["gateResults"] or [])))
        else:
            print(f"{args.ref} already was {args.to}")

    emit(args, out, human)


def cmd_approve(args, t: Transport, emit) -> None:
    out = approve(args.request, args.comment, t=t)
    emit(args, out, lambda o: print(("approved; the alias moved\n" if o["moved"] else "approved\n") + "\n".join(_describe_request(o["request"]))))


def cmd_reject(args, t: Transport, emit) -> None:
    out = reject(args.request, args.comment, t=t)
    emit(args, out, lambda o: print("rejected\n" + "\n".join(_describe_request(o["request"]))))


def cmd_requests(args, t: Transport, emit, table) -> None:
    rows = pending(mine_to_approve=not args.all, t=t)
    flat = [{"number": r["number"], "model": r["model"]["name"], "alias": r["alias"], "to": f"v{r['to']['version']}" if r["to"] else "-",
             "by": r["requestedBy"], "missing": sum(p["missing"] for p in r["progress"]), "reason": r["reason"], "url": r["url"]} for r in rows]
    emit(args, rows, lambda _: table(flat, ["number", "model", "alias", "to", "by", "missing", "reason", "url"]))


def cmd_check_project(args, t: Transport, emit) -> bool:
    """Prints each run of the period that breaks the conventions; returns whether all keep them."""
    report = convention_report(args.project, args.since, t=t)

    def human(r):
        if not r["failing"]:
            print(f"{r['project']}: {r['checked']} run(s) since {args.since} keep the conventions")
            return
        print(f"{r['project']}: {len(r['failing'])} of {r['checked']} run(s) since {args.since} break the conventions")
        for f in r["failing"]:
            for v in f["violations"]:
                print(f"  {f['run']['name']} ({f['run']['id']}): {v['message']}")

    emit(args, report, human)
    return not report["failing"]


def cmd_export(args, t: Transport, emit) -> None:
    out = export(args.ref, alias=args.alias, t=t)
    if args.html:
        with open(args.html, "w", encoding="utf-8") as f:
            f.write(out["html"])
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump(out["json"], f, indent=2)
    if args.out or args.html:
        print(f"wrote {', '.join(p for p in (args.out, args.html) if p)}", file=sys.stderr)
        if not args.json:
            return
    json.dump(out["json"], sys.stdout, indent=2)
    print()
