"""Large files go through a resumable upload session: against a real server, through a TCP proxy
that cuts the connection in the middle of a chunk's body on its first attempt, the client asks the
session for its offset and goes on, resending at most that one chunk; the artifact registered is
the file, byte for byte."""
from __future__ import annotations

import hashlib
import os
import socket
import threading
import time

import pytest

from conftest import unique
from runledger._http import Transport
from runledger.artifacts import download_file, upload_artifact
from support.server import start_server

CHUNK = 1 << 20


class CuttingProxy:
    """Forwards connections to the server. The first attempt of the PUT chunk at `cut_offset` is
    cut once half its body has passed; counts the bytes of every chunk PUT sent through it."""

    def __init__(self, target_port: int, cut_offset: int):
        self.target_port, self.cut_offset = target_port, cut_offset
        self.cuts = 0
        self.chunk_bytes = 0
        self.chunk_puts: list[int] = []
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket, count=None) -> None:
        try:
            while data := src.recv(65536):
                if count:
                    count(len(data))
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def _serve(self, client: socket.socket) -> None:
        upstream = socket.create_connection(("127.0.0.1", self.target_port))
        head = b""
        while b"\r\n\r\n" not in head:
            data = client.recv(65536)
            if not data:
                client.close()
                upstream.close()
                return
            head += data
        header, _, rest = head.partition(b"\r\n\r\n")
        lines = header.decode("latin-1").split("\r\n")
        fields = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        is_chunk = lines[0].startswith("PUT ") and "/artifacts/uploads/" in lines[0]

        def count(n: int) -> None:
            with self._lock:
                self.chunk_bytes += n

        if is_chunk:
            offset = int(fields["upload-offset"])
            with self._lock:
                self.chunk_puts.append(offset)
                cut = offset == self.cut_offset and self.cuts == 0
                if cut:
                    self.cuts += 1
            if cut:
                half = int(fields["content-length"]) // 2
                body = rest
                while len(body) < half:
                    data = client.recv(65536)
                    if not data:
                        break
                    body += data
                upstream.sendall(header + b"\r\n\r\n" + body[:half])
                count(half)
                upstream.close()
                client.close()
                return
            count(len(rest))
        upstream.sendall(header + b"\r\n\r\n" + rest)
        threading.Thread(target=self._pipe, args=(upstream, client), daemon=True).start()
        self._pipe(client, upstream, count if is_chunk else None)


def new_run(transport: Transport) -> str:
    project = unique("resumable")
    transport.graphql("mutation($p: String!) { createProject(input: { name: $p }) { project { name } } }", {"p": project})
    return transport.graphql("mutation($p: String!) { startRun(input: { project: $p }) { run { id } } }", {"p": project})["startRun"]["run"]["id"]


@pytest.fixture(scope="module")
def chunked_server():
    with start_server(env={"RUNLEDGER_UPLOAD_CHUNK_MAX_BYTES": str(CHUNK)}) as s:
        yield s


def test_a_connection_cut_mid_chunk_resends_only_that_chunk(chunked_server, tmp_path):
    data = os.urandom(4 * CHUNK + 4321)
    weights = tmp_path / "weights.bin"
    weights.write_bytes(data)
    proxy = CuttingProxy(int(chunked_server.url.rsplit(":", 1)[1]), cut_offset=2 * CHUNK)
    try:
        transport = Transport(f"http://127.0.0.1:{proxy.port}", retry_seconds=30)
        transport.session_bytes = CHUNK  # the file is large enough for a session
        artifact = upload_artifact(transport, new_run(transport), weights, "weights.bin", "MODEL")
    finally:
        proxy.close()

    assert artifact["digest"] == hashlib.sha256(data).hexdigest()
    assert int(artifact["sizeBytes"]) == len(data)
    assert proxy.cuts == 1
    # Each chunk went once, and the one cut off went again from the same offset.
    assert proxy.chunk_puts == [0, CHUNK, 2 * CHUNK, 2 * CHUNK, 3 * CHUNK, 4 * CHUNK]
    assert transport.failed_attempts >= 1
    # At most one chunk was sent twice (half of it, then all of it), headers aside.
    assert len(data) <= proxy.chunk_bytes <= len(data) + CHUNK
    # The session went through the server, chunk by chunk, and the bytes come back whole.
    direct = Transport(chunked_server.url)
    back = download_file(direct, artifact, tmp_path / "back.bin")
    assert back.read_bytes() == data


def test_small_files_still_go_in_one_request(chunked_server, tmp_path):
    small = tmp_path / "small.txt"
    small.write_bytes(b"a small file\n")
    transport = Transport(chunked_server.url)
    run_id = new_run(transport)
    before = len(chunked_server.log_lines)
    artifact = upload_artifact(transport, run_id, small, "small.txt", "OTHER")
    assert artifact["digest"] == hashlib.sha256(b"a small file\n").hexdigest()
    # The server logs a request once its response closed: wait for the upload's line.
    deadline = time.monotonic() + 10
    while True:
        requests = [line for line in chunked_server.log_lines[before:] if '"request"' in line and "/artifacts/" in line]
        if any('"PUT"' in line and "/artifacts/runs/" in line for line in requests) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert any('"PUT"' in line and "/artifacts/runs/" in line for line in requests), requests
    assert not any("/uploads" in line for line in requests), requests
