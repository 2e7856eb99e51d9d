"""The integrations' suite reuses the core suite's fixtures (a started server, a clean client
environment); only the frameworks differ, so it runs in its own cached virtualenv."""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")  # before keras is imported anywhere
os.environ.setdefault("JAX_PLATFORMS", "cpu")

_spec = importlib.util.spec_from_file_location("pyclient_fixtures", Path(__file__).resolve().parents[1] / "tests" / "conftest.py")
fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fixtures)

server = fixtures.server
client_env = fixtures.client_env
