"""`--redact` on decoded rows, in process: what the server's byte search
(test_redact.py, test_witness_redact_keys.py) shows end to end, row by row, so that
mutation testing (which sees only in-process tests) judges redact.py by it too.

Witnesses: the secrets the `details` capture carries (test_redact.SECRETS), and the keys
the same data decodes to without redaction.
"""

from __future__ import annotations

import json
from typing import Any

from ccotel import redact
from ccotel.otlp.decode import Batch, decode_request
from tests.reliability.test_redact import EMAIL, SECRETS, details_with_email
from tests.witness import (
    PAST_HOUR_NS,
    attr,
    log_record,
    logs_export,
    metrics_export,
    resource,
    sum_point,
)

KEY = bytes(range(32))


def exports() -> list[tuple[str, bytes]]:
    """The details capture with emails, plus an event without session.id/event.sequence
    (its row key is a digest of its content) and one with them."""
    out = [(r["path"].split("/")[-1], json.dumps(r["body"]).encode())
           for r in details_with_email()]
    loose = log_record(PAST_HOUR_NS, "user_prompt", prompt="a loose secret prompt",
                       **{"user.email": EMAIL})
    keyed = log_record(PAST_HOUR_NS, "user_prompt", prompt="a keyed secret prompt",
                       **{"user.email": EMAIL, "session.id": "s-1", "event.sequence": 7})
    # A body that is a map, and an email nested in a map attribute.
    loose["body"] = {"kvlistValue": {"values": [
        {"key": "prompt", "value": {"stringValue": "a body secret prompt"}}]}}
    keyed["attributes"].append({"key": "meta", "value": {"kvlistValue": {"values": [
        {"key": "contact.email", "value": {"stringValue": EMAIL}}]}}})
    out.append(("logs", json.dumps(logs_export([loose, keyed])).encode()))
    # A point attribute that is not a hot column, and a span whose events and links
    # carry prompts and commands.
    out.append(("metrics", json.dumps(metrics_export("claude_code.session.count", [sum_point(
        PAST_HOUR_NS, PAST_HOUR_NS + 1, 1.0, **{"owner.email": EMAIL})])).encode()))
    span = {"traceId": "0" * 31 + "1", "spanId": "0" * 15 + "1", "name": "claude_code.tool",
            "startTimeUnixNano": str(PAST_HOUR_NS), "endTimeUnixNano": str(PAST_HOUR_NS + 9),
            "events": [{"name": "e", "timeUnixNano": str(PAST_HOUR_NS + 1),
                        "attributes": [attr("user_prompt", "a span event secret prompt")]}],
            "links": [{"traceId": "0" * 31 + "2", "spanId": "0" * 15 + "2",
                       "attributes": [attr("full_command", "a span link secret command")]}]}
    out.append(("traces", json.dumps({"resourceSpans": [{"resource": resource(), "scopeSpans": [
        {"scope": {"name": "com.anthropic.claude_code.tracing"}, "spans": [span]}]}]}).encode()))
    return out


def decoded(transform: Any = None) -> list[Batch]:
    batches = []
    for signal, body in exports():
        batch = decode_request(signal, body, "json")  # type: ignore[arg-type]
        if transform is not None:
            transform(batch)
        batches.append(batch)
    return batches


def text(batches: list[Batch]) -> str:
    return json.dumps([[b.events, b.points, b.spans] for b in batches], default=str)


def keys(batches: list[Batch]) -> set[str]:
    return ({r["series_key"] for b in batches for r in b.points}
            | {r["event_key"] for b in batches for r in b.events})


def test_every_category_leaves_no_secret_in_any_row() -> None:
    plain = decoded()
    everything = [s for values in SECRETS.values() for s in values] + [
        "a loose secret prompt", "a keyed secret prompt", "a body secret prompt",
        "a span event secret prompt", "a span link secret command"]
    assert [s for s in everything if s not in text(plain)] == [EMAIL.lower()]  # sent as is
    red = decoded(redact.Redactor(frozenset(redact.CATEGORIES), KEY))
    assert [s for s in everything if s.lower() in text(red).lower()] == []
    assert redact.REDACTED in text(red)
    # Every user email, in every kind of row, is the keyed pseudonym.
    emails = {r.get("user_email") for b in red for r in [*b.events, *b.points]} - {None}
    assert len(emails) == 1 and next(iter(emails)).startswith("user-")
    assert all(EMAIL not in json.dumps(s, default=str) for b in red for s in b.spans)
    # Nested and non-column emails become the same pseudonym, not nothing.
    pseudonym = next(iter(emails))
    assert text(red).count(pseudonym) > text(red).count('"user_email": "' + pseudonym)


def test_emails_rekey_content_digests_and_keep_sequence_keys() -> None:
    plain, red = decoded(), decoded(redact.Redactor(frozenset({"emails"}), KEY))
    digests = keys(plain) - {"s-1/7"} - {k for k in keys(plain) if "/" in k}
    assert digests and not digests & keys(red)  # no unkeyed digest survives
    assert all(isinstance(k, str) and k for k in keys(red))
    assert "s-1/7" in keys(red)  # a session/sequence key holds no content: kept
    assert len(keys(red)) == len(keys(plain))  # one key still per row identity


def test_without_emails_row_keys_are_left_alone() -> None:
    """Only an email makes a series key sensitive (prompts are never metric labels)."""
    plain = decoded()
    red = decoded(redact.Redactor(frozenset({"prompts", "tool-details"}), KEY))
    assert {r["series_key"] for b in red for r in b.points} == {
        r["series_key"] for b in plain for r in b.points}
    assert "a loose secret prompt" not in text(red)
