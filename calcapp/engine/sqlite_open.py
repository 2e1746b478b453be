"""Opening calcapp's SQLite files in WAL mode, safely when two processes start at once.

Why: switching a fresh database to WAL needs a lock for a moment; a second window that
opens the same file in that moment gets ``database is locked`` straight from the pragma
(SQLite's busy handler does not always cover it). A busy timeout plus a short retry loop
turns that race into a wait of a few milliseconds. A file that is not (or no longer) a
database, from a failing disk or a stray copy, is set aside under a new name, never deleted,
and a fresh one started (``open_kept``): one damaged history must not keep the app from
starting.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from calcapp.paths import set_aside

RETRY_SECONDS = 10.0  # give up after this long, with SQLite's own message


def _busy(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def open_wal(path: Path, schema: str, timeout: float = 5.0,
             check_same_thread: bool = True) -> sqlite3.Connection:
    """A connection to ``path`` in WAL mode with ``schema`` applied (retried while busy)."""
    db = sqlite3.connect(str(path), timeout=timeout, check_same_thread=check_same_thread)
    db.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
    deadline = time.monotonic() + RETRY_SECONDS
    delay = 0.005
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(schema)
            db.commit()
            return db
        except sqlite3.OperationalError as exc:
            if not _busy(exc) or time.monotonic() > deadline:
                db.close()
                raise
            try:
                db.rollback()
            except sqlite3.Error:
                pass
            time.sleep(delay)
            delay = min(delay * 2, 0.2)


def open_kept(path: Path, schema: str, **kwargs) -> tuple[sqlite3.Connection, Path | None]:
    """``open_wal``, but a damaged file is renamed aside (with its WAL and shared-memory
    files) and a new one begun: (connection, where the damaged file now is, or ``None``)."""
    try:
        return open_wal(path, schema, **kwargs), None
    except sqlite3.OperationalError:
        raise  # locked, read-only, a full disk: nothing about the file is wrong
    except sqlite3.DatabaseError:  # "file is not a database", "database disk image is malformed"
        pass
    kept = set_aside(path, "damaged")
    return open_wal(path, schema, **kwargs), kept
