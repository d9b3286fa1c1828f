"""Store rows in the shapes Helicone's query endpoints answer with.

A session row is Helicone's ``SessionResult`` (``created_at``, ``latest_request_created_at``,
``session_id``, ``session_name``, ``total_cost``, ``total_requests``, ``prompt_tokens``,
``completion_tokens``, ``total_tokens``, ``avg_latency``) followed by agenttrace's own
fields. Helicone's fields are never null: a session without a name has ``""`` and one
without cost or finished requests has 0, as Helicone answers.

A request row is Helicone's ``HeliconeRequest`` followed by agenttrace's ``RequestRow``
fields. What agenttrace does not keep is null or empty, never made up: ``request_path``
and ``target_url`` are ``""`` (the provider URL is not stored), ``response_id``,
``signed_body_url``, prompt, feedback, score and asset fields are null. Providers are
upper-cased as Helicone writes them (``OPENAI``; ``CUSTOM`` when unknown). Token counts
follow agenttrace's convention: ``prompt_tokens`` includes cached prompt tokens.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from agenttrace.server.store.rows import RequestRow, SessionRow

__all__ = ["helicone_request", "helicone_session", "helicone_session_names"]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment is not None else None


def helicone_session(row: SessionRow) -> dict[str, Any]:
    """A ``SessionResult`` plus agenttrace's session fields."""
    ours = row.model_dump(mode="json")
    helicone = {
        "created_at": _iso(row.created_at),
        "latest_request_created_at": _iso(row.latest_request_created_at),
        "session_id": row.session_id,
        "session_name": row.session_name or "",
        "total_cost": row.total_cost or 0.0,
        "total_requests": row.total_requests,
        "prompt_tokens": row.prompt_tokens,
        "completion_tokens": row.completion_tokens,
        "total_tokens": row.total_tokens,
        "avg_latency": row.avg_latency or 0.0,
    }
    return {**helicone, **{key: value for key, value in ours.items() if key not in helicone}}


def helicone_request(row: RequestRow) -> dict[str, Any]:
    """A ``HeliconeRequest`` plus agenttrace's request fields (bodies included)."""
    ours = row.model_dump(mode="json")
    helicone = {
        "request_id": row.request_id,
        "request_created_at": _iso(row.request_created_at),
        "request_body": ours["request_body"],
        "request_path": "",
        "request_user_id": row.request_user_id,
        "request_properties": dict(row.request_properties),
        "request_model": row.model,
        "model_override": None,
        "helicone_user": None,
        "response_id": None,
        "response_created_at": _iso(row.response_created_at),
        "response_body": ours["response_body"],
        "response_status": row.response_status,
        "response_model": row.model,
        "provider": row.provider.upper() if row.provider else "CUSTOM",
        "delay_ms": row.delay_ms,
        "time_to_first_token": row.time_to_first_token,
        "total_tokens": row.total_tokens,
        "prompt_tokens": row.prompt_tokens,
        "completion_tokens": row.completion_tokens,
        "prompt_cache_read_tokens": row.cache_read_tokens,
        "prompt_cache_write_tokens": row.cache_write_tokens,
        "prompt_audio_tokens": None,
        "completion_audio_tokens": None,
        "cost": row.cost,
        "costUSD": row.cost,
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
        "properties": dict(row.request_properties),
        "assets": [],
        "target_url": "",
        "model": row.model,
    }
    return {**helicone, **{key: value for key, value in ours.items() if key not in helicone}}


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
        first = min(session.created_at for session in sessions)
        last = max(session.latest_request_created_at for session in sessions)
        timed = [s for s in sessions if s.avg_latency is not None]
        weight = sum(s.total_requests for s in timed)
        latency = (
            sum((s.avg_latency or 0.0) * s.total_requests for s in timed) / weight
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
                "total_cost": sum(s.total_cost or 0.0 for s in sessions),
            }
        )
    answers.sort(key=lambda answer: str(answer["last_used"]), reverse=True)
    return answers
