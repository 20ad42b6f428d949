"""Statusline inputs and telemetry with known numbers, for the limits tests."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from tests.web.known import USERS, event, logs

# The statusline input recorded from the real CLI (an API-key run: no rate_limits).
RECORDED = Path(__file__).resolve().parents[1] / "data" / "claude-inputs" / "statusline.json"


def statusline_input(session: str, *, five: tuple[float, float] | None = None,
                     seven: tuple[float, float] | None = None,
                     cost: float = 0.5) -> dict[str, Any]:
    """The recorded input for `session`, with `rate_limits` as the docs describe them
    ((used %, resets_at epoch seconds) per window) when given."""
    data = copy.deepcopy(json.loads(RECORDED.read_text()))
    data["session_id"] = session
    data["cost"]["total_cost_usd"] = cost
    limits = {}
    if five:
        limits["five_hour"] = {"used_percentage": five[0], "resets_at": five[1]}
    if seven:
        limits["seven_day"] = {"used_percentage": seven[0], "resets_at": seven[1]}
    if limits:
        data["rate_limits"] = limits
    return data


def send_requests(base: str, user: str, session: str,
                  requests: list[tuple[datetime, float]]) -> None:
    """api_request events (time, cost) for `user` in `session`, over OTLP/HTTP JSON."""
    USERS.setdefault(user, ("u-" + user[:8], "xterm", "2.1.332"))
    records = [event(t.replace(tzinfo=None), user, session, i, "api_request",
                     model="claude-opus-4-8", input_tokens=100, output_tokens=10,
                     cache_read_tokens=0, cache_creation_tokens=0, cost_usd=c,
                     duration_ms=100, request_id=f"req_{session}_{i}")
               for i, (t, c) in enumerate(requests, 1)]
    resp = httpx.post(f"{base}/v1/logs", json=logs(user, records), timeout=30)
    resp.raise_for_status()


def post_snapshot(ui: str, data: dict[str, Any], host: str, **extra: Any) -> httpx.Response:
    return httpx.post(f"{ui}/api/v1/limits/snapshot",
                      json={"input": data, "host": host, **extra}, timeout=30)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
