"""Rich data as the server's media contract (docs/media.md) defines it: images (numpy arrays,
PIL images, PNG/JPEG bytes or files), tables (pandas DataFrames, or columns and rows),
histograms (values, or numpy's bins and counts) and matplotlib figures, each an artifact with a
`key` and a `step`; and the process's console output as a CONSOLE artifact. Encoding needs only
the standard library (PNG is written with zlib); numpy, PIL and matplotlib are used when given."""
from __future__ import annotations

import io
import json
import math
import struct
import zlib
from pathlib import Path
from typing import Any

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
IMAGE_TYPES = {b"\x89PNG": "image/png", b"\xff\xd8\xff": "image/jpeg", b"GIF8": "image/gif"}


def media_name(key: str, step: int | None, index: int, ext: str) -> str:
    """`<key>/<step>/<index>.<ext>` as the contract asks (several images at one step differ by index)."""
    return f"{key}/{step}/{index}.{ext}" if step is not None else f"{key}/{index}.{ext}"


# ---- images ----------------------------------------------------------------------------------------
def image_bytes(image: Any) -> tuple[bytes, str]:
    """(bytes, media type) of an image: PNG/JPEG/GIF bytes or a file, a PIL image, or an array
    (H x W grey, H x W x 3 RGB, H x W x 4 RGBA; uint8, or floats in 0..1)."""
    if isinstance(image, (str, Path)):
        image = Path(image).read_bytes()
    if isinstance(image, (bytes, bytearray)):
        data = bytes(image)
        for magic, media_type in IMAGE_TYPES.items():
            if data.startswith(magic):
                return data, media_type
        if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
            return data, "image/webp"
        raise ValueError("image bytes must be PNG, JPEG, GIF or WebP (SVG is refused: it can carry script)")
    if hasattr(image, "save") and hasattr(image, "mode"):  # PIL.Image.Image
        buf = io.BytesIO()
        image.save(buf, format="PNG")
        return buf.getvalue(), "image/png"
    return encode_png(image), "image/png"


def encode_png(array: Any) -> bytes:
    """An array-like image as PNG, with zlib alone (no imaging library needed)."""
    rows = array.tolist() if hasattr(array, "tolist") else array
    if not rows or not isinstance(rows, list) or not isinstance(rows[0], list) or not rows[0]:
        raise ValueError("an image array must be H x W, H x W x 3 or H x W x 4")
    height, width = len(rows), len(rows[0])
    first = rows[0][0]
    channels = len(first) if isinstance(first, list) else 1
    if channels not in (1, 3, 4):
        raise ValueError(f"an image needs 1, 3 or 4 channels (got {channels})")
    flat = [v for row in rows for px in row for v in (px if channels > 1 else (px,))]
    if len(flat) != height * width * channels:
        raise ValueError("every row of an image must have the same width")
    is_float = any(isinstance(v, float) for v in flat[:1000]) or getattr(getattr(array, "dtype", None), "kind", "") == "f"
    if is_float:
        flat = [0 if (v != v) else max(0, min(255, int(round(v * 255)))) for v in flat]
    else:
        flat = [max(0, min(255, int(v))) for v in flat]
    stride = width * channels
    raw = b"".join(b"\x00" + bytes(flat[y * stride:(y + 1) * stride]) for y in range(height))
    color = {1: 0, 3: 2, 4: 6}[channels]

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, color, 0, 0, 0)
    return PNG_MAGIC + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")


def figure_png(figure: Any) -> bytes:
    """A matplotlib figure rendered to PNG (the Agg backend needs no display)."""
    buf = io.BytesIO()
    figure.savefig(buf, format="png", bbox_inches="tight")
    return buf.getvalue()


# ---- tables and histograms ---------------------------------------------------------------------
def table_json(table: Any, columns: list | None = None) -> bytes:
    """pandas' orient="split" form, {"columns": [...], "data": [[...]]}, from a DataFrame, a list
    of dicts, rows with columns=, or a dict of columns."""
    if hasattr(table, "to_json") and hasattr(table, "columns"):
        return table.to_json(orient="split", index=False).encode()
    if isinstance(table, dict) and "columns" in table and "data" in table:
        cols, data = list(table["columns"]), [list(r) for r in table["data"]]
    elif isinstance(table, dict):
        cols = list(table)
        data = [list(r) for r in zip(*table.values())]
    elif columns is not None:
        cols, data = list(columns), [list(r) for r in table]
    else:
        rows = list(table)
        cols = list(dict.fromkeys(k for r in rows for k in r))
        data = [[r.get(c) for c in cols] for r in rows]
    clean = [[None if isinstance(v, float) and not math.isfinite(v) else _plain(v) for v in row] for row in data]
    return json.dumps({"columns": [str(c) for c in cols], "data": clean}, allow_nan=False).encode()


def _plain(v: Any) -> Any:
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if hasattr(v, "item"):
        return v.item()
    return str(v)


def histogram_json(values: Any = None, bins: int = 64, counts: Any = None, edges: Any = None) -> bytes:
    """{"bins": n + 1 edges, "counts": n} as numpy.histogram gives, from values or given as such."""
    if counts is None:
        data = [float(v) for v in (values.ravel().tolist() if hasattr(values, "ravel") else values)]
        data = [v for v in data if math.isfinite(v)]
        try:
            import numpy

            c, e = numpy.histogram(numpy.asarray(data, dtype=float), bins=bins)
            counts, edges = c.tolist(), e.tolist()
        except ImportError:
            lo, hi = (min(data), max(data)) if data else (0.0, 1.0)
            if lo == hi:
                lo, hi = lo - 0.5, hi + 0.5
            width = (hi - lo) / bins
            edges = [lo + i * width for i in range(bins)] + [hi]
            counts = [0] * bins
            for v in data:
                counts[min(bins - 1, int((v - lo) / width))] += 1
    return json.dumps({"bins": [float(e) for e in edges], "counts": [int(c) for c in counts]}).encode()
