"""Training runs and their curves, kept in SQLite so they survive a restart.

The Training tab records every batch loss and every epoch report here as they arrive, so a
run can be reopened, overlaid on another and exported to CSV long after the app closed.
One file in ``data_home()`` (``runs.sqlite``) in WAL mode: the GUI reads curves while a
writer appends, and a crash loses at most the last unflushed batch points. Pure Python
(sqlite3 only), so the CLI and tests can use it without Qt or TensorFlow.
"""

from __future__ import annotations

import csv
import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from calcapp.engine.sqlite_open import open_kept
from calcapp.paths import data_home

DB_NAME = "runs.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id      TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL DEFAULT 'calculator',
    status      TEXT NOT NULL DEFAULT 'running',
    config      TEXT NOT NULL DEFAULT '{}',
    info        TEXT NOT NULL DEFAULT '{}',
    result      TEXT NOT NULL DEFAULT '{}',
    model_dir   TEXT,
    started_at  REAL NOT NULL,
    finished_at REAL
);
CREATE TABLE IF NOT EXISTS batches (
    run_id TEXT NOT NULL,
    step   INTEGER NOT NULL,
    epoch  INTEGER NOT NULL,
    loss   REAL NOT NULL,
    t      REAL NOT NULL,
    PRIMARY KEY (run_id, step)
);
CREATE TABLE IF NOT EXISTS epochs (
    run_id        TEXT NOT NULL,
    epoch         INTEGER NOT NULL,
    step          INTEGER NOT NULL,
    train_loss    REAL,
    val_loss      REAL,
    char_accuracy REAL,
    exact_match   REAL,
    t             REAL NOT NULL,
    samples       TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (run_id, epoch)
);
"""

EPOCH_COLUMNS = ("epoch", "step", "train_loss", "val_loss", "char_accuracy", "exact_match", "t")


@dataclass
class RunRecord:
    run_id: str
    name: str
    kind: str
    status: str  # running, finished, stopped, failed, interrupted
    config: dict[str, Any]
    info: dict[str, Any]
    result: dict[str, Any]
    model_dir: str | None
    started_at: float
    finished_at: float | None
    epochs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def test_exact_match(self) -> float | None:
        return (self.result.get("metrics") or {}).get("exact_match")

    def label(self) -> str:
        stamp = time.strftime("%m-%d %H:%M", time.localtime(self.started_at))
        return f"{self.name}  [{self.status}]  {stamp}"


def _json(value: Any) -> str:
    return json.dumps(value, default=str, ensure_ascii=False)


class RunsStore:
    """All access to ``runs.sqlite``; safe to share between threads (one lock, one connection)."""

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path else data_home() / DB_NAME
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db, self.set_aside = open_kept(self.path, _SCHEMA, timeout=10, check_same_thread=False)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- writing -----------------------------------------------------------------------
    def start_run(self, run_id: str, name: str, kind: str = "calculator",
                  config: dict | None = None, started_at: float | None = None) -> None:
        with self._lock, self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO runs (run_id, name, kind, status, config, started_at)"
                " VALUES (?, ?, ?, 'running', ?, ?)",
                (run_id, name, kind, _json(config or {}), started_at or time.time()),
            )

    def set_info(self, run_id: str, info: dict) -> None:
        with self._lock, self._db:
            self._db.execute("UPDATE runs SET info=? WHERE run_id=?", (_json(info), run_id))

    def add_batches(self, run_id: str, points: Iterable[tuple[int, int, float, float]]) -> None:
        """``points``: (step, epoch, loss, t) tuples; a repeated step replaces the old one."""
        rows = [(run_id, int(s), int(e), float(loss), float(t)) for s, e, loss, t in points]
        if not rows:
            return
        with self._lock, self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO batches (run_id, step, epoch, loss, t) VALUES (?,?,?,?,?)",
                rows,
            )

    def add_epoch(self, run_id: str, report, t: float | None = None) -> None:
        """Store a ``calcapp.nets.events.EpochReport`` (or any object with its fields)."""
        samples = [
            {"question": s.question, "target": s.target, "answer": s.answer}
            for s in getattr(report, "samples", ())
        ]
        with self._lock, self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO epochs (run_id, epoch, step, train_loss, val_loss,"
                " char_accuracy, exact_match, t, samples) VALUES (?,?,?,?,?,?,?,?,?)",
                (run_id, report.epoch, report.step, report.train_loss, report.val_loss,
                 report.char_accuracy, report.exact_match,
                 t if t is not None else time.time(), _json(samples)),
            )

    def finish_run(self, run_id: str, status: str, result: dict | None = None,
                   model_dir: str | None = None) -> None:
        with self._lock, self._db:
            self._db.execute(
                "UPDATE runs SET status=?, result=?, model_dir=COALESCE(?, model_dir),"
                " finished_at=? WHERE run_id=?",
                (status, _json(result or {}), model_dir, time.time(), run_id),
            )

    def mark_interrupted(self) -> int:
        """Runs still 'running' from an earlier session died with it; say so."""
        with self._lock, self._db:
            cur = self._db.execute(
                "UPDATE runs SET status='interrupted' WHERE status IN ('running', 'paused')"
            )
            return cur.rowcount

    def delete_run(self, run_id: str) -> None:
        with self._lock, self._db:
            for table in ("batches", "epochs", "runs"):
                self._db.execute(f"DELETE FROM {table} WHERE run_id=?", (run_id,))

    # -- reading -----------------------------------------------------------------------
    def _record(self, row) -> RunRecord:
        return RunRecord(
            run_id=row[0], name=row[1], kind=row[2], status=row[3],
            config=json.loads(row[4] or "{}"), info=json.loads(row[5] or "{}"),
            result=json.loads(row[6] or "{}"), model_dir=row[7],
            started_at=row[8], finished_at=row[9],
        )

    _RUN_COLS = ("run_id, name, kind, status, config, info, result, model_dir, "
                 "started_at, finished_at")

    def list_runs(self) -> list[RunRecord]:
        """Newest first."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {self._RUN_COLS} FROM runs ORDER BY started_at DESC"
            ).fetchall()
        return [self._record(r) for r in rows]

    def get_run(self, run_id: str) -> RunRecord | None:
        with self._lock:
            row = self._db.execute(
                f"SELECT {self._RUN_COLS} FROM runs WHERE run_id=?", (run_id,)
            ).fetchone()
        if row is None:
            return None
        rec = self._record(row)
        rec.epochs = self.epoch_rows(run_id)
        return rec

    def batch_curve(self, run_id: str) -> tuple[list[int], list[float], list[float]]:
        """(steps, losses, seconds since the run started) in step order."""
        with self._lock:
            start = self._db.execute(
                "SELECT started_at FROM runs WHERE run_id=?", (run_id,)
            ).fetchone()
            rows = self._db.execute(
                "SELECT step, loss, t FROM batches WHERE run_id=? ORDER BY step", (run_id,)
            ).fetchall()
        t0 = start[0] if start else (rows[0][2] if rows else 0.0)
        return [r[0] for r in rows], [r[1] for r in rows], [r[2] - t0 for r in rows]

    def epoch_rows(self, run_id: str) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT {', '.join(EPOCH_COLUMNS)}, samples FROM epochs WHERE run_id=?"
                " ORDER BY epoch",
                (run_id,),
            ).fetchall()
        out = []
        for row in rows:
            d = dict(zip(EPOCH_COLUMNS, row[:-1]))
            d["samples"] = json.loads(row[-1] or "[]")
            out.append(d)
        return out

    # -- export ------------------------------------------------------------------------
    def export_csv(self, run_id: str, path: str | Path) -> Path:
        """One row per batch and per epoch: ``kind,epoch,step,t,loss,...``, for spreadsheets."""
        path = Path(path)
        steps, losses, times = self.batch_curve(run_id)
        with self._lock:
            epochs = self._db.execute(
                "SELECT epoch, step FROM batches WHERE run_id=? ORDER BY step", (run_id,)
            ).fetchall()
            start = self._db.execute(
                "SELECT started_at FROM runs WHERE run_id=?", (run_id,)
            ).fetchone()
        t0 = start[0] if start else 0.0
        header = ["kind", "epoch", "step", "seconds", "loss", "val_loss", "char_accuracy",
                  "exact_match"]
        with open(path, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            for (epoch, _), step, loss, t in zip(epochs, steps, losses, times):
                w.writerow(["batch", epoch, step, f"{t:.3f}", loss, "", "", ""])
            for e in self.epoch_rows(run_id):
                w.writerow(["epoch", e["epoch"], e["step"], f"{e['t'] - t0:.3f}",
                            _blank(e["train_loss"]), _blank(e["val_loss"]),
                            _blank(e["char_accuracy"]), _blank(e["exact_match"])])
        return path


def _blank(x):
    return "" if x is None else x
