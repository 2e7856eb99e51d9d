"""System metrics sampled in the background as `system/*`: CPU and memory (from /proc, or the
os module elsewhere), and GPU utilization and memory when nvidia-smi is there."""
from __future__ import annotations

import os
import time

from .capture import nvidia_smi

_last_cpu: tuple[float, float] | None = None


def _cpu_percent() -> float | None:
    global _last_cpu
    try:
        with open("/proc/stat") as f:
            parts = [float(x) for x in f.readline().split()[1:]]
    except OSError:
        return None
    idle, total = parts[3] + (parts[4] if len(parts) > 4 else 0), sum(parts)
    prev, _last_cpu = _last_cpu, (idle, total)
    if prev is None or total == prev[1]:
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
        return None if load is None else min(100.0, 100.0 * load / (os.cpu_count() or 1))
    return 100.0 * (1 - (idle - prev[0]) / (total - prev[1]))


def _memory() -> dict:
    try:
        info = {}
        with open("/proc/meminfo") as f:
            for line in f:
                key, value = line.split(":", 1)
                info[key] = float(value.split()[0]) * 1024
        used = info["MemTotal"] - info.get("MemAvailable", info.get("MemFree", 0))
        return {"system/memory_used_gb": used / 1e9, "system/memory_percent": 100.0 * used / info["MemTotal"]}
    except (OSError, KeyError, ValueError):
        return {}


def sample() -> dict:
    values: dict = {}
    cpu = _cpu_percent()
    if cpu is not None:
        values["system/cpu_percent"] = cpu
    values.update(_memory())
    rows = nvidia_smi("utilization.gpu,memory.used,memory.total")
    for i, row in enumerate(rows or []):
        try:
            util, used, total = (float(x) for x in row[:3])
        except ValueError:
            continue
        values[f"system/gpu{i}_utilization_percent"] = util
        values[f"system/gpu{i}_memory_used_mb"] = used
        values[f"system/gpu{i}_memory_percent"] = 100.0 * used / total if total else 0.0
    return values


if __name__ == "__main__":  # handy for a quick look: python -m runledger.sysmetrics
    print(sample())
    time.sleep(0.5)
    print(sample())
