"""What the integrations share: the run to log to, and datasets named by the digest of the
arrays a framework was given (the only inputs it can see)."""
from __future__ import annotations

import hashlib
import re
import warnings
from typing import Any

from .._rules import key_problem
from ..run import Run, active_run


def the_run(run: Run | None) -> Run:
    run = run or active_run()
    if run is None:
        raise RuntimeError("no run to log to: pass run=, or start one with runledger.start_run() first")
    return run


def array_digest(*arrays: Any) -> str:
    """sha256 over the arrays' shapes, dtypes and bytes (numpy arrays, pandas frames, torch
    tensors, lists)."""
    h = hashlib.sha256()
    for a in arrays:
        if a is None:
            continue
        if hasattr(a, "detach") and hasattr(a, "numpy"):  # a torch tensor, possibly on a GPU, of any dtype (bfloat16 too)
            import torch

            t = a.detach().cpu().contiguous()
            h.update(f"{tuple(t.shape)}{t.dtype}".encode())
            h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
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


def log_arrays(run: Run, name: str | None, *arrays: Any, role: str = "train", rows: int | None = None) -> dict | None:
    """Records arrays a model was fitted on as a dataset version named by their digest."""
    if not name:
        return None
    digest = array_digest(*arrays)
    return run.log_dataset(name, digest[:12], digest=digest, role=role, row_count=rows)


def dataset_tensors(dataset: Any) -> tuple | None:
    """The tensors behind a torch dataset whose data is in memory (a TensorDataset, or a Subset of
    one), so it can be named by its digest; None for any other dataset (reading it all to hash it
    could mean reading a whole disk)."""
    indices = None
    if hasattr(dataset, "indices") and hasattr(dataset, "dataset"):  # torch.utils.data.Subset
        indices, dataset = list(dataset.indices), dataset.dataset
    tensors = getattr(dataset, "tensors", None)
    if not isinstance(tensors, tuple) or not tensors:
        return None
    return tensors if indices is None else tuple(t[indices] for t in tensors)


def log_in_memory_data(run: Run, name: str, data: Any, role: str, who: str) -> dict | None:
    """A torch dataset the framework was given, as a dataset version named by its digest when
    its data is in memory (dataset_tensors); otherwise a warning saying how to name it."""
    tensors = dataset_tensors(data)
    if tensors is None:
        warnings.warn(f"{who}: the {role} data ({type(data).__name__}) is not an in-memory TensorDataset, so it was not logged; "
                      "pass dataset=(name, *arrays) to name it by its arrays", stacklevel=3)
        return None
    return log_arrays(run, name, *tensors, role=role, rows=len(tensors[0]))


def flat_params(params: dict, prefix: str = "") -> dict:
    """Params as strings, nested dicts flattened with dots; long or unprintable values shortened;
    characters a key may not hold (a config's label names, say) replaced with '_'."""
    out: dict = {}
    for k, v in params.items():
        key = f"{prefix}{k}"
        if key_problem(key):
            key = re.sub(r"[^\w./\- :]", "_", key).lstrip("/")[:250] or "_"
        if isinstance(v, dict):
            out.update(flat_params(v, key + "."))
        elif v is None or isinstance(v, (bool, int, float, str)):
            out[key] = "None" if v is None else str(v)
        else:
            out[key] = type(v).__name__ if len(repr(v)) > 500 else repr(v)
    return {k: v[:6000] for k, v in out.items()}
