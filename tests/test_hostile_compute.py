"""Issue 19: ``calcapp compute`` streams its input with bounded memory, answers as lines
come, caps --jobs, reads a BOM, takes ``-5+3`` and reports a closed pipe."""

from __future__ import annotations

import io
import json
import os
import select
import subprocess
import sys
import time

import pytest

from calcapp.cli import main
from calcapp.cli import compute
from calcapp.cli.lines import LINE_BYTES, LineReader, chunks, texts_of


def _cli(*args, **kwargs):
    env = {k: v for k, v in os.environ.items() if k != "CALCAPP_DEBUG"}
    return subprocess.Popen([sys.executable, "-m", "calcapp", *args], env=env, **kwargs)


def _read_until(stream, needle: bytes, seconds: float) -> bytes:
    got, end = b"", time.monotonic() + seconds
    while needle not in got and time.monotonic() < end:
        if select.select([stream], [], [], 0.2)[0]:
            data = os.read(stream.fileno(), 65536)
            if not data:
                break
            got += data
    return got


def _rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmRSS"))


def test_a_line_over_the_cap_is_not_echoed_whole(tmp_path, capsys):
    path = tmp_path / "long.txt"
    path.write_text("1" * 1_000_000 + "\n2+2\n" + "3" * 300 + "\n", encoding="utf-8")
    code = main(["compute", "--file", str(path)])
    out, err = capsys.readouterr()
    assert code == 2 and "exact   4" in out
    assert len(out) < 1000 and len(err) < 1000, (len(out), len(err))
    assert err.count("the limit is 256 characters") == 2


def test_the_reader_holds_at_most_one_capped_line():
    stream = io.BytesIO(b"\xef\xbb\xbf1+1\r\n" + b"9" * 5_000_000 + b"\n\n2*3")
    reader = LineReader(stream)
    lines = list(reader)
    assert lines[0] == b"1+1\r" and len(lines[1]) == LINE_BYTES + 1 and lines[-1] == b"2*3"
    items = list(texts_of([], LineReader(io.BytesIO(b"\xef\xbb\xbf1+1\n\n  \n7"))))
    assert items == ["1+1", "7"]  # the BOM is gone, blank lines skipped


def test_chunks_end_when_no_more_input_is_ready():
    assert list(chunks(iter("abcde"), 2, lambda: True)) == [["a", "b"], ["c", "d"], ["e"]]
    assert list(chunks(iter("abc"), 100, lambda: False)) == [["a"], ["b"], ["c"]]
    too_long = object()  # a line answered already ends its chunk too
    assert list(chunks(iter(["a", too_long, "b"]), 100, lambda: True)) == [["a", too_long], ["b"]]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/dev/zero and /proc")
def test_dev_zero_gets_its_error_in_bounded_memory():
    proc = _cli("compute", "--file", "/dev/zero", stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        got = _read_until(proc.stdout, b"limit is 256", 60)
        assert b"limit is 256" in got
        time.sleep(1.0)  # it keeps reading /dev/zero; its memory must not grow
        assert _rss_kb(proc.pid) < 400_000
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="select on a pipe")
def test_answers_come_as_lines_come():
    proc = _cli("compute", "--file", "-", stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL)
    try:
        proc.stdin.write(b"12+30\n")
        proc.stdin.flush()  # the pipe stays open: the answer must not wait for its end
        assert b"exact   42" in _read_until(proc.stdout, b"exact   42", 60)
        proc.stdin.write(b"5*5\n")
        proc.stdin.close()
        assert b"exact   25" in proc.stdout.read()
        assert proc.wait(60) == 0
    finally:
        proc.kill()


def test_a_closed_pipe_is_a_failure_without_a_traceback(tmp_path):
    path = tmp_path / "many.txt"
    path.write_text("1+1\n" * 3000, encoding="utf-8")
    err = tmp_path / "err.txt"
    with open(err, "wb") as fh:
        proc = _cli("compute", "--file", str(path), stdout=subprocess.PIPE, stderr=fh)
        proc.stdout.read(100)
        proc.stdout.close()  # like `| head`
        code = proc.wait(60)
    assert code != 0
    assert "Traceback" not in err.read_text() and "Exception ignored" not in err.read_text()


def test_a_bom_on_the_first_line_is_read_past(tmp_path, capsys):
    path = tmp_path / "bom.txt"
    path.write_bytes("\ufeff1+1\n2+2\n".encode("utf-8"))
    assert main(["compute", "--json", "--file", str(path)]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["exact"] for r in rows] == ["2", "4"] and rows[0]["input"] == "1+1"


def test_a_leading_minus_is_an_expression_as_in_bc(capsys):
    assert main(["compute", "--json", "-5+3", "-(2*3)", "-.5"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["input"], r["exact"]) for r in rows] == [("-5+3", "-2"), ("-(2*3)", "-6"),
                                                        ("-.5", "-0.5")]
    assert main(["compute", "--jobs", "0", "1+1"]) == 2  # options still work


def test_jobs_is_capped_at_the_cpu_count(monkeypatch):
    monkeypatch.setattr(compute, "_cpus", lambda: 2)
    assert compute._jobs(100, 10**6) == 2
    assert compute._jobs(None, 10**6) == 2
    assert compute._jobs(100, 1) == 1 and compute._jobs(None, 10) == 1
