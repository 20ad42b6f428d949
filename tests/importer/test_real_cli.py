"""With the real Claude Code CLI (pinned, against the stub API): the transcripts it writes
import to its own totals, its telemetry and its transcript count once together, and the
checked-in fixture still has the shapes the CLI writes."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.anthropic_stub import AnthropicStub
from tests.e2e.claude_cli import otel_env, run_claude
from tests.importer.corpus import FIXTURE, capture_real_session, shape
from tests.importer.helpers import import_json, report, serve_in_thread

pytestmark = pytest.mark.e2e


def _by_type(lines: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for d in lines:
        if d["type"] in ("assistant", "user"):
            kind = d["message"]["content"]
            key = (d["type"], kind[0]["type"] if isinstance(kind, list) else "text")
            out.setdefault(str(key), shape(d))
    return out


def test_the_fixture_has_the_shapes_the_cli_writes(tmp_path: Path) -> None:
    fresh = _by_type(capture_real_session(tmp_path))
    fixture = _by_type([json.loads(x) for x in FIXTURE.read_text().splitlines()])
    assert fresh == fixture, "Claude Code changed its transcript lines: re-capture the fixture"


def _run(tmp_path: Path, scenario: str, model: str, env: dict[str, str] | None = None) -> Any:
    home = tmp_path / "home"
    cwd = tmp_path / f"work-{scenario}"
    cwd.mkdir(parents=True, exist_ok=True)
    with AnthropicStub(scenario, model=model) as stub:
        # The CLI prices by the model it asked for: ask for the one the stub answers as.
        return run_claude(f"do the {scenario} task", stub_url=stub.url, home=home, cwd=cwd,
                          otel_env=env, model=model)


def test_real_transcripts_import_to_the_clis_own_totals(tmp_path: Path) -> None:
    results = [_run(tmp_path, s, m) for s, m in (("basic", "claude-opus-5-5"),
                                               ("edit", "claude-sonnet-4-5-20250929"),
                                               ("text", "claude-haiku-4-5"))]
    data = tmp_path / "data"
    import_json(data, tmp_path / "home" / ".claude" / "projects")
    totals = report(data)["totals"]
    assert totals["requests"] == sum(r["num_turns"] for r in results)
    assert totals["inputTokens"] == sum(r["usage"]["input_tokens"] for r in results)
    assert totals["outputTokens"] == sum(r["usage"]["output_tokens"] for r in results)
    assert totals["cacheReadTokens"] == sum(r["usage"]["cache_read_input_tokens"]
                                            for r in results)
    assert totals["cacheCreationTokens"] == sum(r["usage"]["cache_creation_input_tokens"]
                                                for r in results)
    assert totals["totalCost"] == pytest.approx(sum(r["total_cost_usd"] for r in results),
                                                abs=1e-9)
    sessions = {s["sessionId"]: s for s in report(data, "session")["session"]}
    for r in results:
        assert sessions[r["session_id"]]["totalCost"] == pytest.approx(r["total_cost_usd"],
                                                                       abs=1e-9)


def test_telemetry_and_transcript_of_the_same_run_count_once(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with serve_in_thread(data) as info:
        result = _run(tmp_path, "basic", "claude-opus-5-5",
                      otel_env("http/protobuf", info["http_port"]))
        deadline = time.monotonic() + 15
        while report(data, source="telemetry")["totals"]["requests"] < result["num_turns"]:
            assert time.monotonic() < deadline, "telemetry did not arrive"
            time.sleep(0.2)
        out = import_json(data, tmp_path / "home" / ".claude" / "projects")
        assert out["via"] == "server"
        assert out["alreadyFromTelemetry"] == result["num_turns"]
        everything = report(data, source="all")["totals"]
        only_transcripts = report(data, source="transcript")["totals"]
    assert everything["requests"] == result["num_turns"]
    assert everything["totalCost"] == pytest.approx(result["total_cost_usd"], abs=1e-9)
    assert only_transcripts["requests"] == 0
