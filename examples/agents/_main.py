"""What every example does when run as a script: deliver its records and say where they are."""

from __future__ import annotations

import httpx

import agenttrace

__all__ = ["finish"]

_FLUSH_TIMEOUT_S = 10.0
_HEALTH_TIMEOUT_S = 2.0


def _collector_answers(endpoint: str) -> bool:
    try:
        return httpx.get(f"{endpoint}/healthz", timeout=_HEALTH_TIMEOUT_S).is_success
    except httpx.HTTPError:
        return False


def finish(label: str, session_ids: list[str]) -> None:
    """Deliver the records, then print the sessions and how to look at them."""
    for session_id in session_ids:
        print(f"{label}: session {session_id}")
    endpoint = agenttrace.get_tracer().settings.endpoint
    if _collector_answers(endpoint) and agenttrace.flush(_FLUSH_TIMEOUT_S):
        print(f"see it with: agenttrace session {session_ids[0]}")
        return
    print(
        f"no collector took the records at {endpoint}; start one with `agenttrace serve` "
        "(or set AGENTTRACE_ENDPOINT). Records not delivered are kept on disk and sent by "
        "the next traced process."
    )
