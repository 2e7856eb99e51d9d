"""No silent loss: log() refuses, in the caller's thread, exactly what the server would refuse
(both read one spec, and the cases here are checked against both); a batch the server still
refuses is split so every valid point is stored, and the refused ones are kept in a file and
reported at finish()."""
from __future__ import annotations

import json
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

import runledger
from conftest import REPO, history, run_detail, run_id_in, run_script, unique
from runledger import _rules
from runledger._http import RunledgerError, Transport

CASES = json.loads((REPO / "test" / "fixtures" / "key-cases.json").read_text())


def test_the_installed_package_ships_the_servers_spec():
    shipped = Path(_rules.__file__).with_name("input-rules.json").read_bytes()
    assert shipped == (REPO / "schema" / "input-rules.json").read_bytes()


def test_client_and_server_agree_on_every_case(server, client_env):
    t = Transport(server.url)
    run = runledger.start_run(unique("keys"), capture=False, quiet=True)
    keys = CASES["valid"] + CASES["invalid"] + ["x" * 250, "x" * 251, "𝒳" * 250]
    for key in keys:
        client_ok = _rules.key_problem(key) is None
        try:
            t.graphql("mutation($i: LogBatchInput!) { logBatch(input: $i) { pointsWritten } }",
                      {"i": {"runId": run.id, "series": [{"key": key, "steps": [0], "values": [1.0]}]}})
            server_ok = True
        except RunledgerError as err:
            assert err.code == "BAD_USER_INPUT" and err.field in ("input.series[0].key", "i.series[0].key"), err
            server_ok = False
        assert client_ok == server_ok, (key, client_ok, server_ok)
        assert client_ok == (key in CASES["valid"] or key in ("x" * 250, "𝒳" * 250)), key
    run.finish()


