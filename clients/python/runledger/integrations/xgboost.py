"""An XGBoost training callback: logs every boosting round's evaluation metrics (`<data>-<metric>`,
e.g. `validation-logloss`, step = round), the params you give it, and the trained booster
(JSON, registered when asked).

    xgboost.train(params, dtrain, 100, evals=[(dval, "validation")], callbacks=[RunledgerCallback(run, params=params)])
"""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import xgboost

from ..run import Run
from ._common import flat_params, log_arrays, the_run


class RunledgerCallback(xgboost.callback.TrainingCallback):
    def __init__(self, run: Run | None = None, *, params: dict | None = None, log_model: bool = True,
                 register_as: str | None = None, alias: str | None = None, dataset: tuple | None = None):
        super().__init__()
        self.run = the_run(run)
        self.params, self.log_model, self.register_as, self.alias, self.dataset = params, log_model, register_as, alias, dataset

    def before_training(self, model: Any) -> Any:
        if self.params:
            self.run.log_params(flat_params(self.params))
        self.run.log_params({"xgboost.version": xgboost.__version__})
        if self.dataset:
            log_arrays(self.run, self.dataset[0], *self.dataset[1:])
        return model

    def after_iteration(self, model: Any, epoch: int, evals_log: dict) -> bool:
        values = {f"{data}-{metric}": float(history[-1]) for data, metrics in evals_log.items() for metric, history in metrics.items() if history}
        if values:
            self.run.log(values, step=epoch)
        return False  # never asks training to stop

    def after_training(self, model: Any) -> Any:
        if self.log_model:
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "model.json"
                model.save_model(str(path))
                self.run.log_model(path, register_as=self.register_as, alias=self.alias)
        return model
