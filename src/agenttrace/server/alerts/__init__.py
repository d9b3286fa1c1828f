"""Alerts: rules and budgets evaluated by the collector, delivered as signed webhooks.

`AlertEvaluator` measures the rules (`agenttrace.server.store.alerts` keeps them) on a
short schedule (`alerts_lifespan`); `verify_signature` is what a webhook receiver calls
(`agenttrace.server.alerts.webhooks` says how deliveries are signed).
"""

from __future__ import annotations

from agenttrace.server.alerts.evaluator import AlertEvaluator
from agenttrace.server.alerts.lifespan import ALERT_INTERVAL_S, alerts_lifespan
from agenttrace.server.alerts.webhooks import (
    EVENT_HEADER,
    SIGNATURE_HEADER,
    WebhookSignatureError,
    sign,
    verify_signature,
)

__all__ = [
    "ALERT_INTERVAL_S",
    "EVENT_HEADER",
    "SIGNATURE_HEADER",
    "AlertEvaluator",
    "WebhookSignatureError",
    "alerts_lifespan",
    "sign",
    "verify_signature",
]
