"""``python -m calcapp`` is the same as the ``calcapp`` command."""

import sys

from calcapp.cli import main

if __name__ == "__main__":
    sys.exit(main())
