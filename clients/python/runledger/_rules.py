"""The server's input rules, from the spec both sides read (input-rules.json, a copy of the
repository's schema/input-rules.json): log() refuses in the caller's thread exactly what the
server would refuse, so nothing is found bad later in the writer thread, after it was lost."""
from __future__ import annotations

import json
import math
import numbers
import unicodedata
from importlib import resources
from typing import Any

from ._http import RunledgerError

RULES: dict = json.loads(resources.files(__package__).joinpath("input-rules.json").read_text(encoding="utf-8"))
LIMITS: dict = RULES["limits"]
_KEY = RULES["key"]
_KEY_CATEGORIES = tuple(_KEY["categories"])
_KEY_CHARACTERS = frozenset(_KEY["characters"])
_NAME_FORBIDDEN = tuple(RULES["displayName"]["forbiddenCategories"])
STEP_MIN, STEP_MAX = RULES["step"]["min"], RULES["step"]["max"]
_TEXT = RULES["text"]
_ok_keys: set = set()  # keys already checked: a training loop logs the same few keys a million times


class InvalidInput(RunledgerError, ValueError):
    """A value the server would refuse, found before sending; `field` names it and the message the rule."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}", code="BAD_USER_INPUT", field=field)


def _key_char(ch: str) -> bool:
    return ch in _KEY_CHARACTERS or unicodedata.category(ch)[0] in _KEY_CATEGORIES


def key_problem(key: Any) -> str | None:
    """Why `key` breaks the key rule, or None when it keeps it (same wording as the server)."""
    if not isinstance(key, str):
        return f"must be a string (got {type(key).__name__} {key!r:.80})"
    if key == "":
        return "must not be empty"
    if len(key) > _KEY["maxLength"]:
        return f"must be at most {_KEY['maxLength']} characters (got {len(key)})"
    bad = next((ch for ch in key if not _key_char(ch)), None)
    if bad is not None:
        return (f"{json.dumps(key, ensure_ascii=False)} contains {json.dumps(bad, ensure_ascii=False)} (U+{ord(bad):04X}); keys may only use letters, digits, "
                "marks, '_', '.', '-', '/', ':' and spaces")
    if _KEY["noLeadingSlash"] and key.startswith("/"):
        return f"{json.dumps(key, ensure_ascii=False)} must not start with '/'"
    segment = next((s for s in key.split("/") if s in _KEY["forbiddenSegments"]), None)
    if segment is not None:
        return f"{json.dumps(key, ensure_ascii=False)} must not contain a {json.dumps(segment, ensure_ascii=False)} path segment"
    return None


def require_key(field: str, key: Any) -> str:
    if key in _ok_keys:
        return key
    problem = key_problem(key)
    if problem:
        raise InvalidInput(field, problem)
    if len(_ok_keys) < 100_000:
        _ok_keys.add(key)
    return key


def text_problem(value: str) -> str | None:
    """Why `value` is not text the server can store (the spec's text rule, which every door
    applies to every string), or None. Python strings can hold what JSON then sends as a lone
    surrogate (\\ud800), which the server refuses."""
    if _TEXT["forbidNul"] and "\x00" in value:
        return "must not contain the NUL character (U+0000)"
    if _TEXT["forbidLoneSurrogates"] and any("\ud800" <= ch <= "\udfff" for ch in value):
        return "must not contain a lone UTF-16 surrogate (such as \\ud800): send well-formed Unicode"
    return None


def require_text(field: str, value: str) -> str:
    problem = text_problem(value)
    if problem:
        raise InvalidInput(field, problem)
    return value


def require_name(field: str, value: str, max_length: int = LIMITS["nameLength"]) -> str:
    text = require_text(field, str(value)).strip()
    if not text:
        raise InvalidInput(field, "must not be empty")
    if len(text) > max_length:
        raise InvalidInput(field, f"must be at most {max_length} characters (got {len(text)})")
    bad = next((ch for ch in text if unicodedata.category(ch) in _NAME_FORBIDDEN), None)
    if bad is not None:
        raise InvalidInput(field, f"must not contain control characters (found U+{ord(bad):04X})")
    return text


def require_max_length(field: str, value: str, max_length: int) -> str:
    """Free text (param and tag values, notes): the text rule and a length."""
    require_text(field, value)
    if len(value) > max_length:
        raise InvalidInput(field, f"must be at most {max_length} characters (got {len(value)})")
    return value


def metric_value(field: str, value: Any) -> float:
    """A float the server takes: ints, floats, bools and numpy/torch scalars; never None or text."""
    if isinstance(value, float):
        return value
    if isinstance(value, numbers.Real):  # int, bool, numpy floating and integer scalars, Fraction
        return float(value)
    item = getattr(value, "item", None)
    if item is not None and getattr(value, "ndim", 0) == 0 and getattr(value, "size", 1) == 1:
        try:  # a 0-d array or a one-element tensor
            inner = item()
        except (TypeError, ValueError, RuntimeError):
            inner = None
        if isinstance(inner, numbers.Real):
            return float(inner)
    kind = "None" if value is None else type(value).__name__
    raise InvalidInput(field, f"must be a number (int, float, bool or a numpy/torch scalar), got {kind} {value!r:.80}")


def require_step(field: str, step: Any) -> int:
    if isinstance(step, bool) or not isinstance(step, numbers.Integral):
        raise InvalidInput(field, f"must be an integer (got {type(step).__name__} {step!r:.40})")
    step = int(step)
    if not STEP_MIN <= step <= STEP_MAX:
        raise InvalidInput(field, f"must be between {STEP_MIN} and {STEP_MAX} (got {step})")
    return step


def wire_value(v: float) -> Any:
    """The JSON form: NaN and the infinities as the strings the server takes."""
    if v != v:
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return v
