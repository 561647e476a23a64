"""``python -m linegroupbot``: the same as the ``linegroupbot`` command."""

import sys

from .cli import main

sys.exit(main())
