"""Is this piece of a line one whole symbol, several, or part of one?

The line decoder (``line_decoder.py``) reads a scanned line's touching ink whole or cut at
candidate columns (``ink.image_units``), and a pen line's strokes grouped or apart. The symbol
network cannot settle that choice: it was trained on whole symbols, so it reads two touching
digits as one digit, surely ('24' as '8' at 0.997). A second small network, trained on the very
pieces the decoder weighs in real writers' image lines (``training/pieces.py``), answers the
question the symbol network was never asked. The decoder makes reading a piece as one symbol
cost more the likelier it holds several, and a piece cut out of one piece of ink, or some of a
pen line's strokes, the likelier it is only part of a symbol (``line_decoder.piece_prior``).
Pen pieces are judged as the picture view draws them, so one network can serve both. The
bundled pen pieces are judged by two networks averaged (``training/pieces.py join``): the later
one, taught that an operator run into a digit's ink is several symbols, alone took a held-out
writer's two-stroke '7' for two; strokes never run into one another, so that lesson is the
scans'.
"""

from __future__ import annotations

import numpy as np

from calcapp.handwriting.layers import ExportedNet

KINDS = ("one", "several", "part")
PIECES_NAME = "pieces.npz"
MASK_THRESHOLD = 0.2  # ink above this is the piece's (``ink.image_units`` cuts at this too)


class PieceNet(ExportedNet):
    """The exported layers of ``training/pieces.py``: each piece's probabilities of the ``KINDS``.
    A member judges the pieces its card entry's ``judges`` names (``pen``, ``image``; both where
    it names none)."""

    PREFIX = "p"
    N_OUT = len(KINDS)

    def judging(self, pen: bool) -> list[dict]:
        """The members that judge pen pieces (``pen``) or scanned ones."""
        kind = "pen" if pen else "image"
        return [m for m in self.members if kind in m.get("judges", ("pen", "image"))] or self.members
