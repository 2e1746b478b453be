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
