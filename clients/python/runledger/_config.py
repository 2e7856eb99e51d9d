"""Where the server is and who we are: arguments, then RUNLEDGER_URL/RUNLEDGER_TOKEN, then the
file `runledger login` writes, then the local default."""
from __future__ import annotations

import json
import os
from pathlib import Path

DEFAULT_URL = "http://127.0.0.1:4000"


def config_path() -> Path:
    if os.environ.get("RUNLEDGER_CONFIG"):
        return Path(os.environ["RUNLEDGER_CONFIG"])
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "runledger" / "config.json"


def spool_dir() -> Path:
    if os.environ.get("RUNLEDGER_SPOOL_DIR"):
        return Path(os.environ["RUNLEDGER_SPOOL_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "runledger" / "spool"


def _saved() -> dict:
    try:
        return json.loads(config_path().read_text())
    except (OSError, ValueError):
        return {}


def resolve(url: str | None = None, token: str | None = None) -> tuple[str, str | None]:
    saved = _saved()
    url = url or os.environ.get("RUNLEDGER_URL") or saved.get("url") or DEFAULT_URL
    if token is None:
        token = os.environ.get("RUNLEDGER_TOKEN") or (saved.get("token") if saved.get("url", url).rstrip("/") == url.rstrip("/") else None)
    return url.rstrip("/").removesuffix("/graphql"), token


def save(url: str, token: str | None) -> Path:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(str(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump({"url": url, "token": token}, f)
    return path
