"""The history store: WAL mode, newest first, survives a reopen, clears."""

from calcapp.engine.history import HistoryStore
from calcapp.arithmetic.answering import Answer


def _answer(expr, exact, neural=None, model=None, match=None):
    return Answer(expr, expression=expr, exact=exact, neural=neural, model=model, match=match)


def test_history_is_wal_newest_first_and_persists(calcapp_home):
    store = HistoryStore()
    assert store.path.parent == calcapp_home
    assert store.journal_mode.lower() == "wal"
    store.add(_answer("1+1", "2", "2", "m", True))
    store.add(_answer("12+34", "46", "47", "m", False))
    store.close()

    again = HistoryStore()
    entries = again.recent()
    assert [e.expression for e in entries] == ["12+34", "1+1"]
    assert entries[0].neural == "47" and entries[0].match is False and entries[0].model == "m"
    assert "\u2717" in entries[0].line() and "46" in entries[0].line()
    again.clear()
    assert again.count() == 0


def test_history_skips_an_identical_repeat_and_empty_input(calcapp_home):
    store = HistoryStore()
    store.add(_answer("1+1", "2"))
    store.add(_answer("1+1", "2"))
    store.add(Answer("   "))
    assert store.count() == 1


def test_a_locked_fresh_database_is_waited_for_not_fatal(calcapp_home):
    """Issue 19: a second window opening the history while another holds the lock (the
    moment it switches a fresh file to WAL) waits, instead of 'database is locked'."""
    import sqlite3
    import threading

    from calcapp.engine.runs_store import RunsStore

    for path, opener in ((calcapp_home / "h.sqlite3", HistoryStore),
                         (calcapp_home / "r.sqlite", RunsStore)):
        holder = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        holder.execute("BEGIN EXCLUSIVE")
        threading.Timer(0.3, holder.execute, ("COMMIT",)).start()
        store = opener(path)  # the pragma fails at first; the retry gets through
        assert store._db.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal"
        store.close()
        holder.close()


def test_the_wal_pragma_is_retried_when_sqlite_says_locked(calcapp_home, monkeypatch):
    import sqlite3

    from calcapp.engine import sqlite_open

    real = sqlite3.connect
    failures = []

    class Flaky:
        def __init__(self, db):
            self.db = db

        def execute(self, sql, *a):
            if "journal_mode=WAL" in sql and len(failures) < 3:
                failures.append(sql)
                raise sqlite3.OperationalError("database is locked")
            return self.db.execute(sql, *a)

        def __getattr__(self, name):
            return getattr(self.db, name)

    monkeypatch.setattr(sqlite_open.sqlite3, "connect", lambda *a, **k: Flaky(real(*a, **k)))
    store = HistoryStore(calcapp_home / "flaky.sqlite3")
    assert len(failures) == 3 and store.count() == 0
    store.close()


def test_a_damaged_file_is_kept_aside_and_a_new_one_begun(calcapp_home):
    from calcapp.engine.runs_store import RunsStore

    junk = bytes(range(256)) * 20  # a failing disk's bytes, or a stray copy: not a database
    for name, opener in (("history.sqlite3", HistoryStore), ("runs.sqlite", RunsStore)):
        path = calcapp_home / name
        path.write_bytes(junk)
        (calcapp_home / f"{name}-wal").write_bytes(b"wal")
        store = opener(path)
        kept = store.set_aside
        assert kept.parent == calcapp_home and kept.name.startswith(f"{name}.damaged-")
        assert kept.read_bytes() == junk and (calcapp_home / f"{kept.name}-wal").read_bytes() == b"wal"
        assert store._db.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal"
        store.close()
        assert opener(path).set_aside is None  # the new file opens as it is
    again = HistoryStore()
    again.add(_answer("1+1", "2"))
    assert [e.expression for e in again.recent()] == ["1+1"]
    again.close()


def test_a_file_that_cannot_be_opened_is_never_set_aside(calcapp_home, monkeypatch):
    import sqlite3

    import pytest

    from calcapp.engine import sqlite_open

    path = calcapp_home / "history.sqlite3"
    HistoryStore(path).close()
    monkeypatch.setattr(sqlite_open, "open_wal", lambda *a, **k: (_ for _ in ()).throw(
        sqlite3.OperationalError("database is locked")))
    with pytest.raises(sqlite3.OperationalError):
        HistoryStore(path)
    assert sorted(p.name for p in calcapp_home.iterdir() if "damaged" in p.name) == []
