"""One error hierarchy for everything a person can get wrong.

Every error carries a message a person understands and, where it applies, the position of
the offending character (0-based in ``pos``; messages say the 1-based column, "at 7",
because that is how people count characters).
"""

from __future__ import annotations


class CalcError(Exception):
    """Base class: a clear message and an optional character position."""

    def __init__(self, message: str, pos: int | None = None):
        self.message = message
        self.pos = pos
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.pos is None:
            return self.message
        return f"{self.message} at {self.pos + 1}"


class ParseError(CalcError):
    """The text is not a well-formed expression."""


class InputTooLong(CalcError):
    """The input exceeds ``MAX_INPUT_LENGTH`` characters."""


class EvaluationError(CalcError):
    """The expression is well-formed but has no value."""


class DivisionByZero(EvaluationError):
    """A division whose divisor is zero."""
