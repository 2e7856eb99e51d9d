"""Reading runs back: searches paged lazily, metric histories, comparisons, and the lineage
questions, as plain objects with `.to_pandas()` (pandas is imported only then)."""
from __future__ import annotations

import base64
import os
import re
from pathlib import Path
from typing import Any, Iterable, Iterator

from . import _config
from ._http import RunledgerError, Transport

RUN_FIELDS = """id name status user group seed startedAt endedAt durationSeconds project { name }
  params { key value } tags { key value } metrics { key last lastStep min max count }"""

RUNS = f"""query($p: String!, $f: String, $o: [RunOrder!], $n: Int, $a: String) {{
  runs(project: $p, filter: $f, orderBy: $o, first: $n, after: $a) {{
    edges {{ node {{ {RUN_FIELDS} }} }} pageInfo {{ hasNextPage endCursor }} }} }}"""

LOOKUP_RUN = f"""query($r: String!) {{ lookup(ref: $r) {{ __typename ... on Run {{ {RUN_FIELDS}
  codeVersion {{ repository commit branch dirty diff {{ id sizeBytes }} }} environment
  inputs {{ role datasetVersion {{ label: version dataset {{ name }} digest }} modelVersion {{ number: version model {{ name }} }} }}
  artifacts {{ name kind sizeBytes digest }} modelVersions {{ number: version model {{ name }} aliases }} notes }} }} }}"""

LINEAGE_GRAPH = "appliedDepth depthClamped source nodes { id type label depth redacted } edges { from to kind role createdAt }"
LOOKUP_LINEAGE = f"""query($r: String!, $d: LineageDirection, $n: Int, $at: DateTime) {{ lookup(ref: $r) {{ __typename
  ... on Run {{ lineage(direction: $d, depth: $n, at: $at) {{ {LINEAGE_GRAPH} }} }}
  ... on DatasetVersion {{ lineage(direction: $d, depth: $n, at: $at) {{ {LINEAGE_GRAPH} }} }}
  ... on ModelVersion {{ lineage(direction: $d, depth: $n, at: $at) {{ {LINEAGE_GRAPH} }} }}
  ... on Artifact {{ lineage(direction: $d, depth: $n, at: $at) {{ {LINEAGE_GRAPH} }} }}
  ... on CodeCommit {{ lineage(direction: $d, depth: $n, at: $at) {{ {LINEAGE_GRAPH} }} }} }} }}"""

VERSION_FIELDS = "id version model { name } aliases createdAt run { id name project { name } }"
IMPACT = f"""query($r: String!, $a: [String!], $at: DateTime) {{ impact(ref: $r, aliases: $a, at: $at) {{ {VERSION_FIELDS} }} }}"""
IMPACT_BY_ID = f"""query($r: ID!, $a: [String!], $at: DateTime) {{ impact(id: $r, aliases: $a, at: $at) {{ {VERSION_FIELDS} }} }}"""
MODELS = f"""query($u: DatasetVersionFilter!, $a: String, $at: DateTime) {{ models(usedDataset: $u, alias: $a, at: $at) {{ {VERSION_FIELDS} }} }}"""
COMPARE = """query($ids: [ID!]!) { compareRuns(ids: $ids) { runs { id name } params { key values differs } metrics { key values differs } } }"""


def _require_pandas():
    try:
        import pandas
    except ImportError:
        raise ImportError("this needs pandas: pip install './clients/python[pandas]' (or pip install pandas)") from None
    return pandas


def transport(url: str | None = None, token: str | None = None, retry_seconds: float = 10.0) -> Transport:
    from .run import wait_for_uploads

    wait_for_uploads()  # what this process logged is on the server before it is read back
    base, tok = _config.resolve(url, token)
    return Transport(base, tok, retry_seconds=retry_seconds)


class Table(list):
    """A list of plain dicts that turns into a DataFrame on request."""

    def to_pandas(self):
        return _require_pandas().DataFrame(list(self))


def flat_run(node: dict, columns: Iterable[str] | None = None) -> dict:
    row = {"run_id": node["id"], "name": node["name"], "status": node["status"], "user": node.get("user"),
           "group": node.get("group"), "started_at": node.get("startedAt"), "ended_at": node.get("endedAt"),
           "duration_s": node.get("durationSeconds")}
    for p in node.get("params") or []:
        row[f"params.{p['key']}"] = p["value"]
    for m in node.get("metrics") or []:
        row[f"metrics.{m['key']}"] = _float(m["last"])
    for t in node.get("tags") or []:
        row[f"tags.{t['key']}"] = t["value"]
    if columns is not None:
        keep = set(columns) | {"run_id", "name"}
        row = {k: v for k, v in row.items() if k in keep}
    return row


