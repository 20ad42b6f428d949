"""What `ccotel serve` runs for alerts: the rules file it reads, the evaluation loop and
the notifier, started and stopped with the server."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ccotel.alerts.evaluate import Evaluator
from ccotel.alerts.notify import Notifier
from ccotel.alerts.rules import AlertRules, load
from ccotel.query import BadQuery, parse_duration

if TYPE_CHECKING:
    from ccotel.store.writer import Writer

DEFAULT_FILE = "alerts.yaml"


def rules_path(settings: Any) -> Path:
    return Path(settings.alerts) if settings.alerts else Path(settings.data_dir) / DEFAULT_FILE


def rules_for(settings: Any) -> AlertRules:
    """The rules of `--alerts`, else of `<data-dir>/alerts.yaml` when it exists, else none.
    RulesError (line-numbered) when the file is not valid."""
    path = rules_path(settings)
    if settings.alerts is None and not path.exists():
        return AlertRules()
    return load(path)


def interval_of(settings: Any) -> timedelta:
    try:
        interval = parse_duration(settings.alert_interval)
    except BadQuery as exc:
        raise ValueError(f"--alert-interval: {exc}") from None
    if not timedelta(seconds=1) <= interval <= timedelta(days=1):
        raise ValueError(f"--alert-interval {settings.alert_interval}: use 1s to 1d")
    return interval


class AlertService:
    """The evaluator's loop and the notifier's deliveries, as tasks of the server's loop."""

    def __init__(self, rules: AlertRules, writer: Writer, interval: timedelta) -> None:
        self.rules = rules
        self.notifier = Notifier(rules)
        self.evaluator = Evaluator(rules, writer, self.notifier.send, interval)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self.rules.rules:
            self._task = asyncio.get_running_loop().create_task(self.evaluator.run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.notifier.close()
