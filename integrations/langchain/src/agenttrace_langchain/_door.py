"""The agenttrace this integration is written against: its public door, version 0.4 or newer.

Imported first by the package, so that an older agenttrace (installed with ``--no-deps``,
or pinned elsewhere) fails with a sentence saying what to install, not with a missing name.
"""

from __future__ import annotations

REQUIRED = (0, 4)
_UPGRADE = "upgrade it with: pip install -U 'agenttrace>=0.4'"

try:
    from agenttrace.instrumentation import VERSION, VERSION_INFO
except ImportError as exc:  # agenttrace before 0.2 has no door
    msg = f"agenttrace-langchain needs agenttrace 0.4 or newer (its door); {_UPGRADE}"
    raise ImportError(msg) from exc

if VERSION_INFO < REQUIRED:
    msg = f"agenttrace-langchain needs agenttrace 0.4 or newer, found {VERSION}; {_UPGRADE}"
    raise ImportError(msg)