def _float(v: Any) -> float | None:
    if v is None:
        return None
    return float(v)  # "NaN", "Infinity" and "-Infinity" parse as floats too


def parse_order(order_by: str | Iterable[str] | None) -> list | None:
    """"metrics.val_auc desc" or ["metrics.val_auc DESC", "attributes.started_at"] -> [RunOrder]."""
    if order_by is None:
        return None
    items = [order_by] if isinstance(order_by, str) else list(order_by)
    out = []
    for item in items:
        for part in item.split(","):
            words = part.split()
            if not words:
                continue
            direction = words[1].upper() if len(words) > 1 else "ASC"
            if direction not in ("ASC", "DESC") or len(words) > 2:
                raise RunledgerError(f"order_by: {part.strip()!r} should be 'FIELD' or 'FIELD asc|desc'", code="BAD_USER_INPUT", field="order_by")
            out.append({"field": words[0], "direction": direction})
    return out


class Runs:
    """Runs of a project matching a filter, fetched a page at a time as you iterate."""

    def __init__(self, t: Transport, project: str, filter: str | None, order_by: Any, columns: Iterable[str] | None,
                 page_size: int, limit: int | None):
        self._t, self.project, self.filter = t, project, filter
        self.order = parse_order(order_by)
        self.columns = list(columns) if columns is not None else None
        self.page_size, self.limit = page_size, limit

    def __iter__(self) -> Iterator[dict]:
        after, n = None, 0
        while True:
            first = self.page_size if self.limit is None else min(self.page_size, self.limit - n)
            if first <= 0:
                return
            page = self._t.graphql(RUNS, {"p": self.project, "f": self.filter, "o": self.order, "n": first, "a": after})["runs"]
            for edge in page["edges"]:
                n += 1
                yield edge["node"]
            if not page["pageInfo"]["hasNextPage"]:
                return
            after = page["pageInfo"]["endCursor"]

    def to_list(self) -> list[dict]:
        return [flat_run(node, self.columns) for node in self]

    def to_pandas(self):
        pandas = _require_pandas()
        rows = self.to_list()
        frame = pandas.DataFrame(rows)
        if rows:
            fixed = [c for c in ("run_id", "name", "status", "user", "group", "started_at", "ended_at", "duration_s") if c in frame.columns]
            rest = sorted(c for c in frame.columns if c not in fixed)
            frame = frame[fixed + rest]
        return frame


def runs(project: str, filter: str | None = None, order_by: Any = None, columns: Iterable[str] | None = None,
         page_size: int = 100, limit: int | None = None, url: str | None = None, token: str | None = None) -> Runs:
    return Runs(transport(url, token), project, filter, order_by, columns, page_size, limit)


def get_run(ref: str, t: Transport | None = None) -> dict:
    """A run by global id or `project/name`, with everything `runledger show` prints."""
    t = t or transport()
    node = t.graphql(LOOKUP_RUN, {"r": ref})["lookup"]
    if node is None or node.get("__typename") != "Run":
        raise RunledgerError(f"run {ref!r} not found: give a run id or project/run-name (see `runledger runs PROJECT`)", code="NOT_FOUND")
    return node


