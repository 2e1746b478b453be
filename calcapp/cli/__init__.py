"""The ``calcapp`` command: subcommands, and the window when called with no arguments.

Every subcommand lives in its own module with ``add_parser`` and ``run``. Heavy imports
(TensorFlow, Qt) happen inside ``run`` so that ``calcapp compute`` starts fast.
Bad input exits with status 2 and a one-line message; no traceback reaches a user.
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import sys

from calcapp import __version__

# name -> module implementing add_parser(subparsers) and run(args) -> int
SUBCOMMANDS = {
    "compute": "calcapp.cli.compute",
    "models": "calcapp.cli.models",
    "recognize": "calcapp.cli.recognize",
    "train": "calcapp.cli.train",
}


BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a command its pipe cut off


class UsageError(Exception):
    """A bad argument: printed as one line, exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="calcapp",
        description="A calculator whose arithmetic is done by neural networks. "
        "With no arguments, opens the window.",
    )
    parser.add_argument("--version", action="version", version=f"calcapp {__version__}")
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="load the bundled models, answer and recognise a few inputs headless; "
        "exit 0 only if all are right",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module in SUBCOMMANDS.items():
        try:
            mod = importlib.import_module(module)
        except ImportError:
            continue  # a subcommand whose module is not there yet
        mod.add_parser(sub)
    return parser


_NEGATIVE = re.compile(r"-[0-9.(]")


def _negative_expressions(argv: list[str]) -> list[str]:
    """``calcapp compute -5+3`` means the expression, as in ``bc``: argparse would take it
    for an option, so such arguments get a leading space (the expression parser skips
    spaces, and ``compute`` removes it again)."""
    if not argv or argv[0] != "compute":
        return list(argv)
    return [argv[0]] + [" " + a if _NEGATIVE.match(a) else a for a in argv[1:]]


def _configure_stdio() -> None:
    # Answers hold ✓ ✗ … ; never die on a terminal with a narrow encoding.
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="replace")
        except (AttributeError, ValueError):
            pass


def main(argv: list[str] | None = None) -> int:
    _configure_stdio()
    argv = _negative_expressions(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.self_test:
            from calcapp.engine.selftest import run_self_test

            return run_self_test()
        if args.command is None:
            return gui_main()
        mod = importlib.import_module(SUBCOMMANDS[args.command])
        return int(mod.run(args) or 0)
    except UsageError as exc:
        print(f"calcapp: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        _silence_stdout()
        return BROKEN_PIPE
    except Exception as exc:  # last line of defence: no traceback for users
        if os.environ.get("CALCAPP_DEBUG"):
            raise
        from calcapp.nets.registry import BadModelError

        if isinstance(exc, BadModelError):  # a broken model file or card: the user's input
            print(f"calcapp: {exc}", file=sys.stderr)
            return 2
        print(f"calcapp: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


def _silence_stdout() -> None:
    """The reader went away: point stdout at /dev/null so that Python's final flush does
    not print a second BrokenPipeError."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, AttributeError, ValueError):
        pass


def gui_main() -> int:
    """Entry point of the window (``calcapp`` with no arguments, or ``calcapp-gui``)."""
    from calcapp.ui.app import run_app

    return run_app(sys.argv[:1])
