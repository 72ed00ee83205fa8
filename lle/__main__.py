"""python -m lle: the command line (lle.cli)."""

import sys

from lle.cli import main

if __name__ == "__main__":  # importing the module (e.g. to document it) must not run the command
    sys.exit(main())
