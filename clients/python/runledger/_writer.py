"""The background writer of one run. The training thread only appends to a deque; this thread
turns what piled up into `series` columns, sends them in order with a batch id (so a retry
never duplicates), retries with backoff, and spools to a local file when the server stays away.
"""
from __future__ import annotations

import collections
import math
import sys
import threading
import time
import uuid
from typing import Any

from . import _spool
from ._http import RunledgerError, Transport, Unreachable

FLUSH_SECONDS = 1.0
FLUSH_POINTS = 1000
MAX_BATCH_POINTS = 10000  # the server's limit per logBatch

LOG_BATCH = """mutation($i: LogBatchInput!) { logBatch(input: $i) { pointsWritten replayed } }"""


def iso(ts: float) -> str:
    ms = int(round(ts * 1000))
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + ".%03dZ" % (ms % 1000)


def metric_value(value: Any) -> Any:
    """A float for JSON: NaN and the infinities as the strings the server takes."""
    if not isinstance(value, (int, float)):
        if hasattr(value, "item"):  # numpy scalars, 0-d arrays, torch tensors
            value = value.item()
        value = float(value)
    if isinstance(value, bool):
        value = float(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


class Writer:
    def __init__(self, transport: Transport, run_id: str, *, retry_seconds: float = 30.0,
                 flush_seconds: float = FLUSH_SECONDS, flush_points: int = FLUSH_POINTS):
        self.transport = transport
        self.run_id = run_id
        self.retry_seconds = retry_seconds
        self.flush_seconds = flush_seconds
        self.flush_points = flush_points
        self.queue: collections.deque = collections.deque()
        self.pending = 0  # approximate: only decides when to wake the thread early
        self.wake = threading.Event()
        self._stop = False
        self.spooled_batches = 0
        self.sent_points = 0
        self.errors: list[str] = []
        self._thread = threading.Thread(target=self._loop, name=f"runledger-writer-{run_id}", daemon=True)
        self._thread.start()

    # ---- the training thread's side ---------------------------------------------------------
    def put(self, step: int, ts: float, values: dict) -> None:
        self.queue.append((step, ts, values))
        self.pending += len(values)
        if self.pending >= self.flush_points:
            self.wake.set()

    def put_params_tags(self, params: dict | None = None, tags: dict | None = None) -> None:
        self.queue.append((None, params or {}, tags or {}))
        self.wake.set()

    # ---- the writer thread ------------------------------------------------------------------
    def _loop(self) -> None:
        while True:
            self.wake.wait(self.flush_seconds)
            self.wake.clear()
            stopping = self._stop
            try:
                self._drain()
            except Exception as err:  # never let the writer die silently
                self.errors.append(repr(err))
                print(f"runledger: writer error: {err!r}", file=sys.stderr)
            if stopping:
                return

    def flush(self, timeout: float | None = None) -> bool:
        """Waits until everything queued before this call was sent or spooled."""
        done = threading.Event()
        self.queue.append((None, "flush", done))
        self.wake.set()
        return done.wait(timeout)

    def _drain(self) -> None:
        while self.queue:
            batch, markers = self._take()
            if batch:
                self._send({**batch, "runId": self.run_id, "batchId": uuid.uuid4().hex})
            for done in markers:
                done.set()

    def _take(self) -> tuple[dict, list]:
        """Pops up to MAX_BATCH_POINTS points off the queue as columns per key."""
        cols: dict[str, tuple[list, list, list]] = {}
        params: list = []
        tags: list = []
        n = 0
        markers: list = []
        self.pending = 0
        while self.queue and n < MAX_BATCH_POINTS and not markers:
            step, ts, values = self.queue.popleft()
            if step is None and ts == "flush":
                markers.append(values)
                continue
            # Params and tags travel apart from points: a refused param (a CONFLICT) must not lose points.
            if (step is None and n > 0) or (step is not None and (params or tags)):
                self.queue.appendleft((step, ts, values))
                break
            if step is None:
                params += [{"key": str(k), "value": str(v)} for k, v in ts.items()]
                tags += [{"key": str(k), "value": str(v)} for k, v in values.items()]
                continue
            stamp = iso(ts)
            for key, value in values.items():
                try:
                    v = metric_value(value)
                except (TypeError, ValueError):
                    self.errors.append(f"{key}: {value!r} is not a number; not logged")
                    continue
                c = cols.get(key)
                if c is None:
                    c = cols[key] = ([], [], [])
                c[0].append(step)
                c[1].append(v)
                c[2].append(stamp)
                n += 1
        batch: dict = {}
        if cols:
            batch["series"] = [{"key": k, "steps": s, "values": v, "timestamps": t} for k, (s, v, t) in cols.items()]
        if params:
            batch["params"] = params
        if tags:
            batch["tags"] = tags
        return batch, markers

    def _send(self, batch: dict) -> None:
        # Once something is spooled, later batches queue behind it so the server gets them in order.
        if _spool.has_entries(self.run_id) and not self.resend_spooled():
            self._spool(batch)
            return
        try:
            self.transport.graphql(LOG_BATCH, {"i": batch}, retry_seconds=self.retry_seconds)
            self.sent_points += sum(len(s["steps"]) for s in batch.get("series", []))
        except Unreachable:
            self._spool(batch)
        except RunledgerError as err:
            # The server refused the batch (bad key, param conflict): retrying cannot help.
            self.errors.append(str(err))
            print(f"runledger: batch refused: {err}", file=sys.stderr)

    def _spool(self, batch: dict) -> None:
        path = _spool.append(self.run_id, self.transport.url, {"op": "logBatch", "input": batch})
        if self.spooled_batches == 0:
            print(f"runledger: server unreachable; spooling to {path} (upload later with `runledger sync`)", file=sys.stderr)
        self.spooled_batches += 1

    def resend_spooled(self) -> bool:
        """Sends this run's spooled operations in order; False (all kept) if the server is still away."""
        items = _spool.take(self.run_id)
        for i, item in enumerate(items):
            try:
                send_spooled(self.transport, item, retry_seconds=min(self.retry_seconds, 2.0))
            except Unreachable:
                _spool.put_back(items[i:])
                return False
        return True

    def close(self, timeout: float | None = None) -> None:
        """Sends everything logged so far (or spools it) and stops the thread."""
        self._stop = True
        self.wake.set()
        self._thread.join(timeout)
        for item in list(self.queue):  # a flush() racing with close() must not wait forever
            if item[0] is None and item[1] == "flush":
                item[2].set()


def send_spooled(transport: Transport, item: dict, retry_seconds: float | None = None) -> None:
    from .run import FINISH_RUN  # circular at import time only

    try:
        if item["op"] == "logBatch":
            transport.graphql(LOG_BATCH, {"i": item["input"]}, retry_seconds=retry_seconds)
        elif item["op"] == "finishRun":
            transport.graphql(FINISH_RUN, {"i": item["input"]}, retry_seconds=retry_seconds)
    except Unreachable:
        raise
    except RunledgerError as err:
        # Refused for good (e.g. the run was deleted): keeping it would block the spool forever.
        print(f"runledger: spooled {item['op']} for {item['runId']} refused: {err}", file=sys.stderr)
