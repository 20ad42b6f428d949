"""Time one scrape of /metrics/claude-code on a synthetic store; prints one result line.

usage: python bench/exposition_bench.py [POINTS] [EVENTS] [SERIES]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from ccotel.claude import exposition
from ccotel.store import schema


def main() -> None:
    points = int(sys.argv[1]) if len(sys.argv) > 1 else 2_000_000
    events = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000_000
    series = int(sys.argv[3]) if len(sys.argv) > 3 else 20_000
    with tempfile.TemporaryDirectory() as tmp:
        con = schema.connect(Path(tmp))
        con.execute(f"""
            INSERT INTO points (series_key, ts, time_unix_nano, metric_name, unit, kind,
                                temporality, is_monotonic, value, session_id, user_id, model,
                                type, resource, attributes)
            SELECT 'k' || (i % {series}), TIMESTAMP '2026-01-01' + INTERVAL (i) SECOND, i,
                   CASE i % 3 WHEN 0 THEN 'claude_code.token.usage'
                              WHEN 1 THEN 'claude_code.cost.usage'
                              ELSE 'claude_code.session.count' END,
                   'tokens', 'sum', 1, true, random() * 100,
                   's' || (i % {series} // 10), 'u' || (i % 7), 'claude-opus-5-5',
                   'input', '{{"service.name":"claude-code"}}', '{{"terminal.type":"xterm"}}'
            FROM range({points}) t(i)""")
        con.execute(f"""
            INSERT INTO events (event_key, ts, time_unix_nano, event_name, session_id, user_id,
                                model, tool_name, success, resource, attributes)
            SELECT 'e' || i, TIMESTAMP '2026-01-01' + INTERVAL (i) SECOND, i,
                   CASE i % 5 WHEN 0 THEN 'api_request' WHEN 1 THEN 'tool_result'
                              WHEN 2 THEN 'api_error' ELSE 'user_prompt' END,
                   's' || (i % {series} // 10), 'u' || (i % 7), 'claude-opus-5-5',
                   CASE WHEN i % 5 = 1 THEN 'Bash' END, CASE WHEN i % 5 = 1 THEN true END,
                   '{{"service.name":"claude-code"}}', '{{}}'
            FROM range({events}) t(i)""")
        con.execute("CHECKPOINT")
        exp = exposition.Exposition()
        exp.render(con.cursor())  # first scrape: reads every label
        t0 = time.perf_counter()
        text = exp.render(con.cursor())
        elapsed = time.perf_counter() - t0
        print(f"exposition scrape: {elapsed * 1000:.0f} ms for {points} points, {events} events, "
              f"{text.count(chr(10))} lines")


if __name__ == "__main__":
    main()
