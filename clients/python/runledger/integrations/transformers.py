"""A Hugging Face `transformers.TrainerCallback`: the TrainingArguments and the model's config as
params, every log the Trainer emits (loss, learning rate, eval metrics) at its global step, the
trained model as a `save_pretrained` folder (with the tokenizer or processor, registered when
asked), each saved checkpoint when asked, and the training data as a dataset version.

    Trainer(model, args, train_dataset=ds, callbacks=[RunledgerCallback(run, register_as="churn-bert", dataset=("clicks", ids, labels))])
"""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import torch
import transformers

from ..run import Run
from ._common import flat_params, log_arrays, log_in_memory_data, the_run


class RunledgerCallback(transformers.TrainerCallback):
    """dataset: (name, *arrays) names the data by those arrays; a name alone reads the Trainer's
    train (and eval, as `<name>-validation`) dataset when its data is in-memory tensors."""

    def __init__(self, run: Run | None = None, *, log_model: bool = True, register_as: str | None = None, alias: str | None = None,
                 log_checkpoints: bool = False, dataset: str | tuple | None = None):
        super().__init__()
        self.run = the_run(run)
        self.log_model, self.register_as, self.alias = log_model, register_as, alias
        self.log_checkpoints, self.dataset = log_checkpoints, dataset

    def on_train_begin(self, args: Any, state: Any, control: Any, model: Any = None, **kwargs: Any) -> None:
        if not state.is_world_process_zero:
            return
        params: dict = {"args": args.to_dict(), "transformers.version": transformers.__version__, "torch.version": torch.__version__}
        if model is not None:
            params["model.class"] = type(model).__name__
            params["model.parameters"] = sum(p.numel() for p in model.parameters())
            config = getattr(model, "config", None)
            if config is not None:
                params["config"] = config.to_diff_dict() if hasattr(config, "to_diff_dict") else config.to_dict()
        self.run.log_params(flat_params(params))
        self._log_datasets(kwargs.get("train_dataloader"), kwargs.get("eval_dataloader"))

    def on_log(self, args: Any, state: Any, control: Any, logs: dict | None = None, **kwargs: Any) -> None:
        if not state.is_world_process_zero or not logs:
            return
        values = {k: float(v) for k, v in logs.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
        if values:
            self.run.log(values, step=state.global_step)

    def on_save(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if not state.is_world_process_zero or not self.log_checkpoints:
            return
        folder = Path(args.output_dir) / f"{transformers.trainer_utils.PREFIX_CHECKPOINT_DIR}-{state.global_step}"
        if folder.is_dir():
            self.run.log_artifact(folder, kind="CHECKPOINT", name=f"checkpoints/{folder.name}")

    def on_train_end(self, args: Any, state: Any, control: Any, model: Any = None, processing_class: Any = None, **kwargs: Any) -> None:
        if not state.is_world_process_zero or not self.log_model or model is None:
            return
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "model"
            model.save_pretrained(folder)
            if processing_class is not None and hasattr(processing_class, "save_pretrained"):
                processing_class.save_pretrained(folder)
            self.run.log_model(folder, register_as=self.register_as, alias=self.alias)

    def _log_datasets(self, train_loader: Any, eval_loader: Any) -> None:
        if not self.dataset:
            return
        if isinstance(self.dataset, tuple):
            log_arrays(self.run, self.dataset[0], *self.dataset[1:])
            return
        for role, loader, name in (("train", train_loader, self.dataset), ("validation", eval_loader, f"{self.dataset}-validation")):
            data = getattr(loader, "dataset", None)
            if data is not None:
                log_in_memory_data(self.run, name, data, role, "RunledgerCallback")

