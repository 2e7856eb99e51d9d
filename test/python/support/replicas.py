"""Two runledger replicas behind one name, as a load balancer would put them, for the Python
suites: both share one fresh PostgreSQL database, Redis and (when TEST_S3_ENDPOINT is set) one
S3 prefix, and a round-robin HTTP proxy sends each request to the next replica, so consecutive
calls of one client land on alternate processes.

Needs the services of `scripts/services up` (TEST_DATABASE_URL, TEST_REDIS_URL): replicas
cannot share an embedded database. Without them `two_replicas` skips the test.
"""
from __future__ import annotations

import contextlib
import http.client
import itertools
import os
import subprocess
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator
from urllib.parse import urlsplit

import pytest

from support.server import RunningServer, start_server

# Hop-by-hop headers a proxy must not forward (RFC 9110 7.6.1).
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
              "transfer-encoding", "upgrade", "host"}


class RoundRobin:
    """A plain HTTP reverse proxy on a free loopback port: request n goes to backend n mod N."""

    def __init__(self, backends: list[str]):
        self.backends = [urlsplit(b) for b in backends]
        self.served = [0] * len(backends)
        turn = itertools.count()
        lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # the suites print failures, not every request
                pass

            def forward(self):
                with lock:
                    n = next(turn) % len(proxy.backends)
                    proxy.served[n] += 1
                target = proxy.backends[n]
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                upstream = http.client.HTTPConnection(target.hostname, target.port, timeout=120)
                try:
                    upstream.request(self.command, self.path, body=body, headers=headers)
                    answer = upstream.getresponse()
                    payload = answer.read()
                    self.send_response(answer.status, answer.reason)
                    for k, v in answer.getheaders():
                        if k.lower() not in HOP_BY_HOP and k.lower() != "content-length":
                            self.send_header(k, v)
                    self.send_header("content-length", str(len(payload)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(payload)
                finally:
                    upstream.close()

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = forward

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def _fresh_database(base_url: str) -> str:
    """A new database beside TEST_DATABASE_URL's, so the replicas start from nothing."""
    name = f"py_replicas_{uuid.uuid4().hex[:10]}"
    admin = base_url.rsplit("/", 1)[0] + "/postgres"
    subprocess.run(["psql", admin, "-qc", f'CREATE DATABASE "{name}"'], check=True, capture_output=True)
    return name


def _drop_database(base_url: str, name: str) -> None:
    admin = base_url.rsplit("/", 1)[0] + "/postgres"
    subprocess.run(["psql", admin, "-qc", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'], capture_output=True)


def _shared_env(database_url: str) -> dict:
    env = {"DATABASE_URL": database_url, "REDIS_URL": os.environ["TEST_REDIS_URL"]}
    if os.environ.get("TEST_S3_ENDPOINT"):
        env.update({
            "RUNLEDGER_ARTIFACT_STORE": f"s3://{os.environ.get('TEST_S3_BUCKET', 'runledger-test')}/py-replicas-{uuid.uuid4().hex[:8]}",
            "RUNLEDGER_S3_ENDPOINT": os.environ["TEST_S3_ENDPOINT"],
            "AWS_REGION": os.environ.get("TEST_S3_REGION", "us-east-1"),
            "AWS_ACCESS_KEY_ID": os.environ.get("TEST_S3_ACCESS_KEY_ID", "runledger"),
            "AWS_SECRET_ACCESS_KEY": os.environ.get("TEST_S3_SECRET_ACCESS_KEY", "runledger-dev-secret"),
        })
    return env


@contextlib.contextmanager
def two_replicas() -> Iterator[tuple[RoundRobin, RunningServer, RunningServer]]:
    """Replicas A and B on shared services, and the round-robin proxy in front of them."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base or not os.environ.get("TEST_REDIS_URL"):
        pytest.skip("two replicas need PostgreSQL and Redis to share (TEST_DATABASE_URL, TEST_REDIS_URL: scripts/services up)")
    name = _fresh_database(base)
    env = _shared_env(base.rsplit("/", 1)[0] + "/" + name)
    try:
        with start_server(env=env) as a, start_server(env=env) as b:
            balancer = RoundRobin([a.url, b.url])
            try:
                yield balancer, a, b
            finally:
                balancer.close()
    finally:
        _drop_database(base, name)
