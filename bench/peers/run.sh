#!/usr/bin/env bash
# `npm run bench:peers`: builds (once, cached) the peers' pinned virtualenvs, then runs peers.py.
set -euo pipefail
cd "$(dirname "$0")/../.."
mlflow_venv="$(scripts/pyenv peer-mlflow bench/peers/requirements-mlflow.txt)"
export PEERS_MLFLOW_BIN="$mlflow_venv/bin/mlflow"
# FastTrackML's wheel ships its Go binary (fml); a missing wheel for this platform is reported, not fatal.
if fml_venv="$(scripts/pyenv peer-fasttrackml bench/peers/requirements-fasttrackml.txt)"; then
  export PEERS_FML_BIN="$fml_venv/bin/fml"
fi
# mlflow-go-backend: a Go server in front of MLflow's Python one, same MLflow version; not fatal either.
# Pinned at 0.2.0: 0.2.2, the newest, writes every logged metric into logged_model_metrics
# with model_id '' as well, which MLflow 3's schema rejects (foreign key), so log-batch fails.
if go_venv="$(scripts/pyenv peer-mlflow-go bench/peers/requirements-mlflow-go.txt)"; then
  export PEERS_MLFLOW_GO_BIN="$go_venv/bin/mlflow-go"
fi
# Aim runs in-process in its own venv (bench/peers/aim_peer.py); a failed build is reported, not fatal.
if aim_venv="$(scripts/pyenv peer-aim bench/peers/requirements-aim.txt)"; then
  export PEERS_AIM_PYTHON="$aim_venv/bin/python"
fi
exec "$mlflow_venv/bin/python" bench/peers/peers.py "$@"
