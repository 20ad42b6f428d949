"""The API's JSON bodies: standard JSON whatever the store holds.

OTLP allows NaN and ±Infinity in doubles, so a stored attribute, a metric point or a sum
over them can be non-finite, and JSON has no spelling for those: Starlette's encoder
refuses them (a 500), Python's would write `NaN`, which no JSON parser reads. Here they
become `null`, the value the API already uses for "no number". The common case costs
nothing extra: the body is only walked when a first encoding finds a non-finite value.
"""

from __future__ import annotations

import json
import math
from typing import Any

from starlette.responses import JSONResponse


def finite(value: Any) -> Any:
    """`value` with every non-finite float replaced by None, at any depth."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    return value


def dumps(content: Any) -> bytes:
    def encode(c: Any) -> bytes:
        return json.dumps(c, ensure_ascii=False, allow_nan=False, indent=None,
                          separators=(",", ":")).encode("utf-8")
    try:
        return encode(content)
    except ValueError:  # a NaN or an infinity somewhere
        return encode(finite(content))


class ApiJSON(JSONResponse):
    """A JSONResponse whose non-finite numbers are null."""

    def render(self, content: Any) -> bytes:
        return dumps(content)
