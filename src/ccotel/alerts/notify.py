"""Send notifications to the rules' receivers, off the ingest path.

A generic JSON webhook (one POST per alert, body below) or any Apprise URL (Slack, Discord,
Teams, ntfy, e-mail, desktop, ...). Each delivery runs as its own task: a receiver that is
down is retried with exponential backoff and logged, and never delays another receiver,
the evaluation, or ingest. The queue is bounded; past it a notification is logged and
dropped rather than held in memory without limit.

Webhook body: {"source": "ccotel", "status": "firing"|"resolved", "rule", "kind", "key",
"value", "message", "severity", "block", "summary", "since", "at"} (times RFC 3339 UTC).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from ccotel.alerts.evaluate import Notification
from ccotel.alerts.rules import AlertRules, Receiver

log = logging.getLogger("ccotel.alerts")
MAX_PENDING = 1000


def payload(n: Notification) -> dict[str, Any]:
    """The generic JSON body of a notification."""
    return {"source": "ccotel", "status": n.status, "rule": n.rule.name,
            "kind": n.rule.kind, "key": n.key, "value": n.value, "message": n.message,
            "severity": n.rule.severity, "block": n.rule.block, "summary": n.rule.summary,
            "since": n.since.isoformat() + "Z", "at": n.at.isoformat() + "Z"}


class Notifier:
    def __init__(self, rules: AlertRules, *, attempts: int = 5, backoff_s: float = 1.0,
                 timeout_s: float = 10.0) -> None:
        self.rules = rules
        self.attempts = attempts
        self.backoff_s = backoff_s
        self.timeout_s = timeout_s
        self._tasks: set[asyncio.Task[None]] = set()

    def send(self, notifications: list[Notification]) -> None:
        """Start delivering each notification to each of its rule's receivers (from the
        event loop; returns at once)."""
        for n in notifications:
            for name in n.rule.notify:
                if len(self._tasks) >= MAX_PENDING:
                    log.error("alert %s for %r not sent to %s: %d deliveries pending",
                              n.rule.name, n.key, name, len(self._tasks))
                    continue
                task = asyncio.get_running_loop().create_task(
                    self._deliver(self.rules.receiver(name), n))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _deliver(self, receiver: Receiver, n: Notification) -> None:
        import httpx  # here: a server without webhooks need not hold it (5 MB)

        for attempt in range(1, self.attempts + 1):
            try:
                if receiver.webhook:
                    await self._webhook(receiver.webhook, payload(n))
                if receiver.apprise:
                    await self._apprise(receiver.apprise, n)
                return
            except (httpx.HTTPError, OSError, RuntimeError) as exc:
                last = attempt == self.attempts
                log.log(logging.ERROR if last else logging.WARNING,
                        "alert %s for %r to %s failed (attempt %d of %d): %s",
                        n.rule.name, n.key, receiver.name, attempt, self.attempts, exc)
                if last:
                    return
                await asyncio.sleep(self.backoff_s * 2 ** (attempt - 1))

    async def _webhook(self, url: str, body: dict[str, Any]) -> None:
        import httpx

        async with httpx.AsyncClient(timeout=self.timeout_s) as client:
            resp = await client.post(url, json=body)
            resp.raise_for_status()

    async def _apprise(self, urls: tuple[str, ...], n: Notification) -> None:
        # In a thread: Apprise loads its plugins and sends synchronously.
        await asyncio.to_thread(_apprise_send, urls, f"[{n.status}] {n.rule.name}", n.message)


def _apprise_send(urls: tuple[str, ...], title: str, body: str) -> None:
    import apprise  # here: it loads its many plugins, needed only when used

    ap = apprise.Apprise()
    for url in urls:
        if not ap.add(url):
            raise RuntimeError(f"Apprise does not understand {url.split('://')[0]}://")
    if not ap.notify(body=body, title=title):
        raise RuntimeError("Apprise could not deliver it")
