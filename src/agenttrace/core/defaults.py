"""Where the collector listens and keeps its data unless told otherwise.

The client's settings, the collector, the query client and the CLI all start from these.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["DEFAULT_ENDPOINT", "DEFAULT_PORT", "default_data_dir"]

DEFAULT_PORT = 8787
DEFAULT_ENDPOINT = f"http://127.0.0.1:{DEFAULT_PORT}"


def default_data_dir() -> Path:
    """Where the embedded collector keeps its SQLite file (``AGENTTRACE_DATA_DIR``)."""
    configured = os.environ.get("AGENTTRACE_DATA_DIR")
    if configured:
        return Path(configured).expanduser()
    import platformdirs  # on first use: it costs more to import than the rest of this module

    return Path(platformdirs.user_data_dir("agenttrace", appauthor=False))
