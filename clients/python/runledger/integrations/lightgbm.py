"""A LightGBM callback: logs the training params (from the first iteration), every iteration's
evaluation results (`<data>-<metric>`, step = iteration); log_booster() saves and logs the model.

    booster = lightgbm.train(params, train, valid_sets=[val], callbacks=[runledger_callback(run)])
    log_booster(run, booster, register_as="churn")
"""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Callable

import lightgbm

from ..run import Run
from ._common import flat_params, log_arrays, the_run


def runledger_callback(run: Run | None = None, *, dataset: tuple | None = None) -> Callable[[Any], None]:
    run = the_run(run)
    state = {"started": False}

    def callback(env: Any) -> None:
        if not state["started"]:
            state["started"] = True
            run.log_params(flat_params({**(env.params or {}), "lightgbm.version": lightgbm.__version__}))
            if dataset:
                log_arrays(run, dataset[0], *dataset[1:])
        values = {f"{data}-{metric}": float(value) for data, metric, value, *_ in env.evaluation_result_list or []}
        if values:
            run.log(values, step=env.iteration)

    callback.order = 30  # after LightGBM's own evaluation logging
    return callback


def log_booster(run: Run | None, booster: Any, *, register_as: str | None = None, alias: str | None = None) -> dict:
    run = the_run(run)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.txt"
        booster.save_model(str(path))
        return run.log_model(path, register_as=register_as, alias=alias)
