"""The background writer of one run. The training thread only appends validated values to a
deque; this thread sends them as `series` columns, by time and by size: a tick every
`flush_seconds` (one request a second at a steady rate), sooner once `flush_points` are waiting,
and a backlog (a fast loop, or finish()) in batches of the server's largest size, two at a time.
Each batch carries a batch id, so a retry never duplicates. A batch the server refuses is split
until every valid point is stored and each refused one is kept, with the reason, in a file.
When the server stays away, batches go to the spool (see _spool.py) for later."""
from __future__ import annotations

import collections
import concurrent.futures
import re
import sys
import threading
import time
import uuid
from typing import Any, Callable

from . import _spool
from ._http import RunledgerError, Transport, Unreachable
from ._rules import LIMITS, wire_value

FLUSH_SECONDS = 1.0
FLUSH_POINTS = 1000
MAX_BATCH_POINTS = LIMITS["pointsPerBatch"]
PARALLEL = 2

LOG_BATCH = """mutation($i: LogBatchInput!) { logBatch(input: $i) { pointsWritten replayed } }"""

# A refusal that concerns part of a batch: splitting it isolates the part. Any other refusal
# (the run is gone or no longer writable) concerns every point alike.
SPLITTABLE = {"BAD_USER_INPUT", "CONFLICT", "LIMIT_EXCEEDED"}
_INDEXED = re.compile(r"^(?:input|i)\.(series|params|tags)\[(\d+)\](\.key)?")


def iso(ts: float) -> str:
    ms = int(round(ts * 1000))
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + ".%03dZ" % (ms % 1000)


class Refused:
    """What the server refused for good: kept in a file (one JSON line per point, param or tag,
    with code, field and reason) and counted for the summary finish() prints."""

    def __init__(self, run_key: str):
        self.run_key = run_key
        self.count = 0
        self.reasons: collections.Counter = collections.Counter()
        self._lock = threading.Lock()

    @property
    def path(self):
        return _spool.refused_path(self.run_key)

    def add(self, batch: dict, err: RunledgerError) -> None:
        why = {"code": err.code, "field": err.field, "reason": str(err)}
        records: list[dict] = []
        for s in batch.get("series", []):
            records += [{"key": s["key"], "step": st, "value": v, "timestamp": ts, **why}
                        for st, v, ts in zip(s["steps"], s["values"], s["timestamps"])]
        records += [{"param": p["key"], "value": p["value"], **why} for p in batch.get("params", [])]
        records += [{"tag": t["key"], "value": t["value"], **why} for t in batch.get("tags", [])]
        if not records:
            return
        _spool.append_refused(self.run_key, records)
        with self._lock:
            self.count += len(records)
            self.reasons[str(err)] += len(records)

    def add_op(self, item: dict, reason: str, err: RunledgerError | None = None) -> None:
        """A spooled operation other than points that the server refused."""
        _spool.append_refused(self.run_key, [{"op": item.get("op"), "input": item.get("input"), "code": err.code if err else None,
                                              "field": err.field if err else None, "reason": reason}])
        with self._lock:
            self.count += 1
            self.reasons[reason] += 1

    def summary(self) -> str | None:
        if not self.count:
            return None
        top = "; ".join(f"{n} x {reason}" for reason, n in self.reasons.most_common(3))
        return f"runledger: the server refused {self.count} logged values ({top}); they are kept in {self.path}"


def split(batch: dict, err: RunledgerError) -> tuple[list[dict], dict | None] | None:
    """(parts to send again, part refused outright) for a refused batch, or None when it cannot
    be split (one point, param or tag). A field naming one entry's key refuses that entry whole;
    otherwise the batch is halved, and the halves are sent on their own."""
    bid = batch.get("batchId") or uuid.uuid4().hex
    kinds = [k for k in ("series", "params", "tags") if batch.get(k)]
    m = _INDEXED.match(err.field or "")
    if m and m.group(1) in kinds and (m.group(1) != "series" or m.group(3)):
        kind, i = m.group(1), int(m.group(2))
        entries = batch[kind]
        if i < len(entries):
            rest = {**batch, kind: entries[:i] + entries[i + 1:], "batchId": f"{bid}.r"}
            if not any(rest.get(k) for k in kinds):
                rest = None
            return ([rest] if rest else []), {kind: [entries[i]]}
    key = (err.details or {}).get("key")
    if err.code == "CONFLICT" and key and batch.get("params"):  # an immutable param logged with a new value
        bad = [p for p in batch["params"] if p["key"] == key]
        if bad:
            rest = {**batch, "params": [p for p in batch["params"] if p["key"] != key], "batchId": f"{bid}.r"}
            return ([rest] if any(rest.get(k) for k in kinds) else []), {"params": bad}
    if len(kinds) > 1:
        return [{"batchId": f"{bid}.{i}", k: batch[k]} for i, k in enumerate(kinds)], None
    if not kinds:
        return None
    kind = kinds[0]
    entries = batch[kind]
    if len(entries) > 1:
        half = len(entries) // 2
        return [{"batchId": f"{bid}.a", kind: entries[:half]}, {"batchId": f"{bid}.b", kind: entries[half:]}], None
    if kind == "series" and len(entries[0]["steps"]) > 1:
        s = entries[0]
        half = len(s["steps"]) // 2
        cut = lambda lo, hi: {"key": s["key"], "steps": s["steps"][lo:hi], "values": s["values"][lo:hi],  # noqa: E731
                              "timestamps": s["timestamps"][lo:hi]}
        return [{"batchId": f"{bid}.a", "series": [cut(0, half)]}, {"batchId": f"{bid}.b", "series": [cut(half, None)]}], None
    return None


