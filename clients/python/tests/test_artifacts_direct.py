"""Artifacts through the client against a server that keeps them in S3 and offers direct
transfer: log_artifact sends the bytes straight to the object store (presigned PUT), and
download_artifact reads them back from it; against the default server both go through the
server's own routes. The S3 part needs TEST_S3_ENDPOINT (scripts/services up s3), as CI sets."""
from __future__ import annotations

import hashlib
import os
import uuid

import pytest

from conftest import run_script, unique
from support.server import start_server

S3 = os.environ.get("TEST_S3_ENDPOINT")


def s3_env() -> dict:
    return {
        "RUNLEDGER_ARTIFACT_STORE": f"s3://{os.environ.get('TEST_S3_BUCKET', 'runledger-test')}/py-{uuid.uuid4().hex[:8]}",
        "RUNLEDGER_S3_ENDPOINT": S3,
        "AWS_REGION": os.environ.get("TEST_S3_REGION", "us-east-1"),
        "AWS_ACCESS_KEY_ID": os.environ.get("TEST_S3_ACCESS_KEY_ID", "runledger"),
        "AWS_SECRET_ACCESS_KEY": os.environ.get("TEST_S3_SECRET_ACCESS_KEY", "runledger-dev-secret"),
        "RUNLEDGER_ARTIFACT_DIRECT": "on",
    }


SCRIPT = """
    import hashlib, runledger, sys
    with runledger.start_run(project={project!r}, capture=False) as run:
        art = run.log_artifact({path!r}, kind="MODEL")
    out = runledger.download_artifact(art["id"], {dest!r})
    print("DIGEST=" + art["digest"] + " BACK=" + hashlib.sha256(open(out, "rb").read()).hexdigest())
"""


def upload_and_back(server, tmp_path) -> tuple[str, str, str]:
    weights = tmp_path / "weights.bin"
    weights.write_bytes(os.urandom(3 * 1024 * 1024 + 17))
    (tmp_path / "back").mkdir()
    env = {"RUNLEDGER_URL": server.url, "RUNLEDGER_SPOOL_DIR": str(tmp_path / "spool"), "RUNLEDGER_CONFIG": str(tmp_path / "c.json")}
    out = run_script(SCRIPT.format(project=unique("direct"), path=str(weights), dest=str(tmp_path / "back")), env)
    assert out.returncode == 0, out.stderr
    line = [l for l in out.stdout.splitlines() if l.startswith("DIGEST=")][0]
    digest, back = line.split()[0].split("=")[1], line.split()[1].split("=")[1]
    return hashlib.sha256(weights.read_bytes()).hexdigest(), digest, back


@pytest.mark.skipif(not S3, reason="TEST_S3_ENDPOINT is not set: scripts/services up s3 starts S3Proxy and exports it")
def test_direct_transfer_moves_bytes_between_the_client_and_the_store(tmp_path):
    with start_server(env=s3_env()) as server:
        expected, digest, back = upload_and_back(server, tmp_path)
        assert digest == expected and back == expected
        # The bytes went to the store, not through the server: its artifact routes were never called.
        requests = [l for l in server.log_lines if '"request"' in l and "/artifacts/" in l]
        assert requests == [], requests


def test_without_direct_transfer_the_server_carries_the_bytes(server, tmp_path):
    expected, digest, back = upload_and_back(server, tmp_path)
    assert digest == expected and back == expected
    assert any('"PUT"' in l and "/artifacts/runs/" in l for l in server.log_lines)
