"""The data dir's files are private: it holds prompts, costs and emails.

The data dir is 0700 and every file ccotel keeps in it 0600, whichever command creates
them (`serve`, `import`, `demo`); a store opened for writing whose modes are looser is
tightened, with a warning in the log. A dir that holds other files too is left as it is
(with a warning): ccotel does not close a shared dir to its other users. Kept light (no
DuckDB) so the CLI can use it early.
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
    paths = [(data_dir / n, FILE_MODE) for n in PRIVATE_FILES]
    if _dedicated(data_dir):
        paths.insert(0, (data_dir, DIR_MODE))
    for path, mode in paths:
        try:
            st = path.stat()
        except FileNotFoundError:
            continue
        if st.st_uid != os.getuid() and os.getuid() != 0:
            continue  # not ours to change
        old = stat.S_IMODE(st.st_mode)
        if old & ~mode:
            os.chmod(path, old & mode)
            log.warning("made %s private: mode %04o -> %04o", path, old, old & mode)
            changed.append(path)
    return changed


def _dedicated(data_dir: Path) -> bool:
    """Whether the dir holds only ccotel's files: a shared dir (`--data-dir /tmp`, a home
    dir) keeps its mode, with a warning, rather than being closed to everyone else."""
    mode = stat.S_IMODE(data_dir.stat().st_mode)
    ours = {*PRIVATE_FILES, f"{DB_FILENAME}.tmp"}
    others = [p.name for p in data_dir.iterdir()
              if p.name not in ours and not p.name.startswith(".server.json.")]
    if not others and not mode & stat.S_ISVTX:
        return True
    if mode & 0o077:
        log.warning("%s holds other files too, and others can read it (mode %04o): left as "
                    "it is; give ccotel a --data-dir of its own", data_dir, mode)
    return False
