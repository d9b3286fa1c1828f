"""The ``agenttrace`` command line: ``serve``, ``sessions``, ``session``, ``requests``,
``request`` and ``paths``. Run ``agenttrace --help``.
"""

from __future__ import annotations

from agenttrace.cli._app import app, main

__all__ = ["app", "main"]
