"""Input lines for ``calcapp compute --file``, read with bounded memory.

Why not ``read().splitlines()``: ``/dev/zero`` or ``yes 1+1 |`` never end, and one line of
a gigabyte would be held whole (and echoed). Here the input is read in blocks, a line
longer than the cap is skipped to its end and answered with an error that quotes only its
start, and answers are produced chunk by chunk.
"""

from __future__ import annotations

import io
import select
import sys
from collections import deque
from typing import Callable, Iterable, Iterator

from calcapp.expr.lexer import MAX_INPUT_LENGTH

BLOCK = 1 << 16  # bytes read at a time
LINE_BYTES = 4 * MAX_INPUT_LENGTH + 4  # a line holds at most this many bytes (UTF-8)
SHOWN = 40  # characters of a too-long line that its error quotes
BOM = b"\xef\xbb\xbf"


def open_input(path: str):
    """An unbuffered binary stream for ``path`` (``-``: standard input)."""
    if path == "-":
        stdin = getattr(sys.stdin, "buffer", sys.stdin)
        return getattr(stdin, "raw", stdin)
    return open(path, "rb", buffering=0)


class LineReader:
    """Lines of a binary stream, each cut to ``LINE_BYTES + 1`` bytes: memory stays bounded.

    A line that grows past the cap is handed on at once (its rest is skipped as it comes),
    so even ``/dev/zero`` gets its error line straight away.
    """

    def __init__(self, stream, owned: bool = True):
        self.stream, self.owned = stream, owned
        self.lines: deque[bytes] = deque()
        self.rest = b""  # the start of a line whose end has not come yet
        self.skipping = False  # inside a line already handed on as too long
        self.eof = False
        self.first = True

    def close(self) -> None:
        if self.owned:  # standard input stays open
            self.stream.close()

    def ready(self) -> bool:
        """Whether the next line can be had without waiting for the writer."""
        if self.lines or self.eof:
            return True
        try:
            return bool(select.select([self.stream], [], [], 0)[0])
        except (OSError, ValueError, TypeError, io.UnsupportedOperation):
            return True  # not selectable (Windows pipes, test doubles): never wait early

    def __iter__(self) -> Iterator[bytes]:
        while True:
            while not self.lines and not self.eof:
                self._fill()
            if not self.lines:
                return
            yield self.lines.popleft()

    def _fill(self) -> None:
        data = self.stream.read(BLOCK)
        if data is None:  # a non-blocking stream with nothing yet
            return
        if self.first:
            self.first = False
            data = data[len(BOM):] if data.startswith(BOM) else data
        if not data:
            self.eof = True
            if self.rest and not self.skipping:
                self.lines.append(self.rest)
            return
        parts = data.split(b"\n")
        tail = parts.pop()
        for part in parts:
            if self.skipping:  # the end of a line already handed on
                self.skipping = False
                continue
            self.lines.append((self.rest + part)[:LINE_BYTES + 1])
            self.rest = b""
        if self.skipping:
            return
        self.rest += tail
        if len(self.rest) > LINE_BYTES:
            self.lines.append(self.rest[:LINE_BYTES + 1])
            self.rest, self.skipping = b"", True


def too_long(start: str, length: str):
    """An answer for a line over the cap: its error quotes only the line's start."""
    from calcapp.arithmetic.answering import Answer

    return Answer(start[:SHOWN] + "\u2026", error=f"the input is {length} long; the limit "
                                                 f"is {MAX_INPUT_LENGTH} characters")


def texts_of(exprs: Iterable[str], reader: LineReader | None) -> Iterator:
    """The command line's expressions, then the file's non-blank lines: each a string, or
    an Answer already (a line over the cap)."""
    for text in exprs:
        long = len(text) > MAX_INPUT_LENGTH
        yield too_long(text, f"{len(text):,} characters") if long else text
    if reader is None:
        return
    for line in reader:
        text = line.decode("utf-8", errors="replace").rstrip("\r")
        if len(line) > LINE_BYTES:
            yield too_long(text, f"more than {LINE_BYTES:,} bytes")
        elif len(text) > MAX_INPUT_LENGTH:
            yield too_long(text, f"{len(text):,} characters")
        elif text.strip():
            yield text


def chunks(items: Iterator, size: int, ready: Callable[[], bool]) -> Iterator[list]:
    """Lists of at most ``size`` items; a list also ends when no more input is ready, so a
    person typing into a pipe gets each answer at once, and after a line too long (whose
    rest may never end: ``/dev/zero``), so its error is not held back."""
    chunk: list = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size or not isinstance(item, str) or not ready():
            yield chunk
            chunk = []
    if chunk:
        yield chunk
