"""One keep-alive HTTP connection per thread to a runledger server, GraphQL over it, and the
retry policy every caller shares: connection errors, 5xx and 503 (with Retry-After) are
retried with exponential backoff; GraphQL errors become RunledgerError with their code."""
from __future__ import annotations

import http.client
import json
import random
import select
import socket
import threading
import time
import urllib.parse
from typing import Any, Callable

RETRY_STATUSES = {500, 502, 503, 504}


class RunledgerError(Exception):
    """An error the server answered (code from extensions.code) or a transport failure."""

    def __init__(self, message: str, code: str | None = None, field: str | None = None, status: int | None = None,
                 details: dict | None = None):
        super().__init__(message)
        self.code = code
        self.field = field
        self.status = status
        self.details = details or {}  # the error's extensions (e.g. the conflicting param's `key`)


class Unreachable(RunledgerError):
    """The server could not be reached (or kept answering 5xx) within the retry budget."""

    def __init__(self, url: str, cause: str):
        super().__init__(f"cannot reach runledger at {url}: {cause} (is the server running? set RUNLEDGER_URL or --url)",
                         code="UNAVAILABLE")


class _Transient(Exception):
    def __init__(self, cause: str, retry_after: float | None = None):
        super().__init__(cause)
        self.retry_after = retry_after


def backoff_delays(budget: float, first: float = 0.2, cap: float = 5.0) -> Callable[[float | None], float | None]:
    """A retry schedule: the next delay (exponential with jitter, or the server's Retry-After),
    or None once the time budget is spent."""
    deadline = time.monotonic() + budget
    state = {"delay": first}

    def next_delay(retry_after: float | None) -> float | None:
        delay = retry_after if retry_after is not None else state["delay"] * (0.5 + random.random())
        state["delay"] = min(cap, state["delay"] * 2)
        if time.monotonic() + delay > deadline:
            return None
        return delay

    return next_delay


class Transport:
    def __init__(self, url: str, token: str | None = None, timeout: float = 30.0, retry_seconds: float = 30.0):
        parsed = urllib.parse.urlsplit(url.rstrip("/"))
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise RunledgerError(f"url: {url!r} is not an http(s) URL, e.g. http://127.0.0.1:4000", code="BAD_USER_INPUT")
        self.url = url.rstrip("/")
        self._scheme = parsed.scheme
        self._host = parsed.hostname
        self._port = parsed.port
        self._base = parsed.path.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.retry_seconds = retry_seconds
        # Whether to try presigned direct transfer for artifacts; off once the server says it offers none.
        self.direct_transfer = True
        # Files at least this large go through a resumable upload session (when direct transfer is not offered).
        self.session_bytes = 64 << 20
        self._local = threading.local()
        self.stale_reconnects = 0  # pooled connections found closed by the server before a request
        self.failed_attempts = 0  # attempts that failed and were retried (tests assert none)

    # ---- connections -------------------------------------------------------------------------
    def connect(self, timeout: float | None = None) -> http.client.HTTPConnection:
        cls = http.client.HTTPSConnection if self._scheme == "https" else http.client.HTTPConnection
        return cls(self._host, self._port, timeout=timeout or self.timeout)

    def _conn(self) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is not None and conn.sock is not None and not _still_open(conn.sock):
            # The server closed this pooled connection while it sat idle (its keep-alive timeout,
            # a restart, a proxy): reconnect before sending rather than fail on a dead socket.
            self.stale_reconnects += 1
            conn.close()
            conn = None
        if conn is None:
            conn = self._local.conn = self.connect()
        return conn

    def _drop(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def headers(self, extra: dict | None = None) -> dict:
        h = {"user-agent": "runledger-python/0.1"}
        if self.token:
            h["authorization"] = f"Bearer {self.token}"
        h.update(extra or {})
        return h

    # ---- requests ----------------------------------------------------------------------------
    def _once(self, method: str, path: str, body: bytes | None, headers: dict) -> tuple[int, dict, bytes]:
        conn = self._conn()
        if hasattr(body, "seek"):
            body.seek(0)  # a retry sends the whole file again, not what the failed attempt left unread
        try:
            conn.request(method, self._base + path, body=body, headers=self.headers(headers))
            resp = conn.getresponse()
            data = resp.read()
        except (OSError, http.client.HTTPException, socket.timeout) as err:
            self._drop()
            raise _Transient(f"{type(err).__name__}: {err}") from err
        if resp.getheader("connection", "").lower() == "close":
            self._drop()
        if resp.status in RETRY_STATUSES:
            ra = resp.getheader("retry-after")
            raise _Transient(f"HTTP {resp.status}", float(ra) if ra and ra.replace(".", "", 1).isdigit() else None)
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data

    def send_once(self, method: str, path: str, body: Any, headers: dict) -> tuple[int, bytes]:
        """One attempt on a fresh connection (a streamed body cannot be replayed by request())."""
        conn = self.connect()
        try:
            conn.request(method, self._base + path, body=body, headers=self.headers(headers))
            resp = conn.getresponse()
            data = resp.read()
        except (OSError, http.client.HTTPException, socket.timeout) as err:
            raise _Transient(f"{type(err).__name__}: {err}") from err
        finally:
            conn.close()
        if resp.status in RETRY_STATUSES:
            ra = resp.getheader("retry-after")
            raise _Transient(f"HTTP {resp.status}", float(ra) if ra and ra.replace(".", "", 1).isdigit() else None)
        return resp.status, data

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
                retry_seconds: float | None = None) -> tuple[int, dict, bytes]:
        """Sends one request, retrying transient failures; raises Unreachable when the budget runs out."""
        next_delay = backoff_delays(self.retry_seconds if retry_seconds is None else retry_seconds)
        while True:
            try:
                return self._once(method, path, body, headers or {})
            except _Transient as t:
                self.failed_attempts += 1
                delay = next_delay(t.retry_after)
                if delay is None:
                    raise Unreachable(self.url, str(t)) from None
                time.sleep(delay)

    def graphql(self, query: str, variables: dict | None = None, retry_seconds: float | None = None) -> dict:
        body = json.dumps({"query": query, "variables": variables or {}}, allow_nan=False).encode()
        status, _, data = self.request("POST", "/graphql", body, {"content-type": "application/json", "accept": "application/json"},
                                       retry_seconds=retry_seconds)
        try:
            payload = json.loads(data)
        except ValueError:
            raise RunledgerError(f"HTTP {status} from {self.url}/graphql: {data[:200]!r}", status=status) from None
        return data_or_raise(payload, status)


def _still_open(sock: socket.socket) -> bool:
    """True when an idle keep-alive socket can carry a request: nothing to read on it (a peer that
    closed would make it readable, with EOF). Checked without blocking before each reuse."""
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return False
    return not readable


def data_or_raise(payload: dict, status: int | None = None) -> Any:
    errors = payload.get("errors")
    if errors:
        first = errors[0]
        ext = first.get("extensions") or {}
        raise RunledgerError(first.get("message", "error"), code=ext.get("code"), field=ext.get("field"), status=status,
                             details=ext)
    return payload.get("data")
