"""calcapp: a calculator whose arithmetic is done by neural networks.

The package is layered so that imports only go one way: ``ui -> engine -> ml -> core``.
``calcapp.core`` is pure Python (NumPy at most); nothing here imports TensorFlow or Qt
at import time, so the command line answers fast.
"""

__version__ = "0.1.0"
