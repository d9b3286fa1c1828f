"""The wire models of alerts: rules and budgets, their events and webhook deliveries.

A rule watches one metric of the requests matching a filter over a sliding ``window_s``
(errors, error rate, cost, p95 latency, requests) and fires when ``value <op> threshold``.
A budget is a cost rule over a calendar ``period`` (the current UTC day or month) instead
of a window: ``{"metric": "cost", "period": "month", "threshold": 100,
"filter": {"user_id": "alice"}}``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

__all__ = [
    "MAX_RULES_PER_PROJECT",
    "AlertDelivery",
    "AlertDeliveryList",
    "AlertEvent",
    "AlertEventList",
    "AlertFilter",
    "AlertMetric",
    "AlertRule",
    "AlertRuleIn",
    "AlertRuleList",
    "AlertState",
    "CreatedAlertRule",
]

MAX_RULES_PER_PROJECT = 100
MAX_WINDOW_S = 31 * 24 * 3600

AlertMetric = Literal["error_rate", "errors", "cost", "p95_latency_ms", "requests"]
AlertState = Literal["ok", "firing"]
_TEXT = Annotated[str, Field(min_length=1, max_length=1000)]


def _whole_number(value: object) -> object:
    """A float without a fraction as the integer it is (JSON Schema's integer takes 29.0)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class AlertFilter(BaseModel):
    """Which requests a rule counts: every given condition holds (none: all of them)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    path: _TEXT | None = None
    model: _TEXT | None = None
    session_name: _TEXT | None = None
    user_id: _TEXT | None = None
    property: Annotated[
        str | None, Field(pattern=r"^[^=]+=", max_length=2000, description="key=value")
    ] = None


class AlertRuleIn(BaseModel):
    """A rule to create: a metric over ``window_s`` seconds, or (a budget, cost only) over
    the current UTC ``period``, against ``threshold``; a firing or resolved rule posts to
    ``webhook_url`` when one is given."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: Annotated[str, Field(min_length=1, max_length=200)]
    metric: AlertMetric
    threshold: Annotated[float, Field(allow_inf_nan=False)]
    op: Literal["gt", "gte", "lt", "lte"] = "gt"
    window_s: (
        Annotated[int, Field(ge=10, le=MAX_WINDOW_S), BeforeValidator(_whole_number)] | None
    ) = None
    period: Literal["day", "month"] | None = None
    filter: AlertFilter = Field(default_factory=AlertFilter)
    webhook_url: Annotated[
        str | None,
        Field(max_length=2000, pattern=r"^https?://[A-Za-z0-9._~-]+(:[0-9]{1,5})?([/?#]|$)"),
    ] = None

    @field_validator("webhook_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            msg = "webhook_url must be an http:// or https:// URL with a host"
            raise ValueError(msg)
        return value

    @model_validator(mode="after")
    def _one_span(self) -> AlertRuleIn:
        if (self.window_s is None) == (self.period is None):
            msg = "give exactly one of window_s (a rule) and period (a budget: day or month)"
            raise ValueError(msg)
        if self.period is not None and self.metric != "cost":
            msg = "a budget (period) watches cost; use window_s for other metrics"
            raise ValueError(msg)
        return self


class AlertRule(AlertRuleIn):
    """A stored rule, its state and the value last measured."""

    model_config = ConfigDict(extra="ignore", strict=False)

    rule_id: str
    created_at: datetime
    state: AlertState
    value: float | None = None
    changed_at: datetime | None = None


class CreatedAlertRule(AlertRule):
    """A rule just created, with the secret its webhooks are signed with (shown once)."""

    webhook_secret: str


class AlertRuleList(BaseModel):
    """The project's rules, oldest first."""

    rules: list[AlertRule]


class AlertEvent(BaseModel):
    """A rule that started firing or resolved."""

    event_id: str
    rule_id: str
    rule_name: str | None
    state: Literal["firing", "resolved"]
    value: float | None
    threshold: float
    at: datetime


class AlertEventList(BaseModel):
    """Alert history, newest first."""

    events: list[AlertEvent]


class AlertDelivery(BaseModel):
    """The webhook delivery of one event: pending (retried with backoff), delivered or
    failed (gave up)."""

    event_id: str
    url: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None
    delivered_at: datetime | None


class AlertDeliveryList(BaseModel):
    """The delivery log, newest events first."""

    deliveries: list[AlertDelivery]
