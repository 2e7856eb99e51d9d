"""Console capture: what the process writes to sys.stdout and sys.stderr still reaches the
terminal, and a copy becomes the run's CONSOLE artifact (`console.log`, key "console") when
the run ends, so the run page can show its tail."""
from __future__ import annotations

import sys
import tempfile
import threading
from typing import Any, Callable

MAX_BYTES = 64 << 20  # a runaway printer must not fill the disk: the rest is cut, and says so


class _Tee:
    def __init__(self, stream: Any, sink: Any, lock: threading.Lock, budget: list):
        self._stream, self._sink, self._lock, self._budget = stream, sink, lock, budget

    def write(self, text: str) -> int:
        n = self._stream.write(text)
        with self._lock:
            if self._budget[0] > 0:
                data = text.encode("utf-8", "replace")[: self._budget[0]]
                self._sink.write(data)
                self._budget[0] -= len(data)
                if self._budget[0] <= 0:
                    self._sink.write(b"\n[runledger: console capture stopped at 64 MiB]\n")
        return n

    def flush(self) -> None:
        self._stream.flush()

    def __getattr__(self, name: str) -> Any:  # isatty, fileno, encoding... as the real stream
        return getattr(self._stream, name)


def capture(run: Any) -> Callable[[], None]:
    """Starts copying stdout and stderr; the returned function stops and uploads the copy."""
    sink = tempfile.TemporaryFile()
    lock = threading.Lock()
    budget = [MAX_BYTES]
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _Tee(out, sink, lock, budget), _Tee(err, sink, lock, budget)

    def close() -> None:
        if isinstance(sys.stdout, _Tee) and sys.stdout._sink is sink:
            sys.stdout = out
        if isinstance(sys.stderr, _Tee) and sys.stderr._sink is sink:
            sys.stderr = err
        with lock:
            sink.seek(0)
            data = sink.read()
            sink.close()
        run._upload(data, "console.log", "CONSOLE", "text/plain; charset=utf-8", "console", None)

    return close
