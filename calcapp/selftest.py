"""``calcapp --self-test``: a headless end-to-end check that packaging relies on.

It answers a few expressions with the exact evaluator and every bundled calculator model
whose task covers them, and exits 0 only if every answer is right.
"""

from __future__ import annotations

CASES = ["1+1", "12+34", "123+456", "7*8", "9-3"]


def run_self_test() -> int:
    from calcapp.ml.answering import answer_many
    from calcapp.ml.registry import list_models

    failures = 0
    answers = answer_many(CASES)
    expected = {"1+1": "2", "12+34": "46", "123+456": "579", "7*8": "56", "9-3": "6"}
    for ans in answers:
        ok = ans.exact == expected[ans.input] and ans.match in (True, None)
        failures += not ok
        neural = f"{ans.neural} [{ans.model}]" if ans.neural is not None else "-"
        print(f"{'ok ' if ok else 'FAIL'} {ans.input:<10} exact {ans.exact:<6} neural {neural}")
    models = list_models()
    print(f"{len(models)} calculator model(s) found")
    print("self-test passed" if not failures else f"self-test FAILED ({failures})")
    return 0 if not failures else 1
