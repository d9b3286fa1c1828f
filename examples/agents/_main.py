"""What every example does when run as a script: deliver its records and say where they are."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import httpx

import agenttrace

__all__ = ["command_name", "finish", "shown"]

_FLUSH_TIMEOUT_S = 10.0
_HEALTH_TIMEOUT_S = 2.0


def _collector_answers(endpoint: str) -> bool:
    try:
        return httpx.get(f"{endpoint}/healthz", timeout=_HEALTH_TIMEOUT_S).is_success
    except httpx.HTTPError:
        return False


def shown(path: Path) -> str:
    """``path`` relative to the current directory when it is inside it."""
    try:
        relative = path.relative_to(Path.cwd())
    except ValueError:
        return str(path)
    return str(relative) or "."


def command_name() -> str:
    """How to type the ``agenttrace`` command in the shell this script was started from.

    ``agenttrace`` when that name finds the command installed next to this Python (an
    activated environment); otherwise the path of that command, which works whether or
    not its environment is active (``uv run`` puts it on PATH only while it runs).
    """
    for name in ("agenttrace", "agenttrace.exe"):
        installed = Path(sys.executable).parent / name
        if not installed.exists():
            continue
        on_path = shutil.which("agenttrace")
        if on_path is not None and Path(on_path).resolve() == installed.resolve():
            return "agenttrace"
        return shown(installed)
    return "agenttrace"


def finish(label: str, session_ids: list[str]) -> None:
    """Deliver the records, then print the sessions and how to look at them."""
    for session_id in session_ids:
        print(f"{label}: session {session_id}")
    endpoint = agenttrace.get_tracer().settings.endpoint
    if _collector_answers(endpoint) and agenttrace.flush(_FLUSH_TIMEOUT_S):
        print(f"see it with: {command_name()} session {session_ids[0]}")
        return
    print(
        f"no collector took the records at {endpoint}; start one with `{command_name()} serve` "
        "(or set AGENTTRACE_ENDPOINT). Records not delivered are kept on disk and sent by "
        "the next traced process."
    )
