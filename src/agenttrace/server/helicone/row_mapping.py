"""Store rows in the shapes Helicone's query endpoints answer with.

The native rows (`agenttrace.server.store.query_rows`) speak the record's words; Helicone's names
are made here and only here.

A session row is Helicone's ``SessionResult`` (``created_at``, ``latest_request_created_at``,
``session_id``, ``session_name``, ``total_cost``, ``total_requests``, ``prompt_tokens``,
``completion_tokens``, ``total_tokens``, ``avg_latency``) followed by agenttrace's own
fields (``error_count``, ``status``, ``duration_ms``, ``p50_latency_ms``, ``p95_latency_ms``,
``user_ids``, ``properties``). Helicone's fields are never null: a session without a name
has ``""`` and one without cost or finished requests has 0, as Helicone answers.

A request row is Helicone's ``HeliconeRequest`` followed by agenttrace's own fields
(``kind``, ``status``, ``session_id``, ``session_name``, ``session_path``, ``parent_id``,
``name``, ``error``, ``attempt``, ``branch_id``, ``cache_read_tokens``,
``cache_write_tokens``, ``reasoning_tokens``). ``request_properties`` holds the custom
properties plus ``Helicone-Session-Id``, ``-Path`` and ``-Name``; ``response_status`` is
200 for ok and handoff, 500 for error, 499 for cancelled and interrupted. What agenttrace
does not keep is null or empty, never made up: ``request_path``
and ``target_url`` are ``""`` (the provider URL is not stored), ``response_id``,
``signed_body_url``, prompt, feedback, score and asset fields are null. Providers are
upper-cased as Helicone writes them (``OPENAI``; ``CUSTOM`` when unknown). Token counts
follow agenttrace's convention: ``prompt_tokens`` includes cached prompt tokens.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from agenttrace.server.helicone.filter_mapping import response_status_code
from agenttrace.server.store.query_rows import RequestRow, SessionRow

__all__ = [
    "helicone_properties",
    "helicone_request",
    "helicone_session",
    "helicone_session_names",
]

_SESSION_EXTRAS = (
    "error_count",
    "status",
    "duration_ms",
    "p50_latency_ms",
    "p95_latency_ms",
    "user_ids",
    "properties",
)
_REQUEST_EXTRAS = (
    "kind",
    "status",
    "session_id",
    "session_name",
    "session_path",
    "parent_id",
    "name",
    "error",
    "attempt",
    "branch_id",
    "cache_read_tokens",
    "cache_write_tokens",
    "reasoning_tokens",
)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment is not None else None


def helicone_session(row: SessionRow) -> dict[str, Any]:
    """A ``SessionResult`` plus agenttrace's session fields."""
    ours = row.model_dump(mode="json", include=set(_SESSION_EXTRAS))
    return {
        "created_at": _iso(row.start_time),
        "latest_request_created_at": _iso(row.last_start_time),
        "session_id": row.session_id,
        "session_name": row.session_name or "",
        "total_cost": row.cost_usd or 0.0,
        "total_requests": row.request_count,
        "prompt_tokens": row.input_tokens,
        "completion_tokens": row.output_tokens,
        "total_tokens": row.total_tokens,
        "avg_latency": row.mean_latency_ms or 0.0,
        **{key: ours[key] for key in _SESSION_EXTRAS},
    }


def helicone_properties(row: RequestRow) -> dict[str, str]:
    """The row's custom properties plus its session as Helicone-Session-* properties."""
    properties = dict(row.properties)
    properties["Helicone-Session-Id"] = row.session_id
    properties["Helicone-Session-Path"] = row.session_path
    if row.session_name is not None:
        properties["Helicone-Session-Name"] = row.session_name
    return properties


def helicone_request(row: RequestRow) -> dict[str, Any]:
    """A ``HeliconeRequest`` plus agenttrace's request fields (bodies included)."""
    ours = row.model_dump(mode="json", include={*_REQUEST_EXTRAS, "request_body", "response_body"})
    properties = helicone_properties(row)
    return {
        "request_id": row.id,
        "request_created_at": _iso(row.start_time),
        "request_body": ours["request_body"],
        "request_path": "",
        "request_user_id": row.user_id,
        "request_properties": properties,
        "request_model": row.model,
        "model_override": None,
        "helicone_user": None,
        "response_id": None,
        "response_created_at": _iso(row.end_time),
        "response_body": ours["response_body"],
        "response_status": response_status_code(row.status),
        "response_model": row.model,
        "provider": row.provider.upper() if row.provider else "CUSTOM",
        "delay_ms": row.latency_ms,
        "time_to_first_token": row.time_to_first_token_ms,
        "total_tokens": row.total_tokens,
        "prompt_tokens": row.input_tokens,
        "completion_tokens": row.output_tokens,
        "prompt_cache_read_tokens": row.cache_read_tokens,
        "prompt_cache_write_tokens": row.cache_write_tokens,
        "prompt_audio_tokens": None,
        "completion_audio_tokens": None,
        "cost": row.cost_usd,
        "costUSD": row.cost_usd,
        "prompt_id": None,
        "prompt_version": None,
        "feedback_created_at": None,
        "feedback_id": None,
        "feedback_rating": None,
        "signed_body_url": None,
        "llmSchema": None,
        "country_code": None,
        "asset_ids": None,
        "asset_urls": None,
        "scores": None,
        "properties": dict(properties),
        "assets": [],
        "target_url": "",
        "model": row.model,
        **{key: ours[key] for key in _REQUEST_EXTRAS},
    }


def helicone_session_names(rows: Iterable[SessionRow]) -> list[dict[str, Any]]:
    """Helicone's ``SessionNameResult`` per session name, most recently used first.

    ``avg_latency`` is the mean of the sessions' mean latencies weighted by their request
    counts (exact when every request ended); unnamed sessions are grouped under ``""``.
    """
    groups: dict[str, list[SessionRow]] = {}
    for row in rows:
        groups.setdefault(row.session_name or "", []).append(row)
    answers = []
    for name, sessions in groups.items():
        first = min(session.start_time for session in sessions)
        last = max(session.last_start_time for session in sessions)
        timed = [s for s in sessions if s.mean_latency_ms is not None]
        weight = sum(s.request_count for s in timed)
        latency = (
            sum((s.mean_latency_ms or 0.0) * s.request_count for s in timed) / weight
            if weight
            else 0.0
        )
        answers.append(
            {
                "name": name,
                "created_at": _iso(first),
                "last_used": _iso(last),
                "first_used": _iso(first),
                "session_count": len(sessions),
                "avg_latency": latency,
                "total_cost": sum(s.cost_usd or 0.0 for s in sessions),
            }
        )
    answers.sort(key=lambda answer: str(answer["last_used"]), reverse=True)
    return answers
