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
# Aim runs in-process in its own venv (bench/peers/aim_peer.py); a failed build is reported, not fatal.
if aim_venv="$(scripts/pyenv peer-aim bench/peers/requirements-aim.txt)"; then
  export PEERS_AIM_PYTHON="$aim_venv/bin/python"
fi
exec "$mlflow_venv/bin/python" bench/peers/peers.py "$@"
