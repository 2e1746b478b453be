"""``calcapp compute``: the exact answer, the model's target and the network's answer."""

from __future__ import annotations

import itertools
import json
import os
import sys

CHECK, CROSS = "\u2713", "\u2717"
# From this many lines a file is split between processes, one per CPU: parsing, exact
# answers and decoding are Python, which threads cannot run side by side. Measured on 2
# cores with 10,000 expr lines: 2.6-2.7 s in one process, 2.0 s in two.
PARALLEL_LINES = 2000
SLICE_LINES = 2000  # lines per process per chunk once split: bounded memory, few round trips


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


def _human(ans) -> str:
    lines = [ans.expression or ans.input]
    if ans.error:
        lines.append(f"  error   {ans.error}")
    if ans.exact is not None:
        lines.append(f"  exact   {ans.exact}")
    if ans.neural is not None:
        mark = CHECK if ans.match else CROSS
        lines.append(f"  neural  {ans.neural}  {mark}   [{ans.model}]")
        note = ans.task_note()
        if note:  # the task's own answer, in words: it never turns a ✗ into a ✓
            lines.append(f"  note    {note}")
        if len(ans.steps) > 1:  # a rewriting model: what it wrote on the way
            steps = [f"{CROSS} {s}" if i == ans.wrong_step else s for i, s in enumerate(ans.steps)]
            lines.append(f"  steps   {' -> '.join(steps)}")
    elif ans.outside and ans.expression is not None:
        lines.append(f"  neural  -   {ans.outside}")
        lines += [f"          {why}" for why in ans.reasons]
    return "\n".join(lines)


def run(args) -> int:
    from calcapp.cli import UsageError

    if not args.exprs and not args.file:
        raise UsageError("compute needs at least one EXPR or --file PATH")
    if args.jobs is not None and args.jobs < 1:
        raise UsageError("--jobs needs a number of processes of at least 1")
    from calcapp.nets.devices import forced

    try:
        forced()  # a bad CALCAPP_INFERENCE is named before any work
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    model = None
    if args.model:
        from calcapp.nets.registry import find_model

        try:
            model = find_model(args.model)
        except (LookupError, OSError, ValueError) as exc:
            raise UsageError(str(exc)) from None
    from calcapp.cli.lines import LineReader, open_input, texts_of

    reader = None
    if args.file:
        try:
            reader = LineReader(open_input(args.file), owned=args.file != "-")
        except OSError as exc:
            raise UsageError(f"cannot read {args.file}: {exc.strerror or exc}") from None
    try:
        exprs = [e[1:] if e.startswith(" -") else e for e in args.exprs]  # see cli._negative_expressions
        items = texts_of(exprs, reader)
        return _answer_stream(items, reader.ready if reader else lambda: True, model, args)
    finally:
        if reader is not None:
            reader.close()


def _answer_stream(items, ready, model, args) -> int:
    """Answer ``items`` chunk by chunk, printing each chunk's answers as soon as it is done:
    memory stays bounded however long the input, and a pipe gets answers as lines come."""
    from calcapp.cli.lines import chunks

    first = next(chunks(items, PARALLEL_LINES, ready), [])
    jobs = _jobs(args.jobs, len(first))
    printer = _Printer(args.json)
    if jobs > 1 and _can_fork():
        _answer_in_processes(first, chunks(items, SLICE_LINES * jobs, ready), model,
                             args.fraction, args.json, jobs, printer)
    else:
        for chunk in itertools.chain([first], chunks(items, PARALLEL_LINES, ready)):
            printer.emit(_answer_slice(chunk, model, args.fraction, args.json, one_thread=False))
    return printer.status


class _Printer:
    """Prints answers (stdout) and their error lines (stderr), flushing after each chunk."""

    def __init__(self, as_json: bool):
        self.as_json, self.status = as_json, 0

    def emit(self, printed) -> None:
        for out, err in printed:
            print(out)
            if err is not None:
                self.status = 2
                if not self.as_json:
                    print(err, file=sys.stderr)
        sys.stdout.flush()


def _printed(answers, as_json: bool, checks=None) -> list[tuple[str, str | None]]:
    """Each answer as printed, and its error line (None where it has no error). With
    ``checks``, an answer given ``(text, check)`` is the left side of the equation ``text``."""
    from calcapp.expr.equation import verdict

    out = []
    for ans, checked in zip(answers, checks or [None] * len(answers)):
        text, check = checked or (ans.input, None)
        error = ans.error
        if as_json:
            data = ans.to_json() if check is None else {**ans.to_json(), "input": text, "equation": check}
            printed = json.dumps(data, ensure_ascii=False)
        else:
            printed = _human(ans)
            if check is not None:
                printed = "\n".join([text, *printed.splitlines()[1:], f"  check   {verdict(check)}"])
        if check is not None and check["holds"] is None:
            error = error or verdict(check)
        out.append((printed, f"calcapp: {text!r}: {error}" if error else None))
    return out


def _jobs(asked: int | None, first_lines: int) -> int:
    """Processes to use: never more than the CPUs (``--jobs 100`` must not fork 100)."""
    cpus = _cpus()
    if asked is not None:
        return max(1, min(asked, cpus, first_lines))
    return cpus if first_lines >= PARALLEL_LINES else 1


def _cpus() -> int:
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


def _answer_in_processes(first, rest, model, fraction: bool, as_json: bool, jobs: int,
                         printer) -> None:
    """Each chunk (``first``, then those of ``rest``) split into ``jobs`` consecutive slices
    answered by forked processes and this one, printed in order. The processes live for
    the whole stream; each decodes on one thread (they fill the CPUs) and formats its own
    lines (only text comes back)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    if model is not None:  # loaded once, here, for every process
        from calcapp.arithmetic.predictor import load_predictor

        load_predictor(model)
    with ProcessPoolExecutor(jobs - 1, mp_context=multiprocessing.get_context("fork")) as pool:
        for chunk in itertools.chain([first], rest):
            size = -(-len(chunk) // jobs)
            slices = [chunk[i:i + size] for i in range(0, len(chunk), size)]
            n = len(slices) - 1
            later = pool.map(_answer_slice, slices[1:], [model] * n, [fraction] * n, [as_json] * n)
            printer.emit(_answer_slice(slices[0], model, fraction, as_json))  # this one's share
            for part in later:
                printer.emit(part)


def _answer_slice(items, model, fraction, as_json, one_thread=True):
    """One process's share: texts answered together; lines too long come pre-answered."""
    import gc

    from calcapp.arithmetic import predictor
    from calcapp.arithmetic.answering import answer_many

    # ~10 objects per line and little cyclic garbage: collecting while answering would only
    # walk what the slice built; it runs again once the slice is done. Only if it ran before:
    # in the window's process collection is the GUI thread's (ui/collector.py), and switching
    # it back on here once let a collection start in a worker thread.
    was_on = gc.isenabled()
    gc.disable()
    try:
        if one_thread:
            predictor.WORKERS = 1
        from calcapp.expr.equation import check_equation

        texts = [t for t in items if isinstance(t, str)]
        checks = [check_equation(t) for t in texts]  # 'a=b' is a claim: its left side is asked
        questions = [t if c is None else c["left"] + "=" for t, c in zip(texts, checks)]
        checked = [c and (t, c) for t, c in zip(texts, checks)]
        answered = iter(zip(answer_many(questions, model=model, fraction=fraction), checked))
        shown = [next(answered) if isinstance(t, str) else (t, None) for t in items]
        return _printed([a for a, _ in shown], as_json, [c for _, c in shown])
    finally:
        if was_on:
            gc.enable()
