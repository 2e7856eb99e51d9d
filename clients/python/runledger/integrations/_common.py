"""What the integrations share: the run to log to, and datasets named by the digest of the
arrays a framework was given (the only inputs it can see)."""
from __future__ import annotations

import hashlib
from typing import Any

from ..run import Run, active_run


def the_run(run: Run | None) -> Run:
    run = run or active_run()
    if run is None:
        raise RuntimeError("no run to log to: pass run=, or start one with runledger.start_run() first")
    return run


def array_digest(*arrays: Any) -> str:
    """sha256 over the arrays' shapes, dtypes and bytes (numpy arrays, pandas frames, lists)."""
    h = hashlib.sha256()
    for a in arrays:
        if a is None:
            continue
        if hasattr(a, "to_numpy"):
            a = a.to_numpy()
        if hasattr(a, "tobytes"):
            import numpy

            a = numpy.ascontiguousarray(a)
            h.update(f"{a.shape}{a.dtype}".encode())
            h.update(a.tobytes())
        else:
            h.update(repr(a).encode())
    return h.hexdigest()


def log_arrays(run: Run, name: str | None, *arrays: Any, role: str = "train") -> dict | None:
    """Records arrays a model was fitted on as a dataset version named by their digest."""
    if not name:
        return None
    digest = array_digest(*arrays)
    return run.log_dataset(name, digest[:12], digest=digest, role=role)


def flat_params(params: dict, prefix: str = "") -> dict:
    """Params as strings, nested dicts flattened with dots; long or unprintable values shortened."""
    out: dict = {}
    for k, v in params.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flat_params(v, key + "."))
        elif v is None or isinstance(v, (bool, int, float, str)):
            out[key] = "None" if v is None else str(v)
        else:
            out[key] = type(v).__name__ if len(repr(v)) > 500 else repr(v)
    return {k: v[:6000] for k, v in out.items()}
