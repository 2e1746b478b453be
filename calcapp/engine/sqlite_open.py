"""Opening calcapp's SQLite files in WAL mode, safely when two processes start at once.

Why: switching a fresh database to WAL needs a lock for a moment; a second window that
opens the same file in that moment gets ``database is locked`` straight from the pragma
(SQLite's busy handler does not always cover it). A busy timeout plus a short retry loop
turns that race into a wait of a few milliseconds.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

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
