"""Entry script of the frozen app: the same ``main`` as the ``calcapp`` console script.

PyInstaller needs a file to start from; the installed package only has an entry point.
``freeze_support`` makes any multiprocessing child (e.g. a data-loading worker) start the
worker instead of a second copy of the app.
"""

import multiprocessing
import sys

from calcapp.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.exit(main())
