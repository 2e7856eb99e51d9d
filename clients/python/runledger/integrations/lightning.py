"""A PyTorch Lightning logger: the module's (and datamodule's) hyperparameters and the trainer's
settings as params, every metric Lightning logs at its global step, the best checkpoint as the
run's model (registered when asked; every checkpoint as it is saved with log_model="all"), and
the training and validation data as dataset versions named by their digest.

    trainer = lightning.Trainer(max_epochs=3, logger=RunledgerLogger(run, register_as="churn-net", dataset="clicks"))
"""
from __future__ import annotations

import os
import re
from argparse import Namespace
from typing import Any, Literal

import lightning
import torch
from lightning.pytorch.loggers import Logger
from lightning.pytorch.utilities import rank_zero_only

from ..run import Run
from ._common import flat_params, log_arrays, log_in_memory_data, the_run

# Trainer settings that change what training does (the rest are about logging and devices).
TRAINER_SETTINGS = ("max_epochs", "min_epochs", "max_steps", "accumulate_grad_batches", "gradient_clip_val", "gradient_clip_algorithm",
                    "precision", "check_val_every_n_epoch", "val_check_interval", "num_devices", "num_nodes")


class RunledgerLogger(Logger):
    """Lightning calls a logger on every process of a distributed fit: only rank 0 writes.

    log_model: True logs the best checkpoint (else the last) at the end of fit, "all" also
    uploads each checkpoint as it is saved, False none. dataset: a name (the trainer's training
    and validation loaders are read when their datasets are in-memory tensors: TensorDataset or
    a Subset of one; validation as `<name>-validation`), or (name, *arrays) to name the data
    yourself."""

    def __init__(self, run: Run | None = None, *, log_model: bool | Literal["all"] = True, register_as: str | None = None,
                 alias: str | None = None, dataset: str | tuple | None = None):
        super().__init__()
        self.run = the_run(run)
        self.log_model, self.register_as, self.alias, self.dataset = log_model, register_as, alias, dataset
        self._trainer: Any = None
        self._checkpoint: Any = None  # the ModelCheckpoint that saved last
        self._sent: set = set()  # (path, mtime) of checkpoints already uploaded as checkpoints (log_model="all")
        self._model: tuple | None = None  # (path, mtime) of the checkpoint logged as the model
        self._datasets_logged = False

    # ModelCheckpoint saves under <default_root_dir>/<name>/<version>/checkpoints: both made safe as folder names.
    @property
    def name(self) -> str:
        return re.sub(r"[^\w.=-]+", "_", self.run.project)

    @property
    def version(self) -> str:
        return re.sub(r"[^\w.=-]+", "_", self.run.id)

    @rank_zero_only
    def log_hyperparams(self, params: dict | Namespace, *args: Any, **kwargs: Any) -> None:
        if isinstance(params, Namespace):
            params = vars(params)
        self.run.log_params(flat_params({**dict(params), "lightning.version": lightning.__version__, "torch.version": torch.__version__}))

    @rank_zero_only
    def log_graph(self, model: Any, input_array: Any = None) -> None:
        # Lightning calls this once per fit/validate/test with the module: the one place a logger
        # sees the trainer, whose settings and data loaders the other hooks need.
        try:
            trainer = model.trainer
        except RuntimeError:  # a module not attached to a trainer (log_graph called by hand)
            return
        self._trainer = trainer
        settings = {f"trainer.{k}": getattr(trainer, k) for k in TRAINER_SETTINGS if hasattr(trainer, k)}
        settings["model.class"] = type(model).__name__
        settings["model.parameters"] = sum(p.numel() for p in model.parameters())
        if trainer.state.fn == "fit":
            self.run.log_params(flat_params(settings))
            if isinstance(self.dataset, tuple):
                self._log_datasets()

    @rank_zero_only
    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        self._log_datasets()
        values = {k: float(v.item() if hasattr(v, "item") else v) for k, v in metrics.items()}
        if values:
            self.run.log(values, step=step)

    @rank_zero_only
    def after_save_checkpoint(self, checkpoint_callback: Any) -> None:
        self._checkpoint = checkpoint_callback
        if self.log_model == "all":
            # Without a monitor the newest checkpoint is best_model_path; with one, the kept ones are best_k_models.
            for path in [checkpoint_callback.best_model_path, checkpoint_callback.last_model_path, *checkpoint_callback.best_k_models]:
                self._upload_checkpoint(path)

    @rank_zero_only
    def finalize(self, status: str) -> None:
        self._log_datasets()
        cb = self._checkpoint
        if status != "success" or not self.log_model or cb is None:
            return
        best = cb.best_model_path or cb.last_model_path
        # finalize runs after every fit, validate and test: the model is logged once per checkpoint.
        if best and os.path.isfile(best) and self._key(best) != self._model:
            self._model = self._key(best)
            self.run.log_model(best, register_as=self.register_as, alias=self.alias)

    # ---- helpers --------------------------------------------------------------------------------
    @staticmethod
    def _key(path: str) -> tuple:
        return (os.path.abspath(path), os.path.getmtime(path))

    def _upload_checkpoint(self, path: str) -> None:
        if path and os.path.isfile(path) and self._key(path) not in self._sent:
            self._sent.add(self._key(path))
            self.run.log_artifact(path, kind="CHECKPOINT", name=f"checkpoints/{os.path.basename(path)}")

    def _log_datasets(self) -> None:
        """Once per logger: the dataset it was given, or the fit's loaders' in-memory data."""
        if self._datasets_logged or not self.dataset:
            return
        if isinstance(self.dataset, tuple):
            self._datasets_logged = True
            log_arrays(self.run, self.dataset[0], *self.dataset[1:])
            return
        trainer = self._trainer
        loaders = trainer is not None and trainer.state.fn == "fit" and trainer.train_dataloader
        if not loaders:
            return  # the loaders are built once fit starts: tried again at the next metrics and at the end
        self._datasets_logged = True
        for role, found, name in (("train", trainer.train_dataloader, self.dataset), ("validation", trainer.val_dataloaders, f"{self.dataset}-validation")):
            for loader in _loaders(found):
                log_in_memory_data(self.run, name, getattr(loader, "dataset", None), role, "RunledgerLogger")


def _loaders(found: Any) -> list:
    """The data loaders behind what Trainer.train_dataloader / val_dataloaders returns: one, a list or a dict of them."""
    if found is None:
        return []
    if isinstance(found, dict):
        return list(found.values())
    return list(found) if isinstance(found, (list, tuple)) else [found]
