"""``python -m probmodel``: the command line, as the ``probmodel`` script."""

import sys

from probmodel.cli import main

if __name__ == "__main__":
    sys.exit(main())
