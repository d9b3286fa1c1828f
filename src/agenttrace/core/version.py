"""agenttrace's version, in one place (the distribution's metadata says the same)."""

from __future__ import annotations

__all__ = ["VERSION", "VERSION_INFO", "__version__"]

VERSION = "0.4.2"
"""The version of the ``agenttrace`` distribution."""
VERSION_INFO = (0, 4, 2)
"""`VERSION` as numbers, for comparisons: ``VERSION_INFO >= (0, 2)``."""
__version__ = VERSION
