"""The writer owns every write: nothing changes the store but functions the writer runs.

A static check of the source: every statement that changes a table of the store (INSERT,
UPDATE, DELETE, COPY FROM, DDL, CHECKPOINT: SQL written in Python or the `.sql` file it
runs), and every call of the rollup functions that rewrite rollups, is either in the
writer's own modules or inside a function marked `@writes` (`store/writing.py`), which
raises when called anywhere but on the writer. On the code before the writer owned every
write, this fails on the forwarder deleting sent requests on its own cursor, the importer
deleting replaced rows, the alert state machine and the limit snapshots.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import duckdb
import pytest

from ccotel.store import writing
from ccotel.store.schema import sql
from ccotel.store.writer import Writer

SRC = Path(__file__).resolve().parents[2] / "src" / "ccotel"
SQL_DIR = SRC / "store" / "sql"

# The writer itself, its maintenance and rollups (run only by it), and the opening of a
# store (creating or migrating the schema, before any writer exists).
OWNERS = {"store/writer.py", "store/maintenance.py", "store/rollups.py", "store/schema.py"}
# Rollup functions that rewrite the rollup tables.
ROLLUP_WRITES = {"add", "rebuild", "advance", "compact", "forget_before", "run_script", "add_git",
                 "refresh_git", "rebuild_stored"}

STORE_TABLES = frozenset(re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", sql("schema")))
_CHANGE = re.compile(
    r"\b(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|DELETE\s+FROM|UPDATE|MERGE\s+INTO|TRUNCATE|"
    r"ALTER\s+TABLE|DROP\s+TABLE(?:\s+IF\s+EXISTS)?|COPY)\s+(\w+)", re.IGNORECASE)


def changes_store(text: str) -> bool:
    """Whether SQL `text` changes a table of the store (or checkpoints it)."""
    text = re.sub(r"--[^\n]*", "", text)
    if re.search(r"\bCHECKPOINT\b", text, re.IGNORECASE):
        return True
    if re.search(r"\bCREATE\s+(?:OR\s+REPLACE\s+)?TABLE\b", text, re.IGNORECASE):
        return True  # a table of the store's own (temporary ones say TEMP)
    return any(m.group(1).lower() in STORE_TABLES for m in _CHANGE.finditer(text))


# The store's query runner (store/queries.py): where each function takes the query's name.
_NAME_AT = {"run": 1, "run_template": 1, "rows": 1, "text": 0, "statements": 0}


def _on_queries(f: ast.expr) -> bool:
    return isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) \
        and f.value.id == "queries"


def _sql_text(node: ast.expr) -> str | None:
    """The SQL an `execute` argument holds, as far as the source says: literals, f-string
    parts, `sql("name")` files (with `.replace(...)` applied to them ignored), and the
    files the query runner runs (`queries.run(con, "name")`, `queries.text("name")`)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value for v in node.values
                       if isinstance(v, ast.Constant) and isinstance(v.value, str))
    if isinstance(node, ast.BinOp):
        parts = [_sql_text(node.left), _sql_text(node.right)]
        return "".join(p for p in parts if p)
    if isinstance(node, ast.Call):
        f = node.func
        if isinstance(f, ast.Attribute) and f.attr in ("replace", "format", "strip"):
            return _sql_text(f.value)
        name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
        at = _NAME_AT.get(name) if _on_queries(f) else 0 if name == "sql" else None
        if at is not None and len(node.args) > at:
            arg = node.args[at]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                return (SQL_DIR / f"{arg.value}.sql").read_text()
            if isinstance(arg, ast.JoinedStr):  # sql(f"insert_{table}"): every match
                pattern = "".join(v.value if isinstance(v, ast.Constant) else "*"
                                  for v in arg.values)
                return "\n;\n".join(p.read_text() for p in SQL_DIR.glob(f"{pattern}.sql"))
    return None


def _marked(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any((isinstance(d, ast.Name) and d.id == "writes")
               or (isinstance(d, ast.Attribute) and d.attr == "writes")
               for d in fn.decorator_list)


class _Finder(ast.NodeVisitor):
    def __init__(self, module: str, assigned: dict[str, str]) -> None:
        self.module = module
        self.assigned = assigned  # NAME = "...SQL..." at module level
        self.inside: list[bool] = []  # per enclosing function: marked @writes
        self.found: list[str] = []

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.inside.append(_marked(node))
        self.generic_visit(node)
        self.inside.pop()

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function

    def visit_Call(self, node: ast.Call) -> None:
        f = node.func
        what = None
        if isinstance(f, ast.Attribute) and f.attr in ("execute", "executemany", "sql") \
                and node.args:
            arg = node.args[0]
            text = (self.assigned.get(arg.id) if isinstance(arg, ast.Name)
                    else _sql_text(arg))
            if text is not None and changes_store(text):
                what = ast.unparse(arg)[:60]
        elif _on_queries(f) and f.attr in ("run", "run_template", "rows", "statements"):
            text = _sql_text(node)
            if text is not None and changes_store(text):
                what = ast.unparse(node)[:60]
        elif (isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name)
              and f.value.id == "rollups" and f.attr in ROLLUP_WRITES):
            what = f"rollups.{f.attr}"
        if what is not None and not any(self.inside):
            self.found.append(f"{self.module}:{node.lineno}: {what}")
        self.generic_visit(node)


