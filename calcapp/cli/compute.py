"""``calcapp compute``: the exact answer, the model's target and the network's answer."""

from __future__ import annotations

import json
import os
import sys

CHECK, CROSS = "\u2713", "\u2717"
# From this many lines a file is split between processes, one per CPU: parsing, exact
# answers and decoding are Python, which threads cannot run side by side. Measured on 2
# cores with 10,000 expr lines: 2.6-2.7 s in one process, 2.0 s in two.
PARALLEL_LINES = 2000


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
    p.add_argument("--jobs", type=int, metavar="N",
                   help=f"processes for the lines, on Linux (default: one per CPU from {PARALLEL_LINES:,} lines on)")


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

    from calcapp.arithmetic.answering import answer_many

    model = None
    if args.model:
        from calcapp.nets.registry import find_model

        try:
            model = find_model(args.model)
        except (LookupError, OSError, ValueError) as exc:
            raise UsageError(str(exc)) from None
    from calcapp.nets.devices import pick_inference

    try:
        device = pick_inference(len(texts))  # a big batch on a GPU: one process, Keras
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    jobs = args.jobs if args.jobs is not None else _default_jobs(len(texts))
    if jobs < 1:
        raise UsageError("--jobs needs a number of processes of at least 1")
    if device != "numpy":
        jobs = 1
    if min(jobs, len(texts)) > 1 and _can_fork():
        printed = _answer_in_processes(texts, model, args.fraction, args.json, jobs)
    else:
        printed = _printed(answer_many(texts, model=model, fraction=args.fraction), args.json)
    status = 0
    for out, err in printed:
        print(out)
        if err is not None:
            status = 2
            if not args.json:
                print(err, file=sys.stderr)
    return status


def _printed(answers, as_json: bool) -> list[tuple[str, str | None]]:
    """Each answer as printed, and its error line (None where it has no error)."""
    return [(json.dumps(ans.to_json(), ensure_ascii=False) if as_json else _human(ans),
             f"calcapp: {ans.input!r}: {ans.error}" if ans.error else None) for ans in answers]


def _default_jobs(lines: int) -> int:
    if lines < PARALLEL_LINES:
        return 1
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _can_fork() -> bool:
    """Processes are forked, so they start at once with what is already imported and
    loaded; only on Linux (macOS and Windows would start each afresh, which costs more than
    it gives): elsewhere one process answers."""
    import multiprocessing

    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


def _answer_in_processes(texts, model, fraction: bool, as_json: bool, jobs: int):
    """``_printed(answer_many(...))`` on consecutive slices of ``texts`` in ``jobs`` forked
    processes (at least two slices), in order. Each process decodes on one thread (the
    processes fill the CPUs) and formats its own lines (only text comes back)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    if model is not None:  # loaded once, here, for every process
        from calcapp.arithmetic.predictor import load_predictor

        load_predictor(model)
    size = -(-len(texts) // jobs)
    slices = [texts[i:i + size] for i in range(0, len(texts), size)]
    rest = len(slices) - 1
    with ProcessPoolExecutor(rest, mp_context=multiprocessing.get_context("fork")) as pool:
        later = pool.map(_answer_slice, slices[1:], [model] * rest, [fraction] * rest, [as_json] * rest)
        first = _answer_slice(slices[0], model, fraction, as_json)  # this process takes one too
        return first + [line for part in later for line in part]


def _answer_slice(texts, model, fraction, as_json):
    """One process's share (the CLI's own process too: it ends once the lines are out)."""
    import gc

    from calcapp.arithmetic import predictor
    from calcapp.arithmetic.answering import answer_many

    # a process that ends soon, making ~10 objects per line and little cyclic garbage:
    # collecting would only walk what it built (~0.1 s of 4 CPU-seconds for 10,000 lines)
    gc.disable()
    predictor.WORKERS = 1
    return _printed(answer_many(texts, model=model, fraction=fraction), as_json)
