"""calcapp: a calculator whose arithmetic is done by neural networks.

Imports go one way: ``ui -> engine -> arithmetic, handwriting -> nets -> expr, ink``.
``expr`` and ``ink`` are pure Python (NumPy at most); nothing here imports TensorFlow or
Qt at import time, so the command line answers fast.
"""

__version__ = "0.1.0"
