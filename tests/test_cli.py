"""The command line, run as a user runs it: in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys


import calcapp


def run_cli(*args, stdin=None):
    env = dict(os.environ)
    env.pop("CALCAPP_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "calcapp", *args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=120,
    )


def test_done_when_example():
    proc = run_cli("compute", "--json", "1 23 + 3 12", "7/2", "2*(3-5)", "5/0", "((1)")
    assert proc.returncode == 2
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["input"] for r in rows] == ["1 23 + 3 12", "7/2", "2*(3-5)", "5/0", "((1)"]
    keys = {"input", "expression", "exact", "target", "neural", "model", "match", "error"}
    # steps: a rewriting model's working; device: what answered (numpy, keras-gpu; issue 22)
    assert all(set(r) - {"steps", "device"} == keys for r in rows)
    assert rows[0]["expression"] == "123+312" and rows[0]["exact"] == "435"
    assert rows[1]["exact"] == "3.5" and rows[1]["error"] is None
    assert rows[2]["exact"] == "-4"
    assert rows[3]["exact"] is None and rows[3]["error"] == "division by zero at 2"
    assert rows[4]["expression"] is None and "missing ')'" in rows[4]["error"]
    assert "Traceback" not in proc.stderr


def test_good_input_exits_zero_and_prints_exact():
    proc = run_cli("compute", "123+456", "1/3")
    assert proc.returncode == 0, proc.stderr
    assert "exact   579" in proc.stdout
    assert "0.333333333333\u2026" in proc.stdout


def test_each_bad_argument_exits_2_with_message():
    for bad in ["1+", "((1)", "5/0", "abc", "1" * 300]:
        proc = run_cli("compute", bad)
        assert proc.returncode == 2, bad
        assert proc.stderr.strip() and "Traceback" not in proc.stderr


def test_an_equation_is_checked_and_its_left_side_answered():
    proc = run_cli("compute", "12+34=47", "12+34=46")
    assert proc.returncode == 0, proc.stderr  # a wrong right side is an answer, not an error
    assert "check   12+34\u226047: the right side should be 46" in proc.stdout
    assert "check   12+34=46 holds" in proc.stdout and "exact   46" in proc.stdout
    row = json.loads(run_cli("compute", "--json", "12+34=47").stdout)
    assert row["input"] == "12+34=47" and row["exact"] == "46"
    assert row["equation"] == {"left": "12+34", "right": "47", "holds": False, "answer": "46"}
    proc = run_cli("compute", "12+34=abc")  # a right side that cannot be read: said, exit 2
    assert proc.returncode == 2 and "cannot check" in proc.stderr and "Traceback" not in proc.stderr


def test_fraction_flag():
    proc = run_cli("compute", "--json", "--fraction", "7/2")
    assert json.loads(proc.stdout)["exact"] == "7/2"


def test_file_mode_gives_every_line_an_object(tmp_path):
    path = tmp_path / "exprs.txt"
    path.write_text("1+1\n\n2*(3\n10/4\n", encoding="utf-8")
    proc = run_cli("compute", "--json", "--file", str(path))
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["input"] for r in rows] == ["1+1", "2*(3", "10/4"]
    assert rows[1]["error"] and rows[2]["exact"] == "2.5"
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr


def test_file_mode_split_between_processes_answers_as_one(tmp_path):
    """--jobs 3 forks three processes (Linux); the answers, their order and the exit status
    are those of one process."""
    lines = ["1+1", "2*(3", "10/4", "-(13+-89)", "6--(12+56)+62", "99*99/7", "7/0", "12+34"] * 4
    path = tmp_path / "exprs.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    one = run_cli("compute", "--json", "--file", str(path), "--jobs", "1")
    three = run_cli("compute", "--json", "--file", str(path), "--jobs", "3")
    assert three.stdout == one.stdout and three.returncode == one.returncode == 2
    assert [json.loads(line)["input"] for line in three.stdout.splitlines()] == lines
    single = run_cli("compute", "--json", "--jobs", "2", "12+34")  # one line: one process
    assert single.returncode == 0 and json.loads(single.stdout)["exact"] == "46"
    bad = run_cli("compute", "--file", str(path), "--jobs", "0")
    assert bad.returncode == 2 and "--jobs" in bad.stderr and "Traceback" not in bad.stderr


def test_file_mode_reads_stdin():
    proc = run_cli("compute", "--json", "--file", "-", stdin="2+2\n3*3\n")
    assert proc.returncode == 0
    assert [json.loads(line)["exact"] for line in proc.stdout.splitlines()] == ["4", "9"]


def test_missing_file_is_a_clean_error(tmp_path):
    proc = run_cli("compute", "--file", str(tmp_path / "nope.txt"))
    assert proc.returncode == 2
    assert "cannot read" in proc.stderr and "Traceback" not in proc.stderr


def test_unknown_model_is_a_clean_error():
    proc = run_cli("compute", "--model", "no-such-model", "1+1")
    assert proc.returncode == 2
    assert "no model named" in proc.stderr


def test_bad_option_exits_2():
    proc = run_cli("compute", "--no-such-option")
    assert proc.returncode == 2


def test_version_and_models():
    proc = run_cli("--version")
    assert proc.returncode == 0 and calcapp.__version__ in proc.stdout
    proc = run_cli("models", "--json")
    assert proc.returncode == 0
    for line in proc.stdout.splitlines():
        assert {"name", "task", "exact_match"} <= set(json.loads(line))


def test_compute_does_not_import_tensorflow_or_qt():
    code = (
        "import sys; from calcapp.cli import main; rc = main(['compute', '12+34']); "
        "bad = [m for m in ('tensorflow', 'keras', 'PySide6') if m in sys.modules]; "
        "print('IMPORTED', bad); sys.exit(rc)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "IMPORTED []" in proc.stdout
