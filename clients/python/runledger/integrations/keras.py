"""A Keras 3 callback (any backend: JAX, TensorFlow, PyTorch): logs the fit's params, every
epoch's metrics (and every n-th batch's, when asked), the trained model as a `.keras` file
(registered when asked) and the training arrays as a dataset version.

    model.fit(x, y, epochs=5, callbacks=[RunledgerCallback(run, register_as="digits", dataset=("mnist", x, y))])
"""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import keras

from ..run import Run
from ._common import flat_params, log_arrays, the_run


class RunledgerCallback(keras.callbacks.Callback):
    def __init__(self, run: Run | None = None, *, log_every_n_batches: int | None = None, log_model: bool = True,
                 register_as: str | None = None, alias: str | None = None, dataset: tuple | None = None):
        super().__init__()
        self.run = the_run(run)
        self.every = log_every_n_batches
        self.log_model, self.register_as, self.alias = log_model, register_as, alias
        self.dataset = dataset  # (name, x, y...) recorded as a dataset version named by its digest
        self._batches = 0

    def on_train_begin(self, logs: Any = None) -> None:
        params = {f"fit.{k}": v for k, v in (self.params or {}).items()}
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None:
            params.update({f"optimizer.{k}": v for k, v in optimizer.get_config().items()})
        params["model.parameters"] = self.model.count_params()
        params["keras.backend"] = keras.backend.backend()
        self.run.log_params(flat_params(params))
        if self.dataset:
            log_arrays(self.run, self.dataset[0], *self.dataset[1:])

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        self._batches += 1
        if self.every and logs and self._batches % self.every == 0:
            self.run.log({f"batch/{k}": float(v) for k, v in logs.items()}, step=self._batches)

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        if logs:
            self.run.log({f"epoch/{k}": float(v) for k, v in logs.items()}, step=epoch)

    def on_train_end(self, logs: Any = None) -> None:
        if not self.log_model:
            return
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "model.keras"
            self.model.save(path)
            self.run.log_model(path, register_as=self.register_as, alias=self.alias)
