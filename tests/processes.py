"""Helpers for tests that run several interpreters at once (data-parallel proofs)."""

from __future__ import annotations

import json
import socket
import subprocess
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
