"""The PyTorch integrations against the real libraries (torch, Lightning, transformers from PyPI,
on the CPU): a tiny model trained on made-up data logs its params, its metrics per step, the
model (registered, and loaded back with equal outputs) and the data it was given."""
from __future__ import annotations

import re

import pytest
import torch

import runledger
from conftest import fixtures
from runledger.integrations._common import array_digest

unique, run_detail, history = fixtures.unique, fixtures.run_detail, fixtures.history

torch.set_num_threads(1)  # the machine is shared; these models are tiny


def lightning_net():
    import lightning

    class Net(lightning.LightningModule):
        def __init__(self, hidden: int = 8, lr: float = 0.1):
            super().__init__()
            self.save_hyperparameters()
            self.net = torch.nn.Sequential(torch.nn.Linear(4, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 2))

        def forward(self, x):
            return self.net(x)

        def training_step(self, batch, _):
            x, y = batch
            loss = torch.nn.functional.cross_entropy(self(x), y)
            self.log("train_loss", loss)
            return loss

        def validation_step(self, batch, _):
            x, y = batch
            self.log("val_loss", torch.nn.functional.cross_entropy(self(x), y))

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)

    return Net


def tensors(n: int = 64, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, 4, generator=g)
    return X, (X[:, 0] + 0.5 * X[:, 1] > 0).long()


def trainer(tmp_path, logger, **kw):
    import lightning

    settings = {"max_epochs": 3, "log_every_n_steps": 1, "default_root_dir": tmp_path, "accelerator": "cpu", "enable_progress_bar": False,
                "enable_model_summary": False, **kw}
    return lightning.Trainer(logger=logger, **settings)


def test_lightning_logger(server, client_env, tmp_path):
    from torch.utils.data import DataLoader, TensorDataset

    from runledger.integrations.lightning import RunledgerLogger

    torch.manual_seed(0)
    X, y = tensors()
    Net = lightning_net()
    project = unique("pl")
    with runledger.start_run(project, capture=False, quiet=True) as run:
        logger = RunledgerLogger(run, register_as=f"pl-{project}", alias="candidate", dataset=f"clicks-{project}")
        model = Net(hidden=8, lr=0.1)
        trainer(tmp_path, logger).fit(model, DataLoader(TensorDataset(X[:48], y[:48]), batch_size=16),
                                      DataLoader(TensorDataset(X[48:], y[48:]), batch_size=16))

    r = run_detail(server, run.id)
    assert r["status"] == "FINISHED"
    params = {p["key"]: p["value"] for p in r["params"]}
    assert params["hidden"] == "8" and params["lr"] == "0.1" and params["trainer.max_epochs"] == "3", params
    assert params["model.class"] == "Net" and params["model.parameters"] == str(4 * 8 + 8 + 8 * 2 + 2)
    assert {"lightning.version", "torch.version"} <= params.keys()
    # 48 rows in batches of 16 for 3 epochs: 9 optimizer steps, each logged at its global step.
    assert [s for s, _ in history(server, run.id, "train_loss")] == list(range(9))
    assert len(history(server, run.id, "val_loss")) == 3
    # The loaders' data, named by its digest, in the role each was used for.
    inputs = {i["role"]: i["datasetVersion"] for i in r["inputs"]}
    assert inputs["train"]["dataset"]["name"] == f"clicks-{project}" and inputs["train"]["digest"] == array_digest(X[:48], y[:48])
    assert inputs["validation"]["dataset"]["name"] == f"clicks-{project}-validation"
    assert inputs["validation"]["digest"] == array_digest(X[48:], y[48:])
    # The best checkpoint (the last one: no monitor) is the model version, and loads back.
    assert r["modelVersions"] == [{"version": 1, "model": {"name": f"pl-{project}"}, "aliases": ["candidate"]}]
    back = runledger.download(f"pl-{project}@candidate", tmp_path / "back")
    [ckpt] = [p for p in (back.rglob("*.ckpt") if back.is_dir() else [back])]
    assert re.fullmatch(r"epoch=2-step=9\.ckpt", ckpt.name)
    reloaded = Net.load_from_checkpoint(ckpt)
    model.eval(), reloaded.eval()
    with torch.no_grad():
        assert torch.equal(reloaded(X[:5]), model(X[:5]))


