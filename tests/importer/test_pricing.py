"""Pricing reproduces Claude Code's own cost, and the fast path equals genai-prices."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccotel.claude.pricing import Pricer, TokenCounts, library_price, normalize_model
from tests.conftest import SCENARIOS, capture_requests
from tests.importer.corpus import FIXTURE

ANTHROPIC_MODELS = ("claude-opus-5-5", "claude-sonnet-4-5-20250929", "claude-opus-4-6",
                    "claude-haiku-4-5", "claude-opus-4-1-20250805", "claude-sonnet-4-20250514",
                    "claude-3-5-haiku-20241022", "claude-opus-4-8", "claude-sonnet-4-6")


def _api_requests() -> list[dict[str, object]]:
    out = []
    for name in SCENARIOS:
        for req in capture_requests(name):
            if req["path"] != "/v1/logs":
                continue
            for rl in req["body"]["resourceLogs"]:
                for sl in rl["scopeLogs"]:
                    for rec in sl["logRecords"]:
                        a = {x["key"]: next(iter(x["value"].values())) for x in rec["attributes"]}
                        if a.get("event.name") == "api_request":
                            out.append({**a, "time": int(rec["timeUnixNano"])})
    return out


def test_every_captured_api_request_costs_what_claude_code_said() -> None:
    events = _api_requests()
    assert events
    p = Pricer()
    for a in events:
        keys = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_creation_tokens",
                "cache_creation_5m_tokens", "cache_creation_1h_tokens")
        n = {k: int(str(a.get(k, 0))) for k in keys}
        one_h = n["cache_creation_1h_tokens"]
        five_m = n["cache_creation_5m_tokens"] or n["cache_creation_tokens"] - one_h
        when = datetime.fromtimestamp(int(str(a["time"])) / 1e9, tz=UTC)
        got = p.price(str(a["model"]), when, TokenCounts(
            n["input_tokens"], n["output_tokens"], n["cache_read_tokens"], five_m, one_h),
            str(a.get("speed")))
        assert got is not None
        assert float(got) == pytest.approx(float(str(a["cost_usd"])), abs=1e-12)


def test_split_cache_writes_match_the_cost_claude_code_recorded_in_its_transcript() -> None:
    # The real session priced 5-minute and 1-hour writes apart; its cost-state line holds
    # Claude Code's own total.
    lines = [json.loads(x) for x in FIXTURE.read_text().splitlines()]
    total = next(d["totalCostUSD"] for d in lines if d["type"] == "cost-state")
    seen: dict[str, Decimal] = {}
    p = Pricer()
    for d in lines:
        if d["type"] != "assistant":
            continue
        u = d["message"]["usage"]
        assert u["cache_creation"]["ephemeral_1h_input_tokens"] > 0
        when = datetime.fromisoformat(d["timestamp"])
        cost = p.price(d["message"]["model"], when, TokenCounts(
            u["input_tokens"], u["output_tokens"], u["cache_read_input_tokens"],
            u["cache_creation"]["ephemeral_5m_input_tokens"],
            u["cache_creation"]["ephemeral_1h_input_tokens"]))
        assert cost is not None
        seen[d["requestId"]] = cost
    assert float(sum(seen.values())) == pytest.approx(total, abs=1e-12)


def test_one_hour_writes_cost_more_than_five_minute_writes() -> None:
    p, when = Pricer(), datetime(2026, 11, 1, tzinfo=UTC)
    five = p.price("claude-sonnet-4-5", when, TokenCounts(cache_write_5m=100_000))
    hour = p.price("claude-sonnet-4-5", when, TokenCounts(cache_write_1h=100_000))
    assert (five, hour) == (Decimal("0.375"), Decimal("0.6"))  # 1.25x and 2x of $3/MTok
    # Past 200k input tokens Sonnet 4.5 bills every token at the long-context rate.
    long = p.price("claude-sonnet-4-5", when, TokenCounts(cache_write_1h=300_000))
    assert long == Decimal("3.6")


@settings(max_examples=300, deadline=None)
@given(model=st.sampled_from(ANTHROPIC_MODELS),
       day=st.dates(min_value=datetime(2025, 1, 1).date(), max_value=datetime(2027, 1, 1).date()),
       fast=st.booleans(),
       counts=st.tuples(*[st.integers(0, 400_000)] * 5))
def test_fast_path_equals_genai_prices(model: str, day: object, fast: bool,
                                       counts: tuple[int, int, int, int, int]) -> None:
    when = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)  # type: ignore[attr-defined]
    t = TokenCounts(*counts)
    speed = "fast" if fast else None
    assert Pricer().price(model, when, t, speed) == library_price(model, when, t, speed)


def test_unknown_models_are_unpriced_and_remembered() -> None:
    p = Pricer()
    assert p.price("gpt-4o", datetime(2026, 1, 1, tzinfo=UTC), TokenCounts(10)) is None
    assert p.unpriced == {"gpt-4o"}


@pytest.mark.parametrize("raw,expected", [
    ("us.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5-20250929"),
    ("claude-sonnet-4-5@20250929", "claude-sonnet-4-5-20250929"),
    ("claude-opus-5-5", "claude-opus-5-5"),
])
def test_cloud_model_names_are_normalised(raw: str, expected: str) -> None:
    assert normalize_model(raw) == expected
    assert Pricer().price(raw, datetime(2026, 1, 1, tzinfo=UTC), TokenCounts(1)) is not None
