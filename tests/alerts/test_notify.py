"""Deliveries: a webhook that fails is retried with backoff until it answers; Apprise
delivers through its own plugin (json:// to a receiver on loopback); a receiver that never
answers gives up after its attempts without holding anything else up."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime

import pytest

from ccotel.alerts.evaluate import Notification
from ccotel.alerts.notify import Notifier
from ccotel.alerts.rules import parse
from tests.alerts.webhook import receiver

AT = datetime(2026, 3, 11, 15, 30)


def _rules(receivers: str) -> tuple[object, Notification]:
    rules = parse(f"receivers:\n{receivers}rules:\n  - name: r\n"
                  "    spend: {over: 1, per: day, by: user}\n    notify: [a]\n")
    rule = rules.rules[0]
    return rules, Notification(rule, "alice", "firing", 1.5, "over", AT, AT)


async def _drain(n: Notifier, until: float = 15.0) -> None:
    deadline = time.monotonic() + until
    while n._tasks and time.monotonic() < deadline:
        await asyncio.sleep(0.05)


def test_a_failing_webhook_is_retried_with_backoff_and_logged(
        caplog: pytest.LogCaptureFixture) -> None:
    with receiver() as hook:
        hook.failures = 2
        rules, note = _rules(f"  - name: a\n    webhook: {hook.url}\n")

        async def run() -> None:
            n = Notifier(rules, attempts=4, backoff_s=0.2)  # type: ignore[arg-type]
            n.send([note])
            await _drain(n)

        with caplog.at_level(logging.WARNING, "ccotel.alerts"):
            asyncio.run(run())
        assert len(hook.got) == 1
        body = hook.got[0]
        assert (body["rule"], body["key"], body["status"], body["value"]) == (
            "r", "alice", "firing", 1.5)
        assert body["since"] == "2026-03-11T15:30:00Z"
        assert "failed (attempt 2 of 4)" in caplog.text
        assert "attempt 3" not in caplog.text


def test_apprise_delivers_through_its_json_plugin() -> None:
    with receiver() as hook:
        url = hook.url.replace("http://", "json://")
        rules, note = _rules(f"  - name: a\n    apprise: [{url}]\n")

        async def run() -> None:
            n = Notifier(rules, attempts=2, backoff_s=0.1)  # type: ignore[arg-type]
            n.send([note])
            await _drain(n)

        asyncio.run(run())
        (body,) = hook.got
        assert body["title"] == "[firing] r" and body["message"] == "over"


def test_a_dead_receiver_gives_up_after_its_attempts(caplog: pytest.LogCaptureFixture
                                                     ) -> None:
    with receiver() as hook:
        dead = hook.url
    rules, note = _rules(f"  - name: a\n    webhook: {dead}\n")

    async def run() -> float:
        n = Notifier(rules, attempts=3, backoff_s=0.05)  # type: ignore[arg-type]
        start = time.monotonic()
        n.send([note])
        assert time.monotonic() - start < 0.05     # send() never waits for a delivery
        await _drain(n)
        assert not n._tasks
        return time.monotonic() - start

    with caplog.at_level(logging.WARNING, "ccotel.alerts"):
        took = asyncio.run(run())
    assert took >= 0.05 + 0.1                      # the backoff between the attempts
    assert "failed (attempt 3 of 3)" in caplog.text
