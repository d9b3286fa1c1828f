"""``python -m agenttrace.server [OPTIONS]``: the ``agenttrace serve`` command line."""

from __future__ import annotations

import sys

from agenttrace.cli._serve import main

if __name__ == "__main__":
    sys.exit(main())
