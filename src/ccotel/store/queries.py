"""The store's named queries: every `sql/<name>.sql` file, named once here with the
parameters it takes, and the one way to run them.

`run(con, name, **params)` binds exactly the parameters the name declares: a missing or an
unexpected one is a `QueryError` before DuckDB sees the statement, so a query and its
callers cannot drift apart silently. A file of several statements (`script`) runs them in
order, each bound to the declared parameters it uses (DuckDB prepares one statement at a
time and refuses parameters a statement does not use). A `template` file has
`{placeholders}` for identifiers (a table name), filled in before it is parsed.
`tests/store/test_queries.py` checks that every file has a name, every name a file, and
that the declared parameters are the file's own.

Range queries take `RANGED`: `Query.params()` (range, model, the other filters as the
`$filters` STRUCT of `filters_match`) and the hours read from the hourly rollups
(`ranged()`, the one place that decides them).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

import duckdb

from ccotel.query import Query
from ccotel.store import rollups
from ccotel.store.schema import sql

Cursor = duckdb.DuckDBPyConnection


# What a {placeholder} may hold: an identifier, or a list of (double-quoted) identifiers.
_IDENTIFIERS = re.compile(r'("?)[A-Za-z_]\w*\1(\s*,\s*("?)[A-Za-z_]\w*\3)*')


class QueryError(Exception):
    """A named query run with a name or parameters it does not have: a bug, not bad input."""


@dataclass(frozen=True)
class Named:
    """One `sql/<name>.sql` file: the parameters a run binds (all of them, no others)."""

    params: frozenset[str]
    script: bool = False  # several statements, run in order
    template: frozenset[str] = frozenset()  # {placeholders}: identifiers, not values


def _q(*params: str) -> Named:
    return Named(frozenset(params))


def _script(*params: str) -> Named:
    return Named(frozenset(params), script=True)


def _template(*placeholders: str, script: bool = False) -> Named:
    return Named(frozenset(), script=script, template=frozenset(placeholders))


def _qm(*params: str) -> Named:
    """A query with the model filter's macro as its {model_match} placeholder
    (`model_match`)."""
    return Named(frozenset(params), template=frozenset({MODEL_MATCH}))


# The placeholder of the model filter's macro in a panel query: `model_macro` fills it.
MODEL_MATCH = "model_match"


def model_macro(model: str | None) -> dict[str, str]:
    """The {model_match} of a query for model filter `model`: the macro that applies it
    (macros.sql: model_match), or, without one, the macro that plans nothing
    (no_model_filter)."""
    return {MODEL_MATCH: "model_match" if model is not None else "no_model_filter"}


RANGE = ("from", "to", "model", "filters")  # Query.params()
ROLLUP = ("rollup_from", "rollup_to")  # ranged(): the whole hours read from rollups
RANGED = (*RANGE, *ROLLUP)
DAYS = ("day_from", "day_to")  # rollups.days(): the whole days read from daily rollups
REPORT = ("from", "to", "source")  # report.query.ReportQuery.params()

QUERIES: dict[str, Named] = {
    # schema and shared macros (store/schema.py, store/attribution.py, importer/bulk.py)
    "schema": _script(),
    "macros": _script(),
    "attrib_macros": _script(),
    "attrib_rebuild_all": _script(),
    "import_bulk_macros": _script(),
    # dashboard panels (store/panels.py) and the summary (store/reader.py)
    "summary": _q(*RANGED),
    "panel_activity": _q(*RANGED, "count"),
    "panel_attrib_breakdown": _q("from", "to", *ROLLUP, "dim", "fdims", "fvals"),
    "panel_attrib_fast": _q("from", "to", *ROLLUP, *DAYS, "dim"),
    "panel_attrib_named": _q("from", "to", *ROLLUP, *DAYS, "cols"),
    "panel_attrib_waste": _q("from", "to", *ROLLUP, *DAYS),
    "panel_attrib_page": _q("from", "to", *ROLLUP, "step", "repo", "fdims", "fvals"),
    "panel_attrib_repo": _q("from", "to", *ROLLUP, *DAYS, "step", "repo", "top"),
    "panel_avg_response_time": _q(*RANGED),
    "panel_edit_decisions": _qm(*RANGED),
    "panel_error_rate": _q(*RANGED, "step_ms"),
    "panel_event_counts": _qm(*RANGED),
    "panel_latency": _q(*RANGED, "step_ms", "range"),
    "panel_metrics": _qm(*RANGED),
    "panel_session_duration": _qm(*RANGED, "limit"),
    "panel_tool_calls": _qm(*RANGED, "step_ms"),
    "panel_top_sessions": _q("from", "to", *ROLLUP, "sessions"),
    "panel_usage": _q(*RANGED, "by", "step_ms", "limit"),
    "panel_usage_cost": _q(*RANGED, "by", "limit"),
    "panel_usage_total": _q(*RANGED),
    "panel_usage_sets": _q(*RANGED, "step_ms", "top"),
    # the dashboard's filter values, logs panel, session page (store/logs.py, sessions.py)
    "filters": _q("from", "to", *ROLLUP, "limit"),
    "attrib_filters": _q("from", "to", *ROLLUP, *DAYS, "standard", "named", "limit"),
    "logs_cursor": _q(),
    "logs_events": _q("from", "to", "filters", "after", "event", "text", "limit"),
    "logs_events_model": _q(*RANGE, "after", "event", "text", "limit"),
    "logs_rows": _q("ids"),
    "store_empty": _q(),
    "data_since": _q(),
    "session_events": _q("session", "limit"),
    "session_points": _q("session"),
    "session_spans": _q("session", "limit"),
    # exports (store/export.py)
    "export_daily": _q(*RANGE),
    "export_events": _q(*RANGE),
    "export_repos": _q(*RANGE),
    "export_requests": _q(*RANGE),
    "export_sessions": _q(*RANGE),
    "export_tools": _q(*RANGE),
    # reports (report/data.py)
    "report_attribution": _q(*REPORT, "tz", "dim", "sub", "fdims", "fvals"),
    "report_block_entries": _q(*REPORT),
    "report_models": _q(*REPORT),
    "report_periods": _q(*REPORT, "tz", "grain"),
    "report_projects": _q(*REPORT),
    "report_sessions": _q(*REPORT),
    "report_tools": _q(*REPORT),
    "report_users": _q(*REPORT),
    "report_waste": _q(*REPORT, "tz", "fdims", "fvals", *ROLLUP),
    # Claude Code's metrics for Prometheus (claude/exposition.py)
    "exposition_totals": _q(),
    "exposition_labels": _q("keys"),
    "exposition_events": _q("events"),
    # alerts (alerts/evaluate.py)
    "alerts_history": _q("limit"),
    "alerts_session_user": _q("session"),
    "alerts_silence": _q("by", "path", "quiet_from", "seen_from"),
    "alerts_spend": _q("from", "to", *ROLLUP, "by", "over"),
    "alerts_spend_attribute": _q("from", "to", "over", "path"),
    "alerts_spike": _q("from", "to", "by"),
    "alerts_state": _q(),
    # plan limits (limits/)
    "limits_account_of": _q("s", "since"),
    "limits_insert": _q("ts", "session_id", "host_name", "user_hint", "model", "app_version",
                        "cost_usd", "context_tokens", "context_used_pct",
                        "context_window_size", "cwd", "five_hour_pct", "five_hour_resets_at",
                        "git_branch", "repo", "seven_day_pct", "seven_day_resets_at"),
    "limits_requests": _q("account", "from", "now", "since"),
    "limits_same_minute": _q("session_id", "ts"),
    "limits_snapshot_cost": _q("from", "to", "sessions"),
    "limits_snapshots": _q("account", "since"),
    "limits_window_costs": _q("from", "now", "since", "windows"),
    # the writer (store/writer.py, store/bulk.py)
    "append_batch": _template("table"),
    "bulk_insert": _template("table", "columns", script=True),
    "insert_events": _q("lo", "hi"),
    "insert_points": _q(),
    "insert_spans": _q("lo", "hi"),
    "upsert_series_state": _q(),
    "sessions_first": _q("sessions"),
    "sessions_recent": _q("since", "most"),
    "store_has_imported_requests": _q(),
    "relabel_transcript_copies": _q(),
    "retention": _script("cutoff"),
    # hourly rollups (store/rollups.py)
    "rollup_add_events": _script("src", "until"),
    "rollup_add_points": _script("src", "until"),
    "rollup_days": _script("d0", "d1"),
    "rollup_dirty": _q("before", "limit"),
    "rollup_first_row_hour": _q("since"),
    "rollup_hour_rows": _q("start", "end", "hours"),
    "rollup_late_days": _q("src", "before"),
    "rollup_rebuild": _script("start", "end", "hours"),
    "rollup_rebuild_all": _script(),
    "rollup_retention": _script("cutoff", "since"),
    "rollup_until": _q(),
    "rollup_until_init": _q("hour"),
    "rollup_until_set": _q("to"),
    "attrib_git_add": _script("src"),
    "attrib_git_changed": _script("start", "end", "hours"),
    "attrib_git_refresh": _script(),
    # forwarding's outbox (forward/)
    "outbox_delete": _q("id"),
    "outbox_forget": _q("targets"),
    "outbox_next": _q("target", "limit"),
    "outbox_put": _q("target", "signal", "body"),
    "outbox_size": _q("target"),
    "outbox_trim": _q("target", "max_bytes"),
    # transcript imports (importer/)
    "import_bulk_add_rows": _q(),
    "import_bulk_cleanup": _script(),
    "import_bulk_counts": _q(),
    "import_bulk_delete": _q(),
    "import_bulk_fates": _q(),
    "import_bulk_hours": _q(),
    "import_bulk_insert": _q(),
    "import_bulk_keep": _q(),
    "import_bulk_known": _q(),
    "import_bulk_library_rows": _q("day", "fast", "model"),
    "import_bulk_malformed": _q(),
    "import_bulk_price": _q(),
    "import_bulk_rejected": _q(),
    "import_bulk_resolve": _q(),
    "import_bulk_rows": _q("files"),
    "import_bulk_set_costs": _q(),
    "import_bulk_unpriced": _q(),
    "import_delete": _q(),
    "import_existing": _q(),
    "import_files_get": _q(),
    "import_files_put": _q(),
    "import_in_telemetry": _q(),
    "import_sessions_without_git": _q(),
}


def named(name: str) -> Named:
    try:
        return QUERIES[name]
    except KeyError:
        raise QueryError(f"no named query {name!r}") from None


def text(name: str, **template: str) -> str:
    """The SQL of `name`, its `{placeholders}` filled in (identifiers, or a list of
    them: never values)."""
    spec = named(name)
    _check(name, "placeholders", spec.template, template)
    out = sql(name)
    for key, value in template.items():
        if not _IDENTIFIERS.fullmatch(value):
            raise QueryError(f"query {name!r}: {key}={value!r} is not an identifier")
        out = out.replace("{" + key + "}", value)
    return out


@cache
def _statements(name: str, template: frozenset[tuple[str, str]] = frozenset()
                ) -> tuple[tuple[str, frozenset[str]], ...]:
    """The statements of a script, each with the parameters it uses (DuckDB's parser)."""
    return tuple((s.query, frozenset(s.named_parameters))
                 for s in duckdb.extract_statements(text(name, **dict(template))))


def check(name: str, params: Iterable[str]) -> None:
    """Refuse parameters that are not exactly those `name` declares (a QueryError); for
    callers that wrap the text in a statement of their own (COPY)."""
    _check(name, "parameters", named(name).params, params)


def _check(name: str, what: str, declared: frozenset[str], given: Iterable[str]) -> None:
    given = set(given)
    missing, unexpected = sorted(declared - given), sorted(given - declared)
    if missing or unexpected:
        raise QueryError(f"query {name!r}: missing {what} {missing}, unexpected {unexpected}")


def run(con: Cursor, name: str, /, **params: Any) -> Cursor:
    """Run `sql/<name>.sql` with exactly its declared parameters; the cursor holds the
    result (of the last statement, for a script)."""
    return run_template(con, name, {}, **params)


def run_template(con: Cursor, name: str, template: dict[str, str], /,
                 **params: Any) -> Cursor:
    """`run` for a template file: `template` fills its {placeholders} (`text`)."""
    check(name, params)
    params = bind_sessions(con, params)
    if not named(name).script:
        return con.execute(text(name, **template), params)
    for query, bound in statements(name, template, **params):
        con.execute(query, bound)
    return con


def statements(name: str, template: dict[str, str] | None = None, /,
               **params: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """The statements of script `name`, each with the declared parameters it uses, for a
    caller that needs each statement's result or runs only some of them (retention,
    `rollups.add`); the parameters are checked as `run` checks them."""
    check(name, params)
    for query, wanted in _statements(name, frozenset((template or {}).items())):
        yield query, {k: params[k] for k in wanted}


def bind_sessions(con: Cursor, params: dict[str, Any]) -> dict[str, Any]:
    """`params` with the sessions its session-level attribution filters select (repo,
    branch, team, ...: `attrib_sessions` in macros.sql), found once, as the `sessions` of
    its `$filters`; `filters_match` then tests a list, where a subquery in every row's
    condition would be planned, and run, by every query even with no such filter."""
    f = params.get("filters")
    if not isinstance(f, dict) or not f.get("sdims") or f.get("sessions") is not None:
        return params
    found = con.execute("SELECT session_id FROM attrib_sessions($dims, $vals, $t0, $t1)",
                        {"dims": f["sdims"], "vals": f["svals"], "t0": f["t0"],
                         "t1": f["t1"]}).fetchall()
    return {**params, "filters": {**f, "sessions": [s for (s,) in found]}}


def rows(con: Cursor, name: str, /, **params: Any) -> list[dict[str, Any]]:
    """The rows of `run(...)` as dicts keyed by column name."""
    return rows_template(con, name, {}, **params)


def rows_template(con: Cursor, name: str, template: dict[str, str], /,
                  **params: Any) -> list[dict[str, Any]]:
    """The rows of `run_template(...)` as dicts keyed by column name."""
    cur = run_template(con, name, template, **params)
    names = [d[0] for d in cur.description or ()]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def ranged(con: Cursor, q: Query, *, whole: bool = True) -> dict[str, Any]:
    """`RANGED` for `q`: its parameters and the whole hours of its range that are read
    from the hourly rollups (`rollups.window`; none when `whole` is false: time buckets
    under an hour, or filters a rollup does not keep)."""
    rollup_from, rollup_to = window(con, q.start, q.end, whole=whole)
    return {**q.params(), "rollup_from": rollup_from, "rollup_to": rollup_to}


def window(con: Cursor, start: datetime, end: datetime, *,
           whole: bool = True) -> tuple[datetime, datetime]:
    """The hours of [start, end) read from the rollups, as $rollup_from, $rollup_to."""
    return rollups.window(start, end, rollups.read_until(con), whole=whole)
