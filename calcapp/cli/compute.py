"""``calcapp compute``: the exact answer, the model's target and the network's answer."""

from __future__ import annotations

import json
import sys

CHECK, CROSS = "\u2713", "\u2717"


def add_parser(sub) -> None:
    p = sub.add_parser(
        "compute",
        help="answer expressions exactly and with the best covering network",
        description="Answer each EXPR (or each line of --file) exactly and with a network.",
    )
    p.add_argument("exprs", nargs="*", metavar="EXPR", help="expressions, e.g. '123+456'")
    p.add_argument("--file", metavar="PATH", help="one expression per line; '-' reads stdin")
    p.add_argument("--model", metavar="NAME|DIR", help="use this model instead of the best one")
    p.add_argument("--json", action="store_true", help="print one JSON object per input")
    p.add_argument("--fraction", action="store_true", help="exact non-integers as n/d")


def _read_lines(path: str) -> list[str]:
    from calcapp.cli import UsageError

    if path == "-":
        lines = sys.stdin.read().splitlines()
    else:
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                lines = fh.read().splitlines()
        except OSError as exc:
            raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    return [line for line in lines if line.strip()]


def _human(ans) -> str:
    lines = [ans.expression or ans.input]
    if ans.error:
        lines.append(f"  error   {ans.error}")
    if ans.exact is not None:
        lines.append(f"  exact   {ans.exact}")
    if ans.neural is not None:
        if ans.target != ans.exact:
            lines.append(f"  target  {ans.target}   (the task's own semantics)")
        mark = CHECK if ans.match else f"{CROSS} (target {ans.target})"
        lines.append(f"  neural  {ans.neural}  {mark}   [{ans.model}]")
        if len(ans.steps) > 1:  # a rewriting model: what it wrote on the way
            lines.append(f"  steps   {' -> '.join(ans.steps)}")
    elif ans.outside and ans.expression is not None:
        lines.append(f"  neural  -   {ans.outside}")
    return "\n".join(lines)


def run(args) -> int:
    from calcapp.cli import UsageError

    texts = list(args.exprs)
    if args.file:
        texts += _read_lines(args.file)
    if not texts:
        raise UsageError("compute needs at least one EXPR or --file PATH")

    from calcapp.ml.answering import answer_many

    model = None
    if args.model:
        from calcapp.ml.registry import find_model

        try:
            model = find_model(args.model)
        except (LookupError, OSError, ValueError) as exc:
            raise UsageError(str(exc)) from None
    answers = answer_many(texts, model=model, fraction=args.fraction)
    status = 0
    for ans in answers:
        if ans.error:
            status = 2
        if args.json:
            print(json.dumps(ans.to_json(), ensure_ascii=False))
        else:
            print(_human(ans))
            if ans.error:
                print(f"calcapp: {ans.input!r}: {ans.error}", file=sys.stderr)
    return status
