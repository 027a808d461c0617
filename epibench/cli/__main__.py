"""``python -m epibench.cli``: the ``epibench`` command."""

import sys

from epibench.cli import main

sys.exit(main())