def test_client_and_server_agree_on_every_character():
    """Every code point as a key character, the server's rule (run by tsx) against the client's.
    The client may know fewer characters (Python's Unicode tables can be older than Node's):
    it then refuses what the server would take, never the other way round."""
    script = """
import { keyProblem } from './src/validation.ts';
const ok = [];
for (let cp = 0; cp <= 0x10ffff; cp += 1) {
  if (cp >= 0xd800 && cp <= 0xdfff) continue;
  if (keyProblem('a' + String.fromCodePoint(cp)) === null) ok.push(cp);
}
process.stdout.write(JSON.stringify(ok));
"""
    out = subprocess.run([str(REPO / "node_modules" / ".bin" / "tsx"), "--eval", script], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    server_ok = set(json.loads(out.stdout))
    client_ok = {cp for cp in range(0x110000) if not 0xD800 <= cp <= 0xDFFF and _rules.key_problem("a" + chr(cp)) is None}
    assert client_ok - server_ok == set()
    newer = [cp for cp in server_ok - client_ok if unicodedata.category(chr(cp)) != "Cn"]
    assert newer == [], [hex(cp) for cp in newer[:20]]
    assert len(client_ok) > 100_000  # letters, digits and marks of every script


def test_log_raises_in_the_callers_thread_and_logs_nothing_of_that_call(server, client_env):
    run = runledger.start_run(unique("raise"), capture=False, quiet=True)
    run.log({"ok": 1.0}, step=0)
    bad = [({"bad key!": 1.0}, "log: key 'bad key!'", "contains \"!\""),
           ({"x" * 10_000: 1.0}, "log: key", "at most 250 characters (got 10000)"),
           ({"/abs": 1.0}, "log: key", "must not start with '/'"),
           ({"a/../b": 1.0}, "log: key", "'..' path segment".replace("'", '"')),
           ({"ok": "abc"}, "log: 'ok'", "must be a number"),
           ({"ok": None}, "log: 'ok'", "got None"),
           ({"ok": [1, 2]}, "log: 'ok'", "got list")]
    for values, field, rule in bad:
        with pytest.raises(runledger.InvalidInput) as info:
            run.log({"ok2": 2.0, **values}, step=1)
        assert info.value.code == "BAD_USER_INPUT" and info.value.field.startswith(field) and rule in str(info.value), str(info.value)
    with pytest.raises(runledger.InvalidInput, match="step: must be an integer"):
        run.log({"ok": 1.0}, step=1.5)
    with pytest.raises(runledger.InvalidInput, match="must not be None"):
        run.log_params({"lr": None})
    with pytest.raises(runledger.InvalidInput, match="at most 6000 characters"):
        run.log_params({"blob": "x" * 6001})
    import numpy

    run.log({"ok": numpy.float32(0.5), "n": numpy.int64(3), "flag": True, "arr": numpy.array(2.5), "nan": float("nan")}, step=2)
    run.finish()
    r = run_detail(server, run.id)
    assert {m["key"]: (m["count"], m["last"]) for m in r["metrics"]} == {
        "ok": (2, 0.5), "n": (1, 3), "flag": (1, 1), "arr": (1, 2.5), "nan": (1, "NaN")}
    assert run.refused == 0


def test_text_the_server_cannot_store_is_refused_before_sending_as_the_server_refuses_it(server, client_env):
    """The spec's text rule (no NUL, no lone surrogate), which the server applies at every door,
    holds for names and param and tag values in the caller's thread; the server refuses the same."""
    t = Transport(server.url)
    project = unique("text")
    run = runledger.start_run(project, capture=False, quiet=True)
    for bad, rule in (("a\x00b", "NUL character"), ("a\ud800b", "lone UTF-16 surrogate")):
        with pytest.raises(runledger.InvalidInput, match=f"log_params: 'p': must not contain .*{rule}"):
            run.log_params({"p": bad})
        with pytest.raises(runledger.InvalidInput, match=f"set_tags: 't': must not contain .*{rule}"):
            run.set_tags({"t": bad})
        with pytest.raises(runledger.InvalidInput, match=f"^name: must not contain .*{rule}"):
            runledger.start_run(project, name=bad, capture=False, quiet=True)
        with pytest.raises(RunledgerError) as info:
            t.graphql("mutation($i: SetTagsInput!) { setTags(input: $i) { run { id } } }",
                      {"i": {"runId": run.id, "tags": [{"key": "t", "value": bad}]}})
        assert info.value.code == "BAD_USER_INPUT" and rule in str(info.value), info.value
    # start_run checks its free text too, so an offline start cannot spool what sync would have refused.
    for mode in ("online", "offline"):
        with pytest.raises(runledger.InvalidInput, match="^notes: must be at most 50000 characters"):
            runledger.start_run(project, notes="x" * 50_001, mode=mode, capture=False, quiet=True)
        with pytest.raises(runledger.InvalidInput, match="^seed: must be at most 200 characters"):
            runledger.start_run(project, seed=10**200, mode=mode, capture=False, quiet=True)
    long_ok = "\U0001F600" * _rules.LIMITS["paramValueLength"]  # 6000 characters, 12000 UTF-16 units
    run.log_params({"emoji": long_ok})
    with pytest.raises(runledger.InvalidInput, match="at most 6000 characters"):
        run.log_params({"more": long_ok + "x"})
    run.finish()
    assert {p["key"]: p["value"] for p in run_detail(server, run.id)["params"]} == {"emoji": long_ok}
    assert run.refused == 0


def test_a_batch_the_server_refuses_is_split_and_no_valid_point_is_lost(server, client_env, tmp_path):
    # Keys the client did not check (as from an older copy of the rules) reach the server: it
    # refuses their batch whole, and the writer splits it until only the bad points are left.
    out = run_script(f"""
        import runledger, time
        with runledger.start_run({unique('split')!r}, capture=False) as run:
            print("RUN_ID=" + run.id)
            for step in range(20):
                values = {{"loss": step / 10, "acc": 1 - step / 100}}
                if step == 7:
                    values["bad key!"] = 1.0
                if step == 9:
                    values["k" * 300] = 2.0
                run._writer.put(step, time.time(), values)
            run.log_params({{"lr": 0.1}})
            run.log_params({{"lr": 0.2, "depth": 6}})  # params are immutable: only lr is refused
    """, client_env)
    assert out.returncode == 0, out.stderr
    run_id = run_id_in(out)
    assert history(server, run_id, "loss") == [(s, s / 10) for s in range(20)]
    assert history(server, run_id, "acc") == [(s, 1 - s / 100) for s in range(20)]
    r = run_detail(server, run_id)
    assert {p["key"]: p["value"] for p in r["params"]} == {"lr": "0.1", "depth": "6"}
    assert "runledger: the server refused 3 logged values" in out.stderr
    refused_file = Path(client_env["RUNLEDGER_SPOOL_DIR"]) / "refused" / f"{run_id.replace('=', '_')}.jsonl"
    assert str(refused_file) in out.stderr
    rows = [json.loads(line) for line in refused_file.read_text().splitlines()]
    by = {r.get("key") or r.get("param"): r for r in rows}
    assert set(by) == {"bad key!", "k" * 300, "lr"}
    assert by["bad key!"]["step"] == 7 and by["bad key!"]["value"] == 1.0 and by["bad key!"]["code"] == "BAD_USER_INPUT"
    assert by["lr"]["value"] == "0.2" and by["lr"]["code"] == "CONFLICT"
