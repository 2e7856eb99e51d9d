"""runledger: log runs from notebooks and training scripts, read them back, trace lineage.

    import runledger
    with runledger.start_run(project="churn", config={"lr": 1e-3}, seed=42) as run:
        for step in range(100):
            run.log({"loss": 1 / (step + 1)}, step=step)
"""
from __future__ import annotations

from ._http import RunledgerError, Unreachable
from ._rules import InvalidInput
from .capture import seed_everything
from .live import watch
from .read import compare, download, history, impact, lineage, models, runs
from .run import Run, active_run, init, start_run, wait_for_uploads



def download_artifact(artifact_id: str, dest: str = ".", url: str | None = None, token: str | None = None):
    """Downloads an artifact (by its id) to `dest`, a file or a directory; straight from the object
    store when the server offers direct transfer. Resumable, checks its sha256; returns the path."""
    from ._artifacts import download_artifact as _download
    from .read import transport

    return _download(transport(url, token), artifact_id, dest)


try:
    from importlib.metadata import version as _version

    __version__ = _version("runledger")
except Exception:  # running from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = [
    "InvalidInput", "Run", "RunledgerError", "Unreachable", "active_run", "compare", "download", "download_artifact", "history", "impact", "init", "lineage",
    "models", "runs", "seed_everything", "start_run", "wait_for_uploads", "watch",
]