def unowned_writes(root: Path = SRC) -> list[str]:
    """Every place outside the writer's modules that changes the store outside a
    `@writes` function."""
    found = []
    for path in sorted(root.rglob("*.py")):
        module = path.relative_to(root).as_posix()
        if module in OWNERS:
            continue
        tree = ast.parse(path.read_text(), str(path))
        assigned = {t.id: text for node in tree.body if isinstance(node, ast.Assign)
                    for t in node.targets if isinstance(t, ast.Name)
                    if (text := _sql_text(node.value)) is not None}
        finder = _Finder(module, assigned)
        finder.visit(tree)
        found += finder.found
    return found


def test_only_write_functions_change_the_store() -> None:
    assert unowned_writes() == []


def test_the_check_sees_a_write_outside_the_writer(tmp_path: Path) -> None:
    """The check itself: a module that deletes on its own cursor, or rebuilds rollups,
    outside a write function is found; the same inside one is not."""
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "rogue.py").write_text(
        "def sent(cur, i):\n"
        "    cur.execute(sql('outbox_delete'), {'id': i})\n"
        "def fix(con):\n"
        "    rollups.rebuild(con, [])\n"
        "def drop(cur, i):\n"
        "    queries.run(cur, 'outbox_delete', id=i)\n"
        "def read(cur):\n"
        "    return cur.execute('SELECT * FROM events').fetchall()\n"
        "@writes\n"
        "def ok(con):\n"
        "    con.execute(\"INSERT INTO alert_history VALUES (1)\")\n")
    assert [f.split(": ", 1)[1] for f in unowned_writes(pkg)] == [
        "sql('outbox_delete')", "rollups.rebuild", "queries.run(cur, 'outbox_delete', id=i)"]


@pytest.mark.parametrize("text, changes", [
    ("SELECT * FROM events", False),
    ("CREATE OR REPLACE TEMP TABLE import_bulk_keep AS SELECT 1", False),
    ("UPDATE import_bulk_rows SET cost = 1", False),
    ("-- DELETE FROM events\nSELECT 1", False),
    ("DELETE FROM outbox WHERE id = $id", True),
    ("INSERT OR REPLACE INTO alert_state VALUES (1)", True),
    ("WITH d AS (DELETE FROM events RETURNING ts) SELECT count(*) FROM d", True),
    ("CHECKPOINT", True),
])
def test_what_counts_as_a_change(text: str, changes: bool) -> None:
    assert changes_store(text) is changes


def test_a_write_function_runs_only_on_the_writer(tmp_path: Path) -> None:
    """`@writes` refuses to run beside the writer; the writer runs it in its transaction,
    which its exception rolls back; a write function cannot wait on the writer."""
    from ccotel.store import schema

    @writing.writes
    def note(con: duckdb.DuckDBPyConnection, value: str, fail: bool = False) -> int:
        con.execute("INSERT INTO meta VALUES ($k, $v)", {"k": f"test:{value}", "v": value})
        if fail:
            raise ValueError("after the insert")
        return 1

    def in_transaction(con: duckdb.DuckDBPyConnection) -> bool:
        try:
            con.execute("BEGIN TRANSACTION")
        except duckdb.TransactionException:
            return True
        con.execute("ROLLBACK")
        return False

    w = Writer(schema.connect(tmp_path))
    cur = w.cursors()
    with pytest.raises(writing.NotOnWriter):
        note(cur, "beside")
    # Before start(): in the calling thread, the same way.
    assert w.write_sync(lambda con: note(con, "inline")) == 1
    with pytest.raises(ValueError, match="after the insert"):
        w.write_sync(lambda con: note(con, "inline rolled back", fail=True))
    assert w.write_sync(in_transaction) is True
    assert w.write_sync(in_transaction, transaction=False) is False
    w.start()
    try:
        assert w.write(lambda con: note(con, "queued")).result(10) == 1
        with pytest.raises(ValueError, match="after the insert"):
            w.write(lambda con: note(con, "queued rolled back", fail=True)).result(10)
        with pytest.raises(ValueError, match="after the insert"):
            w.write_sync(lambda con: note(con, "rolled back", fail=True))
        assert w.write(in_transaction, transaction=False).result(10) is False
        assert w.write_sync(in_transaction) is True
        with pytest.raises(RuntimeError, match="wait for itself"):
            w.write_sync(lambda con: w.write_sync(lambda c: note(c, "nested")))
        stored = {k for (k,) in cur.execute(
            "SELECT key FROM meta WHERE key LIKE 'test:%'").fetchall()}
        assert stored == {"test:inline", "test:queued"}
    finally:
        w.close()
