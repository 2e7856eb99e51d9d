"""Live metric points over server-sent events, standard library only: subscribes to
metricLogged, and after a dropped connection resumes with sinceStep without repeating points."""
from __future__ import annotations

import http.client
import json
import time
from typing import Iterable, Iterator

from ._http import RunledgerError, Transport, data_or_raise
from .read import get_run, is_run_id, series, transport

RUN_STATUS = """query($id: ID!) { run(id: $id) { status metrics { key } } }"""

SUBSCRIPTION = """subscription($id: ID!, $keys: [String!], $since: SafeInt) {
  metricLogged(runId: $id, keys: $keys, sinceStep: $since) { points { key step timestamp value } resumeFromStep dropped } }"""


def _events(conn: http.client.HTTPConnection) -> Iterator[dict]:
    resp = conn.getresponse()
    if resp.status != 200:
        body = resp.read()
        try:
            data_or_raise(json.loads(body), resp.status)
        except ValueError:
            pass
        raise RunledgerError(f"subscription refused: HTTP {resp.status} {body[:200]!r}", status=resp.status)
    data: list[str] = []
    while True:
        line = resp.readline()
        if not line:
            return  # the server closed the stream
        text = line.decode().rstrip("\r\n")
        if text.startswith("data:"):
            data.append(text[5:].lstrip())
        elif text == "" and data:
            yield json.loads("\n".join(data))
            data = []


def watch(run: str, keys: Iterable[str] | None = None, since_step: int | None = 0, *, max_points: int | None = None,
          reconnect_seconds: float = 30.0, url: str | None = None, token: str | None = None,
          t: Transport | None = None) -> Iterator[dict]:
    """Yields {"key", "step", "timestamp", "value"} as the run logs them (stored points from
    since_step first; None: live only). A dropped connection is resumed from resumeFromStep,
    skipping points already yielded. Stops after max_points, or when the server stays away.
    A run that has already ended yields its stored points (from since_step) and returns."""
    t = t or transport(url, token)
    run_id = run if is_run_id(run) else get_run(run, t)["id"]
    keys = list(keys) if keys else None
    state = t.graphql(RUN_STATUS, {"id": run_id})["run"]
    if state is None:
        raise RunledgerError(f"run {run!r} not found", code="NOT_FOUND")
    if state["status"] != "RUNNING":
        if since_step is None:
            return  # live only, and nothing more will come
        points = [{"key": k, **p} for k in (keys or [m["key"] for m in state["metrics"]]) for p in series(t, run_id, k, None, lo=since_step)]
        points.sort(key=lambda p: (p["step"], p["timestamp"], p["key"]))
        yield from points[:max_points] if max_points is not None else points
        return
    seen: set = set()  # identities yielded at steps >= resume, which a resumed replay repeats
    resume, sent, failed_since = since_step, 0, None
    while True:
        conn = t.connect(timeout=None)
        try:
            body = json.dumps({"query": SUBSCRIPTION, "variables": {"id": run_id, "keys": keys, "since": resume}})
            conn.request("POST", t._base + "/graphql", body=body, headers=t.headers({"content-type": "application/json", "accept": "text/event-stream"}))
            for event in _events(conn):
                failed_since = None
                batch = data_or_raise(event)["metricLogged"]
                if batch["dropped"]:
                    resume = batch["resumeFromStep"]
                    break
                for p in batch["points"]:
                    ident = (p["key"], p["step"], p["timestamp"])
                    if ident in seen:
                        continue
                    seen.add(ident)
                    yield p
                    sent += 1
                    if max_points is not None and sent >= max_points:
                        return
                resume = batch["resumeFromStep"]
                seen = {i for i in seen if i[1] >= resume}
        except (OSError, http.client.HTTPException):
            pass
        finally:
            conn.close()
        failed_since = failed_since or time.monotonic()
        if time.monotonic() - failed_since > reconnect_seconds:
            raise RunledgerError(f"lost the live stream of run {run} and could not reconnect within {reconnect_seconds:.0f}s", code="UNAVAILABLE")
        time.sleep(0.5)
