"""Is this piece of a line one whole symbol, several, or part of one?

The line decoder (``line_decoder.py``) reads a scanned line's touching ink whole or cut at
candidate columns (``ink.image_units``), and a pen line's strokes grouped or apart. The symbol
network cannot settle that choice: it was trained on whole symbols, so it reads two touching
digits as one digit, surely ('24' as '8' at 0.997). A second small network, trained on the very
pieces the decoder weighs in real writers' image lines (``training/pieces.py``), answers the
question the symbol network was never asked; the decoder weighs each piece's readings by its
share for *not several symbols* (``PieceNet.not_several``). Pen pieces are read as the picture
view draws them, so the one network serves both.
"""

from __future__ import annotations

import numpy as np

from calcapp.handwriting.layers import forward

KINDS = ("one", "several", "part")
PIECES_NAME = "pieces.npz"
MASK_THRESHOLD = 0.2  # ink above this is the piece's (``ink.image_units`` cuts at this too)


class PieceNet:
    """The exported layers of ``training/pieces.py`` (weights ``p{i}_0``/``p{i}_1``)."""

    def __init__(self, weights: dict, spec: list[dict]):
        self.weights = weights
        self.spec = spec

    def probabilities(self, images28: np.ndarray) -> np.ndarray:
        x = np.asarray(images28, dtype=np.float32)
        if x.ndim == 3:
            x = x[..., None]
        if not len(x):
            return np.zeros((0, len(KINDS)), np.float32)
        return forward(x, self.spec, self.weights, "p")

    def not_several(self, images28: np.ndarray) -> np.ndarray:
        """Each piece's probability of not holding several symbols. The network also knows a
        part of a symbol, but a minus is also the bar of a '+' cut in two: weighing parts down
        too read fewer lines right (the validation writers' spliced lines: 325 of 400 weighing
        'several' alone, 318 weighing 'one'; 284 without the network)."""
        return 1.0 - self.probabilities(images28)[:, KINDS.index("several")]
