"""docs/governance.md, executed as written: every ```bash block in order in one shell, every
```python title="FILE"``` block written to FILE first, against a server with authentication on.
Blocks after a `<!-- not run by the docs test ... -->` comment are skipped (they start a server)."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from conftest import REPO
from support.server import start_server
from test_governance import admin_token

DOC = REPO / "docs" / "governance.md"
BLOCK = re.compile(r"(<!--[^\n]*-->\n)?```(\w+)([^\n]*)\n(.*?)\n```", re.S)


def blocks(text: str):
    for m in BLOCK.finditer(text):
        skip, lang, info, body = m.groups()
        if skip and "not run by the docs test" in skip:
            continue
        title = re.search(r'title="([^"]+)"', info)
        yield lang, (title.group(1) if title else None), body


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_governance_walkthrough_runs_as_written(tmp_path):
    data_dir = tempfile.mkdtemp(prefix="runledger-doc-")
    admin = admin_token(data_dir)
    fast = {"RUNLEDGER_AUTH": "on", "RUNLEDGER_WEBHOOK_POLL_MS": "100", "RUNLEDGER_WEBHOOK_RETRY_BASE_MS": "200"}
    with start_server(env=fast, data_dir=data_dir) as server:
        script = ["set -euo pipefail"]
        for lang, title, body in blocks(DOC.read_text()):
            if lang == "python" and title:
                (tmp_path / title).write_text(body + "\n")
            elif lang == "bash":
                script.append(body)
            else:
                raise AssertionError(f"a {lang} block without a file title: the test cannot run it")
        env = {**os.environ, "RUNLEDGER_URL": server.url, "ADMIN_TOKEN": admin, "DEPLOY_PORT": str(free_port()),
               "RUNLEDGER_CONFIG": str(tmp_path / "config.json"), "RUNLEDGER_SPOOL_DIR": str(tmp_path / "spool"),
               # The client's venv first, as for a user who installed runledger.
               "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
        env.pop("RUNLEDGER_TOKEN", None)
        out = subprocess.run(["bash", "-c", "\n".join(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, f"stdout:\n{out.stdout}\nstderr:\n{out.stderr}"
    text = out.stdout
    assert "registered churn-model v1" in text
    assert "churn-model@1 -> production needs approval; filed request 1" in text
    assert "approved; the alias moved" in text
    assert "deploying churn-model v1 (promotion request 1)" in text
    assert "promotion.requested: churn-model 1" in text
    assert "churn: 1 run(s) since 1d keep the conventions" in text
    assert "['ship it']" in text
    assert (tmp_path / "churn-model-v1.html").read_text().startswith("<!doctype html>")
    assert '"runsToDelete":0' in text
    assert "val_auc is 0.84\n" in text
