"""runledger: log runs from notebooks and training scripts, read them back, trace lineage.

    import runledger
    with runledger.start_run(project="churn", config={"lr": 1e-3}, seed=42) as run:
        for step in range(100):
            run.log({"loss": 1 / (step + 1)}, step=step)
"""
from __future__ import annotations

from ._http import RunledgerError, Unreachable
from ._artifacts import download_artifact as _download_artifact
from .capture import seed_everything
from .live import watch
from .read import compare, history, impact, lineage, models, runs
from .run import Run, active_run, init, start_run

try:
    from importlib.metadata import version as _version

    __version__ = _version("runledger")
except Exception:  # running from a source tree that is not installed
    __version__ = "0.0.0"



def download_artifact(artifact_id: str, dest: str = ".", url: str | None = None, token: str | None = None):
    """Downloads an artifact (by its id) to `dest`, a file or a directory; straight from the object
    store when the server offers direct transfer. Checks its sha256; returns the file's path."""
    from . import _config
    from ._http import Transport

    base, tok = _config.resolve(url, token)
    return _download_artifact(Transport(base, tok), artifact_id, dest)


__all__ = [
    "Run", "RunledgerError", "Unreachable", "active_run", "compare", "download_artifact", "history", "impact", "init", "lineage",
    "models", "runs", "seed_everything", "start_run", "watch",
]
