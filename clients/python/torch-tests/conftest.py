"""The PyTorch suite reuses the core suite's fixtures (a started server, a clean client
environment); only the libraries differ, so it runs in its own cached virtualenv. Nothing may
reach the Hugging Face Hub (it cannot be reached from here, and a test must not depend on it):
the models are built from configs."""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"  # before transformers or huggingface_hub is imported anywhere
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

_spec = importlib.util.spec_from_file_location("pyclient_fixtures", Path(__file__).resolve().parents[1] / "tests" / "conftest.py")
fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fixtures)

server = fixtures.server
client_env = fixtures.client_env
