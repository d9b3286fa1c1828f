"""The query clients' alert calls (``/v1/alerts/...``) and the results they answer with."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from agenttrace.query._base import Call, segment

__all__ = [
    "AlertDelivery",
    "AlertEvent",
    "AlertRule",
    "add_rule_call",
    "delete_rule_call",
    "deliveries_call",
    "events_call",
    "rules_call",
]

_RESULT = ConfigDict(frozen=True, extra="ignore")


class AlertRule(BaseModel):
    """An alert rule or budget, its state and last measured value. ``webhook_secret`` is
    set only in the answer that created the rule."""

    model_config = _RESULT

    rule_id: str
    name: str
    metric: str
    op: str
    threshold: float
    window_s: int | None = None
    period: str | None = None
    filter: dict[str, str | None] = {}
    webhook_url: str | None = None
    state: Literal["ok", "firing"]
    value: float | None = None
    created_at: datetime
    changed_at: datetime | None = None
    webhook_secret: str | None = None


class AlertEvent(BaseModel):
    """A rule that started firing or resolved."""

    model_config = _RESULT

    event_id: str
    rule_id: str
    rule_name: str | None = None
    state: Literal["firing", "resolved"]
    value: float | None = None
    threshold: float
    at: datetime


class AlertDelivery(BaseModel):
    """The webhook delivery of one event."""

    model_config = _RESULT

    event_id: str
    url: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    last_error: str | None = None
    next_attempt_at: datetime | None = None
    delivered_at: datetime | None = None


def add_rule_call(spec: dict[str, Any]) -> Call[AlertRule]:
    """``POST /v1/alerts/rules`` (unset options left out)."""
    body = {key: value for key, value in spec.items() if value is not None}
    return Call("POST", "/v1/alerts/rules", (), AlertRule.model_validate, body)


def rules_call() -> Call[list[AlertRule]]:
    """``GET /v1/alerts/rules``."""
    return Call(
        "GET",
        "/v1/alerts/rules",
        (),
        lambda body: [AlertRule.model_validate(item) for item in body["rules"]],
    )


def delete_rule_call(rule_id: str) -> Call[None]:
    """``DELETE /v1/alerts/rules/{rule_id}`` (204, no body)."""
    return Call("DELETE", f"/v1/alerts/rules/{segment(rule_id, 'rule id')}", (), lambda _: None)


def events_call(limit: int) -> Call[list[AlertEvent]]:
    """``GET /v1/alerts/events``, newest first."""
    return Call(
        "GET",
        "/v1/alerts/events",
        (("limit", str(limit)),),
        lambda body: [AlertEvent.model_validate(item) for item in body["events"]],
    )


def deliveries_call(limit: int) -> Call[list[AlertDelivery]]:
    """``GET /v1/alerts/deliveries``, newest events first."""
    return Call(
        "GET",
        "/v1/alerts/deliveries",
        (("limit", str(limit)),),
        lambda body: [AlertDelivery.model_validate(item) for item in body["deliveries"]],
    )
