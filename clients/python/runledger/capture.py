"""What a run records about itself at start, each part switchable: git state (and the
uncommitted diff), Python and platform, installed packages, GPUs and CUDA, and the seed."""
from __future__ import annotations

import os
import platform
import random
import shutil
import socket
import subprocess
import sys
from typing import Any

DIFF_CAP_BYTES = 1 << 20  # larger diffs are cut and tagged git.diff_truncated

CAPTURE_ALL = ("git", "diff", "environment", "packages", "gpus", "console")
# What capture=True records. Console capture is asked for by name (capture=[..., "console"]) until
# every server takes CONSOLE artifacts (docs/media.md).
CAPTURE_DEFAULT = ("git", "diff", "environment", "packages", "gpus")


def _git(cwd: str, *args: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], cwd=cwd, capture_output=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.decode(errors="replace") if out.returncode == 0 else None


def git_state(cwd: str | None = None, with_diff: bool = True) -> dict | None:
    """Repository, commit, branch, dirty flag and diff of the working tree; None outside git."""
    cwd = cwd or os.getcwd()
    commit = _git(cwd, "rev-parse", "HEAD")
    if not commit:
        return None
    root = (_git(cwd, "rev-parse", "--show-toplevel") or cwd).strip()
    remote = (_git(cwd, "config", "--get", "remote.origin.url") or "").strip()
    branch = (_git(cwd, "rev-parse", "--abbrev-ref", "HEAD") or "").strip()
    status = _git(cwd, "status", "--porcelain", "--untracked-files=no") or ""
    state: dict[str, Any] = {
        "root": root,
        "repository": remote or root,
        "commit": commit.strip(),
        "branch": None if branch in ("", "HEAD") else branch,
        "dirty": bool(status.strip()),
    }
    if with_diff and state["dirty"]:
        state["diff"] = _git(cwd, "diff", "HEAD") or ""
    return state


def packages_lockfile() -> str:
    """Installed distributions as a requirements.txt, from importlib.metadata."""
    from importlib import metadata

    seen = {}
    for dist in metadata.distributions():
        name = dist.metadata.get("Name")
        if name and name.lower() not in seen:
            seen[name.lower()] = f"{name}=={dist.version}"
    return "".join(line + "\n" for _, line in sorted(seen.items()))


def nvidia_smi(query: str) -> list[list[str]] | None:
    """Rows of `nvidia-smi --query-gpu=QUERY --format=csv,noheader,nounits`; None without the tool."""
    exe = shutil.which("nvidia-smi")
    if not exe:
        return None
    try:
        out = subprocess.run([exe, f"--query-gpu={query}", "--format=csv,noheader,nounits"], capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    return [[c.strip() for c in line.split(",")] for line in out.stdout.decode().splitlines() if line.strip()]


def gpus() -> dict:
    """{"gpus": [...devices], "gpu_count": n, "cuda": version} from nvidia-smi, else torch, else {}."""
    rows = nvidia_smi("name,memory.total,driver_version")
    if rows:
        info: dict[str, Any] = {"gpus": [{"name": r[0], "memory_mb": _num(r[1]), "driver": r[2] if len(r) > 2 else None} for r in rows]}
        info["gpu_count"] = len(rows)
        exe = shutil.which("nvidia-smi")
        header = subprocess.run([exe], capture_output=True, timeout=10).stdout.decode(errors="replace") if exe else ""
        if "CUDA Version:" in header:
            info["cuda"] = header.split("CUDA Version:")[1].split()[0]
        return info
    torch = sys.modules.get("torch")
    if torch is not None and getattr(torch, "cuda", None) is not None and torch.cuda.is_available():
        n = torch.cuda.device_count()
        return {"gpus": [{"name": torch.cuda.get_device_name(i)} for i in range(n)], "gpu_count": n, "cuda": torch.version.cuda}
    return {}


def _num(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


# Environment variables that change what training does, recorded for `runledger reproduce`;
# anything that looks like a credential is never recorded.
ENV_PREFIXES = ("CUDA_", "CUBLAS_", "CUDNN_", "NCCL_", "OMP_", "MKL_", "OPENBLAS_", "PYTHONHASHSEED", "TF_", "XLA_", "JAX_",
                "KERAS_", "TORCH_", "PYTORCH_", "HF_", "TOKENIZERS_", "TRANSFORMERS_", "WORLD_SIZE", "LOCAL_WORLD_SIZE", "SEED")
SECRET_WORDS = ("TOKEN", "SECRET", "PASSWORD", "PASSWD", "KEY", "CREDENTIAL", "AUTH")


def recorded_env_vars(env: dict | None = None) -> dict:
    env = os.environ if env is None else env
    return {k: v for k, v in sorted(env.items())
            if k.startswith(ENV_PREFIXES) and not any(w in k.upper() for w in SECRET_WORDS) and len(v) < 2000}


def environment(include_gpus: bool = True) -> dict:
    env: dict[str, Any] = {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "hostname": socket.gethostname(),
        "command": [sys.executable, *sys.argv],
        "cwd": os.getcwd(),
        "env": recorded_env_vars(),
    }
    if include_gpus:
        hw = gpus()
        if hw:
            env["hardware"] = {k: v for k, v in hw.items() if k != "cuda"}
            if "cuda" in hw:
                env["cuda"] = hw["cuda"]
    return env


_recorded_seed: int | None = None


def seed_everything(seed: int) -> int:
    """Seeds random, numpy and torch (when importable) and remembers the seed for the next run."""
    global _recorded_seed
    random.seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    try:
        import numpy

        numpy.random.seed(seed % (2**32))
    except ImportError:
        pass
    torch = sys.modules.get("torch")
    if torch is None:
        try:
            import torch  # type: ignore[no-redef]
        except ImportError:
            torch = None
    if torch is not None:
        torch.manual_seed(seed)
        if torch.cuda.is_available():
            torch.cuda.manual_seed_all(seed)
    _recorded_seed = seed
    from . import run as _run

    current = _run.active_run()
    if current is not None:
        current._record_seed(seed)
    return seed


def recorded_seed() -> int | None:
    return _recorded_seed