def test_lightning_logger_uploads_every_checkpoint_and_names_data_given_as_arrays(server, client_env, tmp_path):
    from lightning.pytorch.callbacks import ModelCheckpoint
    from torch.utils.data import DataLoader, Dataset

    from runledger.integrations.lightning import RunledgerLogger

    X, y = tensors(32)

    class Rows(Dataset):  # not in-memory tensors as far as the logger can tell
        def __len__(self):
            return len(X)

        def __getitem__(self, i):
            return X[i], y[i]

    project = unique("pl-all")
    with runledger.start_run(project, capture=False, quiet=True) as run:
        logger = RunledgerLogger(run, log_model="all", dataset=(f"rows-{project}", X, y))
        every_epoch = ModelCheckpoint(save_top_k=-1, every_n_epochs=1)
        trainer(tmp_path, logger, callbacks=[every_epoch]).fit(lightning_net()(), DataLoader(Rows(), batch_size=16))
    r = run_detail(server, run.id)
    checkpoints = sorted(a["name"] for a in r["artifacts"] if a["kind"] == "CHECKPOINT")
    assert checkpoints == ["checkpoints/epoch=0-step=2.ckpt", "checkpoints/epoch=1-step=4.ckpt", "checkpoints/epoch=2-step=6.ckpt"]
    assert [a["name"] for a in r["artifacts"] if a["kind"] == "MODEL"] == ["epoch=2-step=6.ckpt"]  # not registered: no register_as
    assert r["modelVersions"] == []
    [inp] = r["inputs"]
    assert (inp["role"], inp["datasetVersion"]["dataset"]["name"], inp["datasetVersion"]["digest"]) == ("train", f"rows-{project}", array_digest(X, y))


def test_lightning_logger_warns_when_it_cannot_name_the_data(server, client_env, tmp_path):
    from torch.utils.data import DataLoader, Dataset

    from runledger.integrations.lightning import RunledgerLogger

    X, y = tensors(16)

    class Rows(Dataset):
        def __len__(self):
            return len(X)

        def __getitem__(self, i):
            return X[i], y[i]

    with runledger.start_run(unique("pl-warn"), capture=False, quiet=True) as run:
        with pytest.warns(UserWarning, match=r"not an in-memory TensorDataset.*dataset=\(name, \*arrays\)"):
            trainer(tmp_path, RunledgerLogger(run, log_model=False, dataset="rows"), max_epochs=1).fit(lightning_net()(), DataLoader(Rows(), batch_size=8))
    r = run_detail(server, run.id)
    assert r["inputs"] == [] and r["artifacts"] == [] and len(history(server, run.id, "train_loss")) == 2


def bert_and_data(n: int = 32, length: int = 12):
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(0)
    ids = torch.randint(0, 100, (n, length))
    labels = (ids[:, 0] > 50).long()

    class Rows(torch.utils.data.Dataset):
        def __len__(self):
            return n

        def __getitem__(self, i):
            return {"input_ids": ids[i], "attention_mask": torch.ones_like(ids[i]), "labels": labels[i]}

    config = BertConfig(vocab_size=100, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32,
                        max_position_embeddings=32, id2label={0: "no churn", 1: "churn!"}, label2id={"no churn": 0, "churn!": 1})
    return BertForSequenceClassification(config), Rows(), ids, labels


