"""One transcript line -> rows: real lines from Claude Code 2.1.332, and the odd ones."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ccotel.claude.pricing import Pricer
from ccotel.importer.transcript import (
    MalformedLine,
    event_key,
    looks_like_json_object,
    parse_line,
    parse_ts,
)
from tests.importer.corpus import FIXTURE, dumps


def real_lines() -> list[dict[str, Any]]:
    return [json.loads(x) for x in FIXTURE.read_text().splitlines()]


def assistant(**changes: Any) -> dict[str, Any]:
    d = next(x for x in real_lines() if x["type"] == "assistant")
    d = json.loads(json.dumps(d))
    for path, value in changes.items():
        node = d
        keys = path.split("__")
        for k in keys[:-1]:
            node = node[k]
        if value is None:
            node.pop(keys[-1], None)
        else:
            node[keys[-1]] = value
    return d


def parse(d: dict[str, Any] | str) -> Any:
    raw = (d if isinstance(d, str) else dumps(d)).encode()
    return parse_line(raw, Pricer())


def test_a_real_assistant_line_becomes_an_api_request_row() -> None:
    d = assistant()
    [row] = [r for r in parse(d).rows if r["event_name"] == "api_request"]
    u = d["message"]["usage"]
    assert row["event_key"] == f"tx:{d['message']['id']}:{d['requestId']}"
    assert row["source"] == "transcript"
    assert row["request_id"] == d["requestId"]
    assert row["session_id"] == d["sessionId"]
    assert row["project"] == d["cwd"] and row["git_branch"] == d["gitBranch"]
    assert row["app_version"] == d["version"]
    assert row["model"] == "claude-opus-5-5"
    assert (row["input_tokens"], row["output_tokens"], row["cache_read_tokens"]) == (
        u["input_tokens"], u["output_tokens"], u["cache_read_input_tokens"])
    assert row["cache_creation_5m_tokens"] == u["cache_creation"]["ephemeral_5m_input_tokens"]
    assert row["cache_creation_1h_tokens"] == u["cache_creation"]["ephemeral_1h_input_tokens"]
    assert row["cache_creation_tokens"] == u["cache_creation_input_tokens"]
    assert row["cost_usd"] == pytest.approx(0.0084)  # what Claude Code charged for it
    assert parse_ts(d["timestamp"]) == row["time_unix_nano"]


def test_tool_use_blocks_become_tool_rows() -> None:
    d = next(x for x in real_lines() if x["type"] == "assistant"
             and x["message"]["content"][0]["type"] == "tool_use")
    tools = [r for r in parse(d).rows if r["event_name"] == "tool_use"]
    block = d["message"]["content"][0]
    assert [(t["tool_name"], t["tool_use_id"], t["event_key"]) for t in tools] == [
        (block["name"], block["id"], f"txtool:{block['id']}")]


def test_without_the_split_the_flat_cache_write_counts_as_five_minutes() -> None:
    d = assistant(message__usage__cache_creation=None)
    row = parse(d).rows[0]
    flat = d["message"]["usage"]["cache_creation_input_tokens"]
    assert (row["cache_creation_tokens"], row["cache_creation_5m_tokens"],
            row["cache_creation_1h_tokens"]) == (flat, flat, 0)


def test_the_split_wins_over_the_flat_field_as_in_ccusage() -> None:
    d = assistant(message__usage__cache_creation_input_tokens=999_999)
    assert parse(d).rows[0]["cache_creation_tokens"] == 300


def test_a_recorded_cost_wins_over_the_price_table() -> None:
    d = assistant(costUSD=1.25)
    assert parse(d).rows[0]["cost_usd"] == 1.25


def test_unknown_model_has_no_cost() -> None:
    assert parse(assistant(message__model="acme-7")).rows[0]["cost_usd"] is None


def test_sidechain_flag_is_kept() -> None:
    row = parse(assistant(isSidechain=True)).rows[0]
    assert json.loads(row["attributes"])["is_sidechain"] is True


@pytest.mark.parametrize("change,reason", [
    ({"message__model": "<synthetic>"}, "synthetic"),
    ({"requestId": ""}, "invalid"),
    ({"message__id": ""}, "invalid"),
    ({"sessionId": ""}, "invalid"),
    ({"version": "dev"}, "invalid"),
    ({"timestamp": "yesterday"}, "invalid"),
])
def test_lines_ccusage_skips_are_skipped(change: dict[str, Any], reason: str) -> None:
    parsed = parse(assistant(**change))
    assert parsed.rows == [] and parsed.skipped == reason


@pytest.mark.parametrize("change", [{"message__usage__input_tokens": None},
                                    {"message__usage__output_tokens": "12"}])
def test_usage_without_integer_tokens_is_not_a_request(change: dict[str, Any]) -> None:
    assert parse(assistant(**change)).rows == []


def test_non_usage_lines_yield_nothing() -> None:
    for d in real_lines():
        if d["type"] != "assistant":
            assert parse(d).rows == []


def test_subagent_progress_lines_count_their_nested_response() -> None:
    inner = assistant(isSidechain=True)
    line = {"type": "progress", "sessionId": inner["sessionId"], "cwd": "/w",
            "data": {"message": {"timestamp": inner["timestamp"], "requestId": "req_p",
                                 "isSidechain": True, "message": inner["message"]}}}
    row = parse(line).rows[0]
    assert row["request_id"] == "req_p" and row["session_id"] == inner["sessionId"]
    assert row["project"] == "/w"
    assert json.loads(row["attributes"])["is_sidechain"] is True


@pytest.mark.parametrize("raw", ['{"message":{"usage":{"inp', "[1, 2]", "nope"])
def test_malformed_lines_raise(raw: str) -> None:
    with pytest.raises(MalformedLine):
        parse_line(raw.encode(), Pricer())


def test_cheap_shape_check() -> None:
    assert looks_like_json_object(b'{"a": 1}\n') and looks_like_json_object(b"\n")
    assert not looks_like_json_object(b"garbage\n")
    assert not looks_like_json_object(b'{"cut": "in ha')


def test_keys_without_request_id_follow_ccusage() -> None:
    # Real Anthropic ids are unique per response: copies at other times still collapse.
    assert event_key("msg_1", None, "s", 1_000_000_000, b"") == event_key(
        "msg_1", None, "s", 2_000_000_000, b"")
    # Gateway ids are not: another timestamp or session is another request.
    assert event_key("gw", None, "s", 1_000_000_000, b"") != event_key(
        "gw", None, "s", 2_000_000_000, b"")
    assert event_key("gw", None, "a", 1, b"") != event_key("gw", None, "b", 1, b"")
    # Without a message id the line itself is the identity.
    assert event_key(None, None, "s", 1, b"x\n") == event_key(None, None, "s", 1, b"x")


def test_timestamps_keep_microseconds() -> None:
    assert parse_ts("2026-11-27T04:45:16.964Z") == 1795754716964000000
    assert parse_ts("2026-11-27T04:45:16.964123+00:00") == 1795754716964123000
    assert parse_ts(None) is None
