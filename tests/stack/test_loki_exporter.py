"""The test's reading of the collector 0.96 Loki exporter, on the cases Go decides."""

from __future__ import annotations

from tests.stack.loki_exporter import _go_json, entry


def test_go_json_numbers_escapes_and_key_order() -> None:
    assert _go_json({"b": 0.00001, "a": "<x>&", "c": 5.0, "d": 1e21, "e": 1e-7, "f": [True]}) \
        == '{"a":"\\u003cx\\u003e\\u0026","b":0.00001,"c":5,"d":1e+21,"e":1e-7,"f":[true]}'


def test_hinted_attributes_become_labels_and_leave_the_line() -> None:
    record = {"timeUnixNano": "0", "observedTimeUnixNano": "7", "severityNumber": 9,
              "body": {"stringValue": "claude_code.api_request"},
              "attributes": [{"key": "event.name", "value": {"stringValue": "api_request"}},
                             {"key": "cost_usd", "value": {"doubleValue": 0.5}}]}
    labels, ts, line = entry(record, {"service.name": "claude-code", "service.version": "2"},
                             {"name": "scope"})
    assert labels == {"exporter": "OTLP", "job": "claude-code", "service_name": "claude-code",
                      "event_name": "api_request", "level": "INFO"}
    assert ts == 7   # no record time: the observed time
    assert line == ('{"body":"claude_code.api_request","attributes":{"cost_usd":0.5},'
                    '"resources":{"service.version":"2"},"instrumentation_scope":{"name":"scope"}}')
