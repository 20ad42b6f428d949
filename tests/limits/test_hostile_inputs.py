"""Any JSON at all, as the snapshot endpoint's body and as the statusline's stdin: a row or
a clear BadSnapshot, and always a line (never another exception)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ccotel.claude import statusline as sl
from ccotel.limits import snapshot
from tests.limits.helpers import statusline_input

_leaf = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
_json = st.recursive(_leaf, lambda c: st.lists(c, max_size=4)
                     | st.dictionaries(st.text(max_size=10), c, max_size=4), max_leaves=20)
_keys = st.sampled_from(["session_id", "model", "cost", "rate_limits", "context_window",
                         "workspace", "cwd", "version", "five_hour", "seven_day",
                         "used_percentage", "resets_at", "total_cost_usd", "current_usage",
                         "display_name", "id", "repo", "owner", "name", "current_dir"])
_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=20) | st.sampled_from(
    ["a\nb", "\x1b[31mred", "\r\x07"])


def _mutated(base: dict[str, Any], path: list[str], value: Any) -> dict[str, Any]:
    node = base
    for key in path[:-1]:
        if not isinstance(node.get(key), dict):
            node[key] = {}
        node = node[key]
    node[path[-1]] = value
    return base


@settings(max_examples=300, deadline=None)
@given(path=st.lists(_keys, min_size=1, max_size=3), value=_json | _text)
def test_any_input_gives_a_row_or_a_clear_error_and_a_line(path: list[str], value: Any) -> None:
    data = _mutated(statusline_input("s", five=(10, 1.9e9), seven=(5, 1.9e9)), path, value)
    try:
        row, _ = snapshot.parse({"input": data, "host": value, "day_start": value})
        assert row["session_id"]
    except snapshot.BadSnapshot as exc:
        assert str(exc)
    line = sl.render(sl.parse_input(json.dumps(data, allow_nan=True)), {"today_cost_usd": value,
                     "limits": value}, colour_on=False)
    assert line and "\n" not in line and "\x1b" not in line and "\r" not in line

