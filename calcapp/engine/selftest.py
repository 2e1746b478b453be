"""``calcapp --self-test``: a headless end-to-end check that packaging relies on.

It answers a few expressions with the exact evaluator and with every bundled calculator
model whose task covers them, then has the bundled recognizer read a few symbols written
from the synthetic-ink templates (clean strokes: a recognizer that cannot read those is
broken, not merely inaccurate). It exits 0 only if every answer and every symbol is right.
Only bundled models count: what a user trained must not make an install pass or fail.
No Qt and no TensorFlow: it runs on a machine without a display.
"""

from __future__ import annotations

CASES = {"1+1": "2", "12+34": "46", "123+456": "579", "7*8": "56", "9-3": "6"}
# Each is written as one line of ink; the reading must give exactly these symbols.
INK_CASES = ["7", "12+3", "4\u00d75", "8-6", "(9)"]


def bundled_calculators() -> list:
    from calcapp.nets.registry import list_models

    return [m for m in list_models() if m.source == "bundled"]


def bundled_recognizer():
    """The shipped recognizer (never the user's personalised one)."""
    from calcapp.paths import bundled_models_dir
    from calcapp.handwriting.recognizer import BUNDLED_NAME, load_recognizer

    return load_recognizer(bundled_models_dir() / BUNDLED_NAME)


def check_answers(models: list, out=print, predictor_for=None) -> int:
    """Print one line per case; return the number of wrong answers."""
    from calcapp.arithmetic.answering import answer_many

    kwargs = {} if predictor_for is None else {"predictor_for": predictor_for}
    failures = 0
    for ans in answer_many(list(CASES), models=models, **kwargs):
        ok = ans.exact == CASES[ans.input] and ans.match in (True, None)
        failures += not ok
        neural = f"{ans.neural} [{ans.model}]" if ans.neural is not None else "-"
        out(f"{'ok ' if ok else 'FAIL'} {ans.input:<10} exact {ans.exact:<6} neural {neural}")
    out(f"{len(models)} bundled calculator model(s)")
    return failures


def _same(read: str, truth: str) -> bool:
    norm = {"\u00b7": "\u00d7", "*": "\u00d7", "x": "\u00d7", "\u2212": "-"}
    return "".join(norm.get(c, c) for c in read) == "".join(norm.get(c, c) for c in truth)


def check_ink(recognizer, out=print) -> int:
    """Read each ``INK_CASES`` line written with template strokes; return the misreads."""
    import numpy as np

    from calcapp.ink.synth import synth_line

    failures = 0
    for i, text in enumerate(INK_CASES):
        strokes, _ = synth_line(text, np.random.default_rng(i), height=80.0, strength=0.0)
        reading = recognizer.read_strokes(strokes)
        read = "".join(s.label for s in reading.symbols)
        ok = _same(read, text)
        failures += not ok
        confs = " ".join(f"{round(100 * s.confidence)}%" for s in reading.symbols)
        out(f"{'ok ' if ok else 'FAIL'} ink {text:<8} read {read:<8} {confs}")
    return failures


def run_self_test() -> int:
    failures = check_answers(bundled_calculators())
    try:
        recognizer = bundled_recognizer()
    except (ImportError, OSError, ValueError, KeyError) as exc:
        print(f"FAIL recognizer: cannot load the bundled recognizer: {exc}")
        failures += 1
    else:
        failures += check_ink(recognizer)
    print("self-test passed" if not failures else f"self-test FAILED ({failures})")
    return 0 if not failures else 1
