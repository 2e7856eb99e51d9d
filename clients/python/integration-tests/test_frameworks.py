"""Each integration against its real library (pinned CPU wheels from PyPI): a tiny model trained
on made-up data logs its params, its metrics per step, the model (registered) and the data it
was given as a dataset version."""
from __future__ import annotations

import numpy

import runledger
from conftest import fixtures

unique, run_detail, history = fixtures.unique, fixtures.run_detail, fixtures.history


def data(n: int = 200, seed: int = 0):
    rng = numpy.random.default_rng(seed)
    X = rng.normal(size=(n, 4)).astype("float32")
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype("int64")
    return X, y


def check(server, run_id: str, model: str, metric: str, steps: int, params: set):
    r = run_detail(server, run_id)
    assert r["status"] == "FINISHED"
    assert params <= {p["key"] for p in r["params"]}, sorted(p["key"] for p in r["params"])
    points = history(server, run_id, metric)
    assert [s for s, _ in points] == list(range(steps)), points
    assert r["modelVersions"] == [{"version": 1, "model": {"name": model}, "aliases": ["candidate"]}]
    assert [i["role"] for i in r["inputs"]] and r["inputs"][0]["datasetVersion"]["dataset"]["name"].startswith("train-")
    return r


def test_keras_callback_on_the_jax_backend(server, client_env, tmp_path):
    import keras

    from runledger.integrations.keras import RunledgerCallback

    assert keras.backend.backend() == "jax"
    X, y = data()
    project = unique("keras")
    with runledger.start_run(project, capture=False, quiet=True) as run:
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1, activation="sigmoid")])
        model.compile(optimizer=keras.optimizers.Adam(0.01), loss="binary_crossentropy", metrics=["accuracy"])
        model.fit(X, y, epochs=3, batch_size=32, validation_split=0.2, verbose=0,
                  callbacks=[RunledgerCallback(run, register_as=f"k-{project}", alias="candidate", dataset=(f"train-{project}", X, y),
                                               log_every_n_batches=2)])
    r = check(server, run.id, f"k-{project}", "epoch/val_loss", 3, {"fit.epochs", "optimizer.learning_rate", "keras.backend"})
    assert {p["key"]: p["value"] for p in r["params"]}["keras.backend"] == "jax"
    assert any(m["key"] == "batch/loss" for m in r["metrics"])
    back = runledger.download(f"k-{project}@candidate", tmp_path / "km")
    reloaded = keras.saving.load_model(back / "model.keras")
    assert numpy.allclose(reloaded.predict(X[:5], verbose=0), model.predict(X[:5], verbose=0))


def test_xgboost_callback(server, client_env):
    import xgboost

    from runledger.integrations.xgboost import RunledgerCallback

    X, y = data()
    project = unique("xgb")
    params = {"objective": "binary:logistic", "max_depth": 3, "eta": 0.3, "eval_metric": "logloss"}
    with runledger.start_run(project, capture=False, quiet=True) as run:
        dtrain, dval = xgboost.DMatrix(X[:150], label=y[:150]), xgboost.DMatrix(X[150:], label=y[150:])
        xgboost.train(params, dtrain, 5, evals=[(dtrain, "train"), (dval, "validation")], verbose_eval=False,
                      callbacks=[RunledgerCallback(run, params=params, register_as=f"x-{project}", alias="candidate",
                                                   dataset=(f"train-{project}", X[:150], y[:150]))])
    r = check(server, run.id, f"x-{project}", "validation-logloss", 5, {"max_depth", "eta", "xgboost.version"})
    losses = [v for _, v in history(server, run.id, "train-logloss")]
    assert losses == sorted(losses, reverse=True)  # boosting lowers the training loss


def test_lightgbm_callback(server, client_env):
    import lightgbm

    from runledger.integrations.lightgbm import log_booster, runledger_callback

    X, y = data(400)
    project = unique("lgb")
    with runledger.start_run(project, capture=False, quiet=True) as run:
        train = lightgbm.Dataset(X[:300], label=y[:300])
        val = lightgbm.Dataset(X[300:], label=y[300:], reference=train)
        booster = lightgbm.train({"objective": "binary", "metric": "binary_logloss", "num_leaves": 7, "verbose": -1}, train, 6,
                                 valid_sets=[val], valid_names=["validation"],
                                 callbacks=[runledger_callback(run, dataset=(f"train-{project}", X[:300], y[:300]))])
        log_booster(run, booster, register_as=f"l-{project}", alias="candidate")
    check(server, run.id, f"l-{project}", "validation-binary_logloss", 6, {"num_leaves", "objective", "lightgbm.version"})


def test_sklearn_fit_and_log(server, client_env, tmp_path):
    from sklearn.linear_model import LogisticRegression

    from runledger.integrations.sklearn import fit_and_log

    X, y = data()
    project = unique("skl")
    with runledger.start_run(project, capture=False, quiet=True) as run:
        model = fit_and_log(LogisticRegression(C=0.5), X[:150], y[:150], eval_sets={"test": (X[150:], y[150:])},
                            dataset=f"train-{project}", register_as=f"s-{project}", alias="candidate")
    r = check(server, run.id, f"s-{project}", "test/score", 1, {"LogisticRegression.C", "sklearn.version"})
    assert {i["role"] for i in r["inputs"]} == {"train", "test"}
    import pickle

    back = runledger.download(f"s-{project}@candidate", tmp_path / "sk")
    assert (pickle.loads((back / "model.pkl").read_bytes()).predict(X) == model.predict(X)).all()


def test_the_guides_integration_example_runs_as_written(server, client_env, tmp_path, monkeypatch):
    import re

    monkeypatch.chdir(tmp_path)
    text = (fixtures.REPO / "docs" / "python-client.md").read_text()
    [block] = re.findall(r"^```python integrations\n(.*?)^```$", text, re.S | re.M)
    exec(compile(block, "docs/python-client.md", "exec"), {"runledger": runledger})
    mv = server.graphql('{ registeredModel(name: "churn-logreg") { alias(name: "candidate") { version } } }')
    assert mv["registeredModel"]["alias"]["version"] == 1
