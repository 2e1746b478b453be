"""The calculation history: SQLite in the per-user data home, newest first.

Plain ``sqlite3`` (no Qt) so the CLI and tests can read it too. WAL mode lets a second
window (or a test reading the file) see committed entries without blocking the writer,
and a crash mid-write never loses earlier entries.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from calcapp.engine.sqlite_open import open_kept
from calcapp.paths import data_home

FILE_NAME = "history.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts REAL NOT NULL,
    expression TEXT NOT NULL,
    exact TEXT,
    neural TEXT,
    model TEXT,
    match INTEGER,
    error TEXT,
    source TEXT NOT NULL DEFAULT 'typing'
)
"""


@dataclass(frozen=True)
class HistoryEntry:
    id: int
    ts: float
    expression: str
    exact: str | None
    neural: str | None
    model: str | None
    match: bool | None
    error: str | None
    source: str

    def line(self) -> str:
        """One line a person reads (and what "copy" puts on the clipboard)."""
        if self.error:
            return f"{self.expression}   {self.error}"
        parts = [f"{self.expression} = {self.exact if self.exact is not None else '?'}"]
        if self.neural is not None:
            mark = "\u2713" if self.match else "\u2717"
            parts.append(f"network {self.neural} {mark} [{self.model}]")
        return "   ".join(parts)


class HistoryStore:
    """Append-only list of computed expressions; one connection, used from one thread."""

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path is not None else data_home() / FILE_NAME
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db, self.set_aside = open_kept(self.path, _SCHEMA, timeout=5.0)  # a damaged file kept there

    @property
    def journal_mode(self) -> str:
        return self._db.execute("PRAGMA journal_mode").fetchone()[0]

    def add(self, answer, source: str = "typing") -> HistoryEntry | None:
        """Store an ``Answer``; an identical repeat of the newest entry is not stored twice."""
        expression = answer.expression or answer.input
        if not expression or not expression.strip():
            return None
        newest = self.recent(1)
        if newest and (newest[0].expression, newest[0].exact, newest[0].neural, newest[0].model) == (
            expression, answer.exact, answer.neural, answer.model
        ):
            return newest[0]
        match = None if answer.match is None else int(bool(answer.match))
        cur = self._db.execute(
            "INSERT INTO entries (ts, expression, exact, neural, model, match, error, source) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (time.time(), expression, answer.exact, answer.neural, answer.model, match,
             answer.error, source),
        )
        self._db.commit()
        return self.get(cur.lastrowid)

    def get(self, entry_id: int) -> HistoryEntry | None:
        row = self._db.execute(
            "SELECT id, ts, expression, exact, neural, model, match, error, source "
            "FROM entries WHERE id = ?", (entry_id,)
        ).fetchone()
        return _entry(row) if row else None

    def recent(self, limit: int = 500) -> list[HistoryEntry]:
        rows = self._db.execute(
            "SELECT id, ts, expression, exact, neural, model, match, error, source "
            "FROM entries ORDER BY id DESC LIMIT ?", (limit,)
        ).fetchall()
        return [_entry(r) for r in rows]

    def count(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM entries").fetchone()[0]

    def clear(self) -> None:
        self._db.execute("DELETE FROM entries")
        self._db.commit()

    def close(self) -> None:
        self._db.close()


def _entry(row) -> HistoryEntry:
    eid, ts, expression, exact, neural, model, match, error, source = row
    return HistoryEntry(eid, ts, expression, exact, neural, model,
                        None if match is None else bool(match), error, source)