def test_transformers_callback(server, client_env, tmp_path):
    from transformers import BertForSequenceClassification, Trainer, TrainingArguments

    from runledger.integrations.transformers import RunledgerCallback

    model, rows, ids, labels = bert_and_data()
    project = unique("hf")
    args = TrainingArguments(output_dir=str(tmp_path / "out"), max_steps=4, per_device_train_batch_size=8, learning_rate=1e-3,
                             logging_steps=1, save_strategy="steps", save_steps=2, report_to=[], use_cpu=True, disable_tqdm=True, seed=7)
    with runledger.start_run(project, capture=False, quiet=True) as run:
        callback = RunledgerCallback(run, register_as=f"hf-{project}", alias="candidate", log_checkpoints=True,
                                     dataset=(f"tokens-{project}", ids, labels))
        Trainer(model=model, args=args, train_dataset=rows, callbacks=[callback]).train()

    r = run_detail(server, run.id)
    assert r["status"] == "FINISHED"
    params = {p["key"]: p["value"] for p in r["params"]}
    assert params["args.learning_rate"] == "0.001" and params["args.max_steps"] == "4" and params["args.seed"] == "7", params
    assert params["config.hidden_size"] == "16" and params["config.num_attention_heads"] == "2"
    assert params["config.id2label.1"] == "churn!" and "config.label2id.churn_" in params  # a label's "!" cannot be in a key
    assert params["model.class"] == "BertForSequenceClassification" and {"transformers.version", "torch.version"} <= params.keys()
    # logging_steps=1: the loss at every global step, 1 to 4.
    assert [s for s, _ in history(server, run.id, "loss")] == [1, 2, 3, 4]
    assert [s for s, _ in history(server, run.id, "learning_rate")] == [1, 2, 3, 4]
    assert [s for s, _ in history(server, run.id, "train_loss")] == [4]  # the Trainer's summary at the end
    [inp] = r["inputs"]
    assert (inp["role"], inp["datasetVersion"]["dataset"]["name"], inp["datasetVersion"]["digest"]) == ("train", f"tokens-{project}", array_digest(ids, labels))
    checkpoints = {a["name"].split("/")[1] for a in r["artifacts"] if a["kind"] == "CHECKPOINT"}
    assert checkpoints == {"checkpoint-2", "checkpoint-4"}
    assert r["modelVersions"] == [{"version": 1, "model": {"name": f"hf-{project}"}, "aliases": ["candidate"]}]

    back = runledger.download(f"hf-{project}@candidate", tmp_path / "back")
    assert (back / "config.json").is_file() and (back / "model.safetensors").is_file()
    reloaded = BertForSequenceClassification.from_pretrained(back)
    model.eval(), reloaded.eval()
    batch = {"input_ids": ids[:4], "attention_mask": torch.ones_like(ids[:4])}
    with torch.no_grad():
        assert torch.equal(reloaded(**batch).logits, model(**batch).logits)


def test_the_guides_pytorch_examples_run_as_written(server, client_env, tmp_path, monkeypatch):
    import ast

    monkeypatch.chdir(tmp_path)  # Lightning's checkpoints and the Trainer's output_dir land here
    text = (fixtures.REPO / "docs" / "python-client.md").read_text()
    blocks = re.findall(r"^```python torch\n(.*?)^```$", text, re.S | re.M)
    assert len(blocks) == 2
    namespace = {"runledger": runledger}
    for block in blocks:  # in one namespace, in order, as a user pasting them would
        exec(compile(ast.parse(block), "docs/python-client.md", "exec"), namespace)
    for model, run_name in (("churn-net", "lightning"), ("churn-bert", "bert-tiny")):
        mv = server.graphql('query($m: String!) { registeredModel(name: $m) { alias(name: "candidate") { version run { name } } } }', {"m": model})
        assert mv["registeredModel"]["alias"] == {"version": 1, "run": {"name": run_name}}, mv
    ids = namespace["ids"][:2]
    with torch.no_grad():
        assert namespace["reloaded"].config.hidden_size == 16 and namespace["reloaded"](input_ids=ids).logits.shape == (2, 2)
