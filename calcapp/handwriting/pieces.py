"""Is this piece of a line one whole symbol, several, or part of one?

The line decoder (``line_decoder.py``) reads a scanned line's touching ink whole or cut at
candidate columns (``ink.image_units``), and a pen line's strokes grouped or apart. The symbol
network cannot settle that choice: it was trained on whole symbols, so it reads two touching
digits as one digit, surely ('24' as '8' at 0.997). A second small network, trained on the very
pieces the decoder weighs in real writers' image lines (``training/pieces.py``), answers the
question the symbol network was never asked. The decoder makes reading a piece as one symbol
cost more the likelier it holds several, and a piece cut out of one piece of ink, or some of a
pen line's strokes, the likelier it is only part of a symbol (``line_decoder.piece_prior``).
Pen pieces are judged as the picture view draws them, so the one network serves both.
"""

from __future__ import annotations

import numpy as np

from calcapp.handwriting.layers import ExportedNet

KINDS = ("one", "several", "part")
PIECES_NAME = "pieces.npz"
MASK_THRESHOLD = 0.2  # ink above this is the piece's (``ink.image_units`` cuts at this too)


class PieceNet(ExportedNet):
    """The exported layers of ``training/pieces.py``: each piece's probabilities of the ``KINDS``."""

    PREFIX = "p"
    N_OUT = len(KINDS)
