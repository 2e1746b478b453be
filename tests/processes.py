"""Helpers for tests that run several interpreters at once (data-parallel proofs, kills)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import time


def finish(procs: list[subprocess.Popen], timeout: float = 240) -> list[dict]:
    """Each process's last stdout line as JSON; all are killed if any runs past ``timeout``."""
    deadline = time.monotonic() + timeout
    try:
        outs = [p.communicate(timeout=max(1.0, deadline - time.monotonic())) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    for p, (_, err) in zip(procs, outs):
        assert p.returncode == 0, err[-2000:]
    return [json.loads(out.strip().splitlines()[-1]) for out, _ in outs]


def free_ports(n: int) -> list[int]:
    """``n`` localhost ports free a moment ago (for a cluster's addresses)."""
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def runs_writer(run_name: str) -> str:
    """A script that keeps appending to a runs database (argv[1]) until it is killed: the
    database a SIGKILL must leave intact. It prints ``ready`` once its run exists."""
    return textwrap.dedent(f"""
        import itertools, sys
        from calcapp.engine.runs_store import RunsStore
        store = RunsStore(sys.argv[1])
        store.start_run("r1", {run_name!r})
        print("ready", flush=True)
        for step in itertools.count(1):
            store.add_batches("r1", [(step, 1, 1.0 / step, float(step))])
    """)


def python(*args) -> subprocess.Popen:
    """This interpreter with ``args``, stdout read as text lines."""
    return subprocess.Popen([sys.executable, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, env=dict(os.environ))


def wait_for(proc: subprocess.Popen, prefix: str, timeout: float = 180) -> list[str]:
    """Read ``proc``'s lines until one starts with ``prefix`` (the lines so far); kill it
    and fail, with its last output, if it never comes."""
    lines, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith(prefix):
            return lines
    proc.kill()
    raise AssertionError(f"never saw {prefix!r} in {''.join(lines)[-1000:]}")


def assert_runs_database_intact(db) -> None:
    """After the kill: the database passes SQLite's check, the run it was writing is found
    interrupted, and the batches written before the kill are there."""
    import sqlite3

    from calcapp.engine.runs_store import RunsStore

    with sqlite3.connect(db) as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    store = RunsStore(db)
    try:
        assert store.mark_interrupted() == 1 and store.get_run("r1").status == "interrupted"
        assert store.batch_curve("r1")[0]
    finally:
        store.close()
