"""A scikit-learn helper: fits an estimator and logs its params, its score on the training data
and on each evaluation set given, the training (and evaluation) arrays as dataset versions, and
the fitted estimator (pickled, registered when asked).

    model = fit_and_log(RandomForestClassifier(n_estimators=50), X, y, eval_sets={"test": (Xt, yt)}, dataset="churn-features")
"""
from __future__ import annotations

import pickle
import tempfile
from pathlib import Path
from typing import Any

import sklearn

from ..run import Run
from ._common import flat_params, log_arrays, the_run


def fit_and_log(estimator: Any, X: Any, y: Any = None, *, run: Run | None = None, eval_sets: dict | None = None,
                dataset: str | None = None, register_as: str | None = None, alias: str | None = None,
                log_model: bool = True, **fit_params: Any) -> Any:
    run = the_run(run)
    params = {f"{type(estimator).__name__}.{k}": v for k, v in estimator.get_params(deep=False).items()}
    run.log_params(flat_params({**params, "sklearn.version": sklearn.__version__, "estimator": type(estimator).__name__}))
    log_arrays(run, dataset, X, y, role="train")
    estimator.fit(X, y, **fit_params)
    scores = {"train/score": float(estimator.score(X, y))} if hasattr(estimator, "score") and y is not None else {}
    for name, (Xe, ye) in (eval_sets or {}).items():
        scores[f"{name}/score"] = float(estimator.score(Xe, ye))
        log_arrays(run, dataset and f"{dataset}-{name}", Xe, ye, role=name)
    if scores:
        run.log(scores, step=0)
    if log_model:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "model.pkl"
            path.write_bytes(pickle.dumps(estimator))
            run.log_model(path, register_as=register_as, alias=alias)
    return estimator