def deliver(transport: Transport, run_id: str, batch: dict, refused: Refused, *, retry_seconds: float | None,
            on_unreachable: Callable[[dict], None], counter: Callable[[dict], None] | None = None) -> None:
    """Sends one batch; splits a refused one until only refused points are left (kept in the
    refused file); hands a batch to on_unreachable when the server stays away."""
    try:
        transport.graphql(LOG_BATCH, {"i": {**batch, "runId": run_id}}, retry_seconds=retry_seconds)
        if counter:
            counter(batch)
    except Unreachable:
        on_unreachable(batch)
    except RunledgerError as err:
        parts = split(batch, err) if err.code in SPLITTABLE else None
        if parts is None:
            refused.add(batch, err)
            return
        again, bad = parts
        if bad:
            refused.add(bad, err)
        for part in again:
            deliver(transport, run_id, part, refused, retry_seconds=retry_seconds, on_unreachable=on_unreachable, counter=counter)


def points_of(batch: dict) -> int:
    return sum(len(s["steps"]) for s in batch.get("series", []))


class Writer:
    def __init__(self, transport: Transport | None, run_id: str, *, retry_seconds: float = 30.0,
                 flush_seconds: float = FLUSH_SECONDS, flush_points: int = FLUSH_POINTS, parallel: int = PARALLEL,
                 offline: bool = False, url: str | None = None):
        self.transport = transport
        self.run_id = run_id
        self.url = url or (transport.url if transport else "")
        self.retry_seconds = retry_seconds
        self.flush_seconds = flush_seconds
        self.flush_points = flush_points
        self.offline = offline
        self.queue: collections.deque = collections.deque()
        self.pending = 0  # approximate: only decides when to wake the thread early
        self.wake = threading.Event()
        self._stop = False
        self._flushes = 0
        self._handoff_at: float | None = None  # after this instant, batches go to the spool unsent
        self.handed_off = 0  # batches spooled by a handoff (finish() with a time limit)
        self._handoff_batches: list[dict] = []
        self.spooled_batches = 0
        self.unreachable_batches = 0  # spooled because the server stayed away
        self.requests = 0  # logBatch requests that succeeded
        self.sent_points = 0
        self.refused = Refused(run_id)
        self.errors: list[str] = []
        self._count_lock = threading.Lock()
        self._spool_lock = threading.Lock()
        self._pool = concurrent.futures.ThreadPoolExecutor(parallel, thread_name_prefix=f"runledger-send-{run_id}") if parallel > 1 else None
        self._thread = threading.Thread(target=self._loop, name=f"runledger-writer-{run_id}", daemon=True)
        self._thread.start()

    # ---- the training thread's side ---------------------------------------------------------
    def put(self, step: int, ts: float, values: dict) -> None:
        """Values are validated floats; step an int."""
        self.queue.append((step, ts, values))
        self.pending += len(values)
        if self.pending >= self.flush_points:
            self.wake.set()

    def put_params_tags(self, params: dict | None = None, tags: dict | None = None) -> None:
        self.queue.append((None, params or {}, tags or {}))

    def flush(self, timeout: float | None = None) -> bool:
        """Waits until everything queued before this call was sent, spooled or refused."""
        done = threading.Event()
        self.queue.append((None, "flush", done))
        self._flushes += 1
        self.wake.set()
        return done.wait(timeout)

    # ---- the writer thread ------------------------------------------------------------------
    def _loop(self) -> None:
        next_at = time.monotonic() + self.flush_seconds
        while True:
            wait = next_at - time.monotonic()
            if wait > 0 and not self._stop:
                self.wake.wait(wait)
            self.wake.clear()
            stopping = self._stop
            now = time.monotonic()
            if stopping or now >= next_at or self.pending >= self.flush_points or self._flushes:
                try:
                    self._drain()
                except Exception as err:  # never let the writer die silently
                    self.errors.append(repr(err))
                    print(f"runledger: writer error: {err!r}", file=sys.stderr)
                # The next tick is a full interval after this send began: what arrives meanwhile
                # waits for it (or for flush_points), instead of going out in a trickle.
                next_at = now + self.flush_seconds
            if stopping:
                if self._pool:
                    self._pool.shutdown(wait=True)
                return

    def _drain(self) -> None:
        items = []
        for _ in range(len(self.queue)):
            items.append(self.queue.popleft())
        self.pending = 0
        self._flushes = 0
        if self._handoff_at is not None and time.monotonic() >= self._handoff_at and not self.offline:
            # Past the handoff: what is left goes to the spool as it is, in one binary write
            # (no columns built, no JSON), for the background upload to send.
            markers = [i[2] for i in items if i[0] is None and i[1] == "flush"]
            raw = [i for i in items if not (i[0] is None and i[1] == "flush")]
            if raw:
                with self._spool_lock:
                    _spool.append_blob(self.run_id, self.url, "logItems", raw)
                    self.handed_off += 1
            for done in markers:
                done.set()
            return
        meta, points, markers = self._batches(items)
        if meta or points:
            self._send_all(meta, points)
        for done in markers:
            done.set()

    def _batches(self, items: list) -> tuple[list[dict], list[dict], list]:
        return build_batches(items)


    def _send_all(self, meta: list[dict], points: list[dict]) -> None:
        # Once something is spooled, later batches queue behind it so the server gets them in order.
        if not self.offline and _spool.has_entries(self.run_id) and not self.resend_spooled():
            for b in [*meta, *points]:
                self._spool(b)
            return
        for b in meta:
            self._deliver(b)
        if self._pool and len(points) > 1:
            list(self._pool.map(self._deliver, points))
        else:
            for b in points:
                self._deliver(b)
        if self._handoff_batches:
            with self._spool_lock:
                _spool.append_blob(self.run_id, self.url, "logBatches", self._handoff_batches)
                self.spooled_batches += len(self._handoff_batches)
            self._handoff_batches = []

    def _deliver(self, batch: dict) -> None:
        if self.offline:
            self._spool(batch)
            return
        if self._handoff_at is not None and time.monotonic() >= self._handoff_at:
            with self._count_lock:  # written together after this drain: one fsync, not one per batch
                self.handed_off += 1
                self._handoff_batches.append(batch)
            return
        deliver(self.transport, self.run_id, batch, self.refused, retry_seconds=self.retry_seconds,
                on_unreachable=self._spool, counter=self._count)

    def _count(self, batch: dict) -> None:
        with self._count_lock:
            self.requests += 1
            self.sent_points += points_of(batch)

    def _spool(self, batch: dict, quiet: bool = False) -> None:
        with self._spool_lock:
            path = _spool.append(self.run_id, self.url, {"op": "logBatch", "input": batch})
            if not quiet and not self.offline:
                if self.unreachable_batches == 0:
                    print(f"runledger: server unreachable; spooling to {path} (sent when it answers again, or by `runledger sync`)", file=sys.stderr)
                self.unreachable_batches += 1
            self.spooled_batches += 1

    def resend_spooled(self) -> bool:
        """Sends this run's spooled operations in order; False (all kept) if the server is still away."""
        from ._sync import send_items

        with _spool.uploading(self.run_id) as mine:
            if not mine:
                return False  # another process is uploading them
            return send_items(self.transport, _spool.take(self.run_id), self.refused, retry_seconds=min(self.retry_seconds, 2.0))

    def close(self, timeout: float | None = None, handoff_after: float | None = None) -> None:
        """Sends everything logged so far (or spools it) and stops the thread. With handoff_after
        (seconds), what is still unsent by then is spooled instead, for a background upload."""
        if handoff_after is not None:
            self._handoff_at = time.monotonic() + handoff_after
        self._stop = True
        self.wake.set()
        self._thread.join(timeout)
        for item in list(self.queue):  # a flush() racing with close() must not wait forever
            if item[0] is None and item[1] == "flush":
                item[2].set()


