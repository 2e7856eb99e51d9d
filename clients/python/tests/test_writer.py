"""How the writer talks to the server: about one request a second under steady logging (as the
docs say: every second, or sooner at 1,000 points), no failed request after an idle pause (the
server keeps connections 65 s, and the client checks a pooled one before reusing it), and a
finish() that hands a backlog to a background upload so the script can exit."""
from __future__ import annotations

import time

import runledger
from conftest import history, run_detail, run_id_in, run_script, unique
from runledger._http import Transport
from support.server import start_server


def test_steady_logging_sends_about_one_request_a_second(server, client_env):
    run = runledger.start_run(unique("steady"), capture=False, quiet=True)
    started = time.monotonic()
    step = 0
    while time.monotonic() - started < 4.0:  # 50 steps a second, 8 metrics a step
        run.log({f"m{i}": step * 0.1 + i for i in range(8)}, step=step)
        step += 1
        time.sleep(0.02)
    elapsed = time.monotonic() - started
    run.flush()
    requests, points = run._writer.requests, run._writer.sent_points
    run.finish()
    assert points == step * 8
    # One request per elapsed second (a tick can fall on either side of the end), plus the flush.
    assert requests <= elapsed + 2, (requests, elapsed, step)
    assert requests >= 2, requests
    assert {m["count"] for m in run_detail(server, run.id)["metrics"]} == {step}


def test_a_backlog_goes_out_in_the_largest_batches(server, client_env):
    run = runledger.start_run(unique("backlog"), capture=False, quiet=True)
    for step in range(6000):
        run.log({f"m{i}": float(step) for i in range(5)}, step=step)
    run.finish()
    # 30,000 points in batches of up to 10,000 (the server's limit), not a trickle of small ones.
    assert run._writer.sent_points == 30_000 and run._writer.requests <= 8, run._writer.requests


def test_a_call_after_an_idle_pause_longer_than_nodes_default_never_fails(server, client_env):
    t = Transport(server.url)
    t.graphql("{ viewer { name } }")
    time.sleep(6)  # past Node's 5 s default keep-alive: the server now keeps the connection 65 s
    t.graphql("{ viewer { name } }")
    assert (t.failed_attempts, t.stale_reconnects) == (0, 0)


def test_a_connection_the_server_closed_while_idle_is_replaced_before_sending(tmp_path):
    env = {"RUNLEDGER_KEEP_ALIVE_TIMEOUT_MS": "1000", "RUNLEDGER_HEADERS_TIMEOUT_MS": "2000"}
    with start_server(env=env) as short:
        t = Transport(short.url)
        for _ in range(3):
            t.graphql("{ viewer { name } }")
            time.sleep(2.5)  # the server closes the idle connection after 1 s
        t.graphql("{ viewer { name } }")
        assert t.failed_attempts == 0
        assert t.stale_reconnects == 3


def test_finish_hands_a_backlog_to_a_background_upload(server, client_env):
    out = run_script(f"""
        import time, runledger
        run = runledger.start_run({unique('handoff')!r}, capture=False)
        print("RUN_ID=" + run.id, flush=True)
        for step in range(20000):
            run.log({{"a": step * 1.0, "b": -step * 1.0}}, step=step)
        t0 = time.monotonic()
        run.finish(wait=0)
        print(f"FINISH_SECONDS={{time.monotonic() - t0:.3f}}")
    """, client_env)
    assert out.returncode == 0, out.stderr
    run_id = run_id_in(out)
    assert "still uploading in the background" in out.stderr
    deadline = time.monotonic() + 180
    while run_detail(server, run_id)["status"] != "FINISHED":
        assert time.monotonic() < deadline, "the background upload did not finish the run"
        time.sleep(0.5)
    assert history(server, run_id, "a") == [(s, float(s)) for s in range(20000)]
    assert history(server, run_id, "b") == [(s, -float(s)) for s in range(20000)]


def test_reading_back_in_the_same_process_waits_for_the_background_upload(server, client_env):
    run = runledger.start_run(unique("handoff-read"), capture=False, quiet=True)
    for step in range(15000):
        run.log({"a": float(step)}, step=step)
    run.finish(wait=0)  # everything handed to the background upload
    assert run._writer.handed_off
    frame = runledger.history(run.id, "a", max_points=None)
    assert list(frame["step"]) == list(range(15000))
    assert runledger.wait_for_uploads(timeout=0)
