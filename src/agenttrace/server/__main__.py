"""``python -m agenttrace.server --host --port --database --data-dir``."""

from __future__ import annotations

import sys

from agenttrace.server._serve import main

if __name__ == "__main__":
    sys.exit(main())
