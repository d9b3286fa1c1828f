"""What a record may hold, without pydantic: its kinds and statuses, the limits of its
fields and the normal form of a session path.

`agenttrace.records` builds the wire models from these and re-exports them; code that
needs only these (the CLI's options, the client's checks) imports them without loading
pydantic.
"""

from __future__ import annotations

import re
from enum import StrEnum

__all__ = [
    "MAX_AMOUNT",
    "MAX_ATTEMPT",
    "MAX_ID_LENGTH",
    "MAX_NAME_LENGTH",
    "MAX_PATH_LENGTH",
    "MAX_PATH_SEGMENTS",
    "MAX_PROPERTIES",
    "MAX_PROPERTY_NAME_LENGTH",
    "MAX_PROPERTY_VALUE_LENGTH",
    "MAX_TOKENS",
    "REPAIRED_PROPERTY",
    "RecordKind",
    "Status",
    "normalize_path",
]


class RecordKind(StrEnum):
    """What kind of work a record describes."""

    LLM = "llm"
    TOOL = "tool"
    VECTOR_DB = "vector_db"
    CHAIN = "chain"
    CUSTOM = "custom"
    DATA = "data"
    HUMAN = "human"
    """A question a graph asked a human (a LangGraph interrupt): asked at ``start_time``,
    answered at ``end_time`` (None while nobody has answered; the session is waiting)."""


class Status(StrEnum):
    """How a call ended. Only ``error`` counts against a session's status."""

    OK = "ok"
    ERROR = "error"
    INTERRUPTED = "interrupted"  # LangGraph GraphInterrupt: waiting for a human, not a failure
    CANCELLED = "cancelled"
    HANDOFF = "handoff"  # LangGraph ParentCommand: control handed to another agent


MAX_ID_LENGTH = 200
"""Longest ``id``, ``session_id``, ``parent_id`` and ``provider``."""
MAX_NAME_LENGTH = 500
"""Longest ``name``, ``session_name``, ``model``, ``user_id`` and ``branch_id``."""
MAX_PATH_LENGTH = 2000
"""Longest ``session_path``."""
MAX_PATH_SEGMENTS = 64
MAX_ATTEMPT = 10_000
MAX_PROPERTIES = 64
"""Custom properties one record may carry (`REPAIRED_PROPERTY` may come on top)."""
REPAIRED_PROPERTY = "agenttrace.repaired"
"""The property that names a record's repaired fields (`agenttrace.core.text_repair`)."""
MAX_PROPERTY_NAME_LENGTH = 200
MAX_PROPERTY_VALUE_LENGTH = 1000
MAX_TOKENS = 10_000_000_000
"""Largest token count of one field of `Usage` (sums over a session stay within 64 bits)."""
MAX_AMOUNT = 1_000_000_000.0
"""Largest ``cost_usd`` and ``time_to_first_token_ms`` of one record (finite, so that
session sums stay finite)."""


_NORMAL_PATH = re.compile(r"/|(?:/[^/\s](?:[^/]*[^/\s])?){1,%d}" % MAX_PATH_SEGMENTS)  # noqa: UP031
r"""A path `normalize_path` would return unchanged (``\s`` is what `str.strip` strips)."""


def normalize_path(path: str | None) -> str:
    """Return ``path`` as ``/a/b``: leading slash, no trailing slash, no empty segments.

    >>> normalize_path("research//search/")
    '/research/search'
    >>> normalize_path(None)
    '/'
    """
    if not path:
        return "/"
    if _NORMAL_PATH.fullmatch(path):  # the usual case, already normal: no copying
        return path
    segments = [s.strip() for s in path.split("/")]
    segments = [s for s in segments if s]
    if len(segments) > MAX_PATH_SEGMENTS:
        msg = f"session path has {len(segments)} segments; at most {MAX_PATH_SEGMENTS} are allowed"
        raise ValueError(msg)
    return "/" + "/".join(segments)
