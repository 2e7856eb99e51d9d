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
exec "$mlflow_venv/bin/python" bench/peers/peers.py "$@"