def build_batches(items: list, batch_ids: Any = None) -> tuple[list[dict], list[dict], list]:
    """Params and tags apart from points (a refused param must not hold up points), points
    as columns per key, cut at the server's batch limit. Items are (step, time, values),
    (None, params, tags) or (None, "flush", event); batch_ids yields the batches' ids."""
    new_id = (lambda: next(batch_ids)) if batch_ids is not None else (lambda: uuid.uuid4().hex)  # noqa: E731
    meta: list[dict] = []
    batches: list[dict] = []
    markers: list = []
    cols: dict[str, tuple[list, list, list]] = {}
    n = 0
    last_ts, stamp = None, ""
    for step, ts, values in items:
        if step is None:
            if ts == "flush":
                markers.append(values)
            elif ts or values:
                m: dict[str, Any] = {"batchId": new_id()}
                if ts:
                    m["params"] = [{"key": k, "value": v} for k, v in ts.items()]
                if values:
                    m["tags"] = [{"key": k, "value": v} for k, v in values.items()]
                meta.append(m)
            continue
        if ts != last_ts:
            last_ts, stamp = ts, iso(ts)
        for key, value in values.items():
            c = cols.get(key)
            if c is None:
                c = cols[key] = ([], [], [])
            c[0].append(step)
            c[1].append(wire_value(value))
            c[2].append(stamp)
            n += 1
            if n >= MAX_BATCH_POINTS:
                batches.append(_series_batch(cols, new_id()))
                cols, n = {}, 0
    if cols:
        batches.append(_series_batch(cols, new_id()))
    return meta, batches, markers


def _series_batch(cols: dict, batch_id: str) -> dict:
    return {"batchId": batch_id, "series": [{"key": k, "steps": s, "values": v, "timestamps": t} for k, (s, v, t) in cols.items()]}
