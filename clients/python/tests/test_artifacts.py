"""Directories up and artifacts back: log_artifact(dir), log_model(dir, register_as=...), a run's
artifacts and a registered model downloaded to a directory, streamed, resumed with Range where
a download stopped, and checked against each file's sha256."""
from __future__ import annotations

import filecmp
import hashlib
from pathlib import Path

import pytest

import runledger
from conftest import cli, run_detail, unique
from runledger import artifacts


def make_model(root: Path) -> Path:
    model = root / "bert-tiny"
    (model / "tokenizer").mkdir(parents=True)
    (model / "config.json").write_text('{"hidden_size": 128}')
    (model / "model.safetensors").write_bytes(hashlib.sha256(b"w").digest() * 50_000)  # 1.6 MB
    (model / "tokenizer" / "vocab.txt").write_text("[PAD]\n[UNK]\nhello\n")
    return model


def test_directories_up_and_back(server, client_env, tmp_path):
    model = make_model(tmp_path)
    project = unique("dirs")
    with runledger.start_run(project, capture=False, quiet=True) as run:
        logged = run.log_artifact(model, name="checkpoints/step-100")
        out = run.log_model(model, register_as=f"bert-{project}", alias="production")
    assert sorted(a["name"] for a in logged) == ["checkpoints/step-100/config.json", "checkpoints/step-100/model.safetensors",
                                                 "checkpoints/step-100/tokenizer/vocab.txt"]
    assert out["artifact"]["name"] == "bert-tiny/runledger-model.json" and out["modelVersion"]["version"] == 1
    assert len(run_detail(server, run.id)["modelVersions"]) == 1

    got = run.download_artifacts("checkpoints", tmp_path / "back")
    assert len(got) == 3
    assert not filecmp.dircmp(model, tmp_path / "back" / "checkpoints" / "step-100").diff_files

    dst = runledger.download(f"bert-{project}@production", tmp_path / "served")
    for rel in ("config.json", "model.safetensors", "tokenizer/vocab.txt"):
        assert (dst / rel).read_bytes() == (model / rel).read_bytes(), rel
    assert not list(dst.rglob("*.part"))

    # The command line does the same.
    out = cli("download", f"bert-{project}/1", str(tmp_path / "cli"), env=client_env)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "cli" / "tokenizer" / "vocab.txt").read_text() == "[PAD]\n[UNK]\nhello\n"


def test_a_download_resumes_where_it_stopped_and_checks_the_digest(server, client_env, tmp_path):
    model = make_model(tmp_path)
    with runledger.start_run(unique("resume-dl"), capture=False, quiet=True) as run:
        [artifact] = [a for a in run.log_artifact(model) if a["name"].endswith("safetensors")]
    whole = (model / "model.safetensors").read_bytes()
    target = tmp_path / "dl" / "model.safetensors"
    target.parent.mkdir()
    part = target.with_name(target.name + ".part")

    # A download that stopped half way is continued with a Range request, not started over ...
    part.write_bytes(whole[: len(whole) // 2])
    artifacts.download_file(run.transport, artifact, target)
    assert target.read_bytes() == whole and not part.exists()

    # ... which the digest check proves: a stale half that does not match is caught, nothing is kept,
    # and the next attempt starts afresh.
    target.unlink()
    part.write_bytes(b"\x00" * (len(whole) // 2))
    with pytest.raises(runledger.RunledgerError, match="does not match"):
        artifacts.download_file(run.transport, artifact, target)
    assert not target.exists() and not part.exists()
    artifacts.download_file(run.transport, artifact, target)
    assert target.read_bytes() == whole


def test_a_single_file_model_and_a_missing_one(server, client_env, tmp_path):
    weights = tmp_path / "model.pt"
    weights.write_bytes(b"\x00weights")
    project = unique("file-model")
    with runledger.start_run(project, capture=False, quiet=True) as run:
        run.log_model(weights, register_as=f"m-{project}", alias="staging")
    assert (runledger.download(f"m-{project}@staging", tmp_path / "o") / "model.pt").read_bytes() == b"\x00weights"
    with pytest.raises(runledger.RunledgerError) as info:
        runledger.download(f"m-{project}@production", tmp_path / "x")
    assert info.value.code == "NOT_FOUND"
