#!/usr/bin/env bash
# `npm run bench:scaling:plot`: draws bench/results/scaling-*.png from bench/results/scaling.json
# with matplotlib from a cached, pinned virtualenv (scripts/pyenv).
set -euo pipefail
cd "$(dirname "$0")/../.."
venv="$(scripts/pyenv plot bench/scaling/requirements-plot.txt)"
exec "$venv/bin/python" bench/scaling/plot.py "$@"
