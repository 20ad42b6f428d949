"""The data dir's files are private: it holds prompts, costs and emails.

The data dir is 0700 and every file ccotel keeps in it 0600, whichever command creates
them (`serve`, `import`, `demo`); a store opened for writing whose modes are looser is
tightened, with a warning in the log. Kept light (no DuckDB) so the CLI can use it early.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from ccotel.store import DB_FILENAME

DIR_MODE = 0o700
FILE_MODE = 0o600
# Every file ccotel writes into a data dir (DuckDB's WAL comes and goes with checkpoints).
PRIVATE_FILES = (DB_FILENAME, f"{DB_FILENAME}.wal", "server.json", "redact.key")

log = logging.getLogger("ccotel.store")


@contextlib.contextmanager
def private_umask() -> Iterator[None]:
    """Files created meanwhile by this process (DuckDB's store and WAL among them, which
    DuckDB creates with the umask's mode) are private to the user."""
    old = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(old)


def make_private(data_dir: Path) -> list[Path]:
    """Create `data_dir` (0700) if needed and tighten it and the files ccotel keeps in it;
    the paths whose modes changed (each is logged)."""
    data_dir = Path(data_dir)
    data_dir.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    changed = []
    for path, mode in [(data_dir, DIR_MODE), *((data_dir / n, FILE_MODE) for n in PRIVATE_FILES)]:
        try:
            st = path.stat()
        except FileNotFoundError:
            continue
        if st.st_uid != os.getuid() and os.getuid() != 0:
            continue  # not ours to change (a shared dir the user was given)
        old = stat.S_IMODE(st.st_mode)
        if old & ~mode:
            os.chmod(path, old & mode)
            log.warning("made %s private: mode %04o -> %04o", path, old, old & mode)
            changed.append(path)
    return changed
