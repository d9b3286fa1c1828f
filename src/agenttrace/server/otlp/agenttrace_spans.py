"""agenttrace's own spans (``agenttrace.configure(otlp_endpoint=...)``), read back exactly.

Read last, over the GenAI names the exporter also writes. A span is agenttrace's when it
carries ``agenttrace.path``. Its ``agenttrace.segment`` is the only segment it adds (a graph
node's name, or a tool's when the tool hangs under its parent's node), so the path comes
from the tree as for any other span; ``agenttrace.kind`` makes a record of any kind
(custom and chain records have no GenAI operation). The record keeps its own id
(``agenttrace.record.id``: a record sent both to ``/v1/records`` and as a span is stored
once), status, cost (not priced again), session name, properties (JSON), attempt, branch,
user (``user.id``), time to first token and bodies (``input.value`` / ``output.value``, JSON).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agenttrace.records import RecordKind, Status
from agenttrace.server.otlp.reading import OwnFields, SpanReading, parse_json

__all__ = ["PATH", "read_agenttrace"]

PATH = "agenttrace.path"
_KINDS = {kind.value: kind for kind in RecordKind}
_STATUSES = {status.value: status for status in Status}
_MAX_PROPERTIES = 64


def _text(attributes: Mapping[str, Any], key: str) -> str | None:
    value = attributes.get(key)
    return value if isinstance(value, str) and value else None


def _number(attributes: Mapping[str, Any], key: str) -> float | None:
    value = attributes.get(key)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def read_agenttrace(attributes: Mapping[str, Any], reading: SpanReading) -> None:
    """Fill ``reading`` from agenttrace's names (the span carries ``PATH``)."""
    reading.segment = _text(attributes, "agenttrace.segment")
    reading.framework = False
    kind = _KINDS.get(str(attributes.get("agenttrace.kind", "")))
    if kind is None:
        reading.kind = None
        return
    reading.kind = kind
    reading.name = _text(attributes, "agenttrace.name") or reading.name
    reading.user_id = _text(attributes, "user.id") or reading.user_id
    attempt = attributes.get("agenttrace.attempt")
    reading.own = OwnFields(
        record_id=_text(attributes, "agenttrace.record.id"),
        status=_STATUSES.get(str(attributes.get("agenttrace.status", ""))),
        cost=_number(attributes, "agenttrace.cost_usd"),
        session_name=_text(attributes, "agenttrace.session.name"),
        attempt=attempt if isinstance(attempt, int) and attempt >= 1 else 1,
        branch_id=_text(attributes, "agenttrace.branch_id"),
        time_to_first_token_ms=_number(attributes, "agenttrace.time_to_first_token_ms"),
    )
    properties = parse_json(attributes.get("agenttrace.properties"))
    if isinstance(properties, dict):
        reading.properties = {
            str(key): str(value) for key, value in list(properties.items())[:_MAX_PROPERTIES]
        }
    reading.request = parse_json(attributes["input.value"]) if "input.value" in attributes else None
    reading.response = (
        parse_json(attributes["output.value"]) if "output.value" in attributes else None
    )