def is_run_id(text: str) -> bool:
    """A global run id ("Run:<n>" in base64) is used as is; anything else is a reference."""
    try:
        decoded = base64.b64decode(text, validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        return False
    return decoded.startswith("Run:") and decoded[4:].isdigit()


def resolve_run_ids(refs: Iterable[str], t: Transport) -> list[str]:
    return [ref if is_run_id(ref) else get_run(ref, t)["id"] for ref in refs]


def history(run_ids: Iterable[str] | str, keys: Iterable[str] | str, max_points: int | None = 1000,
            url: str | None = None, token: str | None = None):
    """Long-format DataFrame (run, key, step, timestamp, value). The server downsamples each series
    to max_points (keeping extremes); max_points=None pages the full series."""
    pandas = _require_pandas()
    t = transport(url, token)
    ids = resolve_run_ids([run_ids] if isinstance(run_ids, str) else run_ids, t)
    keys = [keys] if isinstance(keys, str) else list(keys)
    rows: list[tuple] = []
    for rid in ids:
        for key in keys:
            for p in series(t, rid, key, max_points):
                rows.append((rid, key, p["step"], p["timestamp"], _float(p["value"])))
    frame = pandas.DataFrame(rows, columns=["run", "key", "step", "timestamp", "value"])
    frame["timestamp"] = pandas.to_datetime(frame["timestamp"], utc=True)
    return frame


HISTORY = """query($id: ID!, $k: String!, $n: Int, $from: SafeInt, $to: SafeInt) { run(id: $id) {
  metric(key: $k) { lastStep }
  metricHistory(key: $k, maxPoints: $n, fromStep: $from, toStep: $to) { sampled totalPoints steps timestamps values } } }"""

PAGE = 100000


def series(t: Transport, run_id: str, key: str, max_points: int | None, lo: int | None = None, hi: int | None = None) -> list[dict]:
    n = max_points if max_points is not None else PAGE
    data = t.graphql(HISTORY, {"id": run_id, "k": key, "n": n, "from": lo, "to": hi})["run"]
    if data is None:
        raise RunledgerError(f"run {run_id!r} not found", code="NOT_FOUND")
    got = data["metricHistory"]
    # Read as parallel lists (a third less to send and parse than one object per point).
    points = [{"step": s, "timestamp": ts, "value": v} for s, ts, v in zip(got["steps"], got["timestamps"], got["values"])]
    if max_points is not None or not got["sampled"]:
        return points
    # Too long for one page: split the step range in halves until each half fits.
    # A sample keeps each bucket's extremes, not necessarily its first and last steps.
    lo = min(0, points[0]["step"]) if lo is None else lo
    hi = data["metric"]["lastStep"] if hi is None else hi
    mid = (lo + hi) // 2
    return series(t, run_id, key, None, lo, mid) + series(t, run_id, key, None, mid + 1, hi)


def compare(run_ids: Iterable[str], url: str | None = None, token: str | None = None) -> Table:
    """Params and latest metrics side by side: one row per key, one column per run, and `differs`."""
    t = transport(url, token)
    ids = resolve_run_ids(run_ids, t)
    c = t.graphql(COMPARE, {"ids": ids})["compareRuns"]
    names = [r["name"] for r in c["runs"]]
    if len(set(names)) < len(names):
        names = [f"{r['name']} ({r['id']})" for r in c["runs"]]
    table = Table()
    for kind in ("params", "metrics"):
        for row in c[kind]:
            values = [_float(v) if kind == "metrics" else v for v in row["values"]]
            table.append({"key": f"{kind}.{row['key']}", **dict(zip(names, values)), "differs": row["differs"]})
    return table


def _version_row(v: dict) -> dict:
    return {"model": v["model"]["name"], "version": v["version"], "aliases": ",".join(v.get("aliases") or []),
            "run_id": v["run"]["id"], "run": f"{v['run']['project']['name']}/{v['run']['name']}", "id": v["id"], "created_at": v["createdAt"]}


def dataset_filter(used_dataset: str | dict) -> dict:
    if isinstance(used_dataset, dict):
        return used_dataset
    name, _, version = used_dataset.partition("@")
    return {"name": name, **({"version": version} if version else {})}


def models(used_dataset: str | dict, alias: str | None = None, at: Any = None, url: str | None = None, token: str | None = None) -> Table:
    """Model versions trained (directly or through derived data and base models) on a dataset:
    "clicks@aug", "clicks" or a DatasetVersionFilter dict."""
    from .run import _when

    found = transport(url, token).graphql(MODELS, {"u": dataset_filter(used_dataset), "a": alias, "at": _when(at)})["models"]
    return Table(_version_row(v) for v in found)


def impact(ref: str, aliases: Iterable[str] | None = None, at: Any = None, url: str | None = None, token: str | None = None) -> Table:
    """Model versions downstream of a dataset version, commit, run or model version."""
    from .run import _when

    t = transport(url, token)
    variables = {"r": ref, "a": list(aliases) if aliases else None, "at": _when(at)}
    query = IMPACT if re.search(r"[@/:]", ref) else IMPACT_BY_ID
    return Table(_version_row(v) for v in t.graphql(query, variables)["impact"])


def download(ref: str, dst: str | os.PathLike, url: str | None = None, token: str | None = None) -> Path:
    """A registered model version ("recommender@production", "recommender/3") into dst: every
    file of it, streamed, resumable (run it again after an interruption) and digest-checked."""
    from .artifacts import download_model

    return download_model(transport(url, token), ref, dst)


class Lineage(dict):
    def to_pandas(self):
        return _require_pandas().DataFrame(self["nodes"])


def lineage(ref: str, direction: str = "BOTH", depth: int = 10, at: Any = None, url: str | None = None, token: str | None = None) -> Lineage:
    """The lineage graph around a run, dataset version or model version: {"nodes": [...], "edges": [...]}."""
    from .run import _when

    direction = {"up": "UPSTREAM", "down": "DOWNSTREAM"}.get(direction.lower(), direction.upper())
    node = transport(url, token).graphql(LOOKUP_LINEAGE, {"r": ref, "d": direction, "n": depth, "at": _when(at)})["lookup"]
    if node is None:
        raise RunledgerError(f"{ref!r} not found: expected dataset@version, model@alias, model/version or project/run-name", code="NOT_FOUND")
    return Lineage(node["lineage"])
