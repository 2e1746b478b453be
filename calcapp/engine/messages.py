"""Errors as one line a person can read, shared by the manager and its child processes
(which must not import Qt, so this lives apart from the manager)."""

from __future__ import annotations


def readable(exc: BaseException) -> str:
    """One line a person can read; no traceback."""
    if isinstance(exc, ImportError):
        return f"a part of calcapp is not installed: {exc.name or exc}"
    if isinstance(exc, MemoryError):
        return "out of memory"
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if isinstance(exc, KeyError) and text.startswith(("'", '"')):
        text = text[1:-1]  # KeyError quotes its message
    if text and isinstance(exc, (LookupError, ValueError, OSError)):
        return text  # these carry a sentence meant for a person
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
