"""python -m lle: the command line (lle.cli)."""
import sys

from lle.cli import main

sys.exit(main())
