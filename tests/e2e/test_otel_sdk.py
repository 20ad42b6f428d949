"""End to end with the real OpenTelemetry Python SDK exporters into a live `ccotel serve`."""

from __future__ import annotations

import pytest

from ccotel.store import schema
from tests.conftest import Server
from tests.sdk_workload import send_workload


@pytest.mark.e2e
@pytest.mark.parametrize("protocol", ["grpc", "http/protobuf"])
def test_sdk_exporters_land_exact_totals(server: Server, protocol: str) -> None:
    endpoint = f"http://{server.grpc}" if protocol == "grpc" else server.http
    exp = send_workload(protocol, endpoint, sessions=3, turns=4)
    s = server.summary()
    assert s["requests"] == exp.requests == 12
    assert s["errors"] == exp.errors == 3
    assert s["tool_calls"] == exp.tool_calls and s["tool_failures"] == exp.tool_failures == 3
    assert s["cost_usd"] == pytest.approx(float(exp.cost), abs=1e-9)
    assert s["tokens"] == exp.tokens
    assert s["sessions"] == 3 and s["users"] == 1
    assert s["lines_added"] == exp.lines_added and s["commits"] == exp.commits
    # The metric path (delta counters) agrees with the events to the last digit too.
    server.stop()
    con = schema.connect(server.data_dir, read_only=True)
    (metric_cost,) = con.execute("SELECT sum(value) FROM points WHERE metric_name = "
                                 "'claude_code.cost.usage'").fetchone()
    assert metric_cost == pytest.approx(float(exp.cost), abs=1e-9)
