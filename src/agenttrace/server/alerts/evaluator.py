"""`AlertEvaluator`: measures every rule, moves firing / resolved states, delivers webhooks.

One `tick` (run every ``interval`` seconds by `alerts_lifespan`, in a worker thread):

1. take the evaluation lease (`SqlAlertStore.take_lease`); a collector that does not hold
   it does nothing, so several collectors on one PostgreSQL evaluate once per tick. With
   SQLite the lease works the same across ``serve --workers``. Every write below extends
   the lease in its own transaction and is refused once the lease was lost
   (`LeaseLostError`): a collector that stalled past its lease (a pause, a slow query)
   stops its round there, writing and sending nothing more;
2. measure each rule over its window or budget period with the metrics query (the same
   figures as ``GET /v1/metrics``) and record it: ``ok`` -> ``firing`` when the threshold
   is passed, ``firing`` -> ``ok`` (a resolved event) when it no longer is; no event while
   the state stays;
3. send the due webhook deliveries, each retried in place with tenacity (exponential
   backoff) and, when that fails, again at later ticks with a growing delay, until
   `MAX_DELIVERY_ATTEMPTS`; a 4xx other than 408/429 gives up at once. Each try is claimed
   in the delivery log first (`SqlAlertStore.claim_delivery`, a compare-and-set that also
   extends the lease), so a delivery another collector claimed or sent is skipped. What
   no database can fence is a stall between that claim and the request leaving the
   process: receivers should still ignore an event id they have handled (see
   `agenttrace.server.alerts.webhooks`).
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from tenacity import (
    RetryError,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from agenttrace.core.version import VERSION
from agenttrace.server.alerts.webhooks import EVENT_HEADER, SIGNATURE_HEADER, sign
from agenttrace.server.store.alert_models import AlertRule
from agenttrace.server.store.alerts import (
    LeaseLostError,
    PendingDelivery,
    SqlAlertStore,
    StoredRule,
)
from agenttrace.server.store.base import Store
from agenttrace.server.store.metrics import MetricsQuery, metrics_filter

__all__ = ["MAX_DELIVERY_ATTEMPTS", "AlertEvaluator", "measure", "payload"]

logger = logging.getLogger("agenttrace.server.alerts")

MAX_DELIVERY_ATTEMPTS = 12
"""Delivery rounds (each of up to three tries) before a webhook is given up."""
_TRIES_PER_ROUND = 3
_COMPARE = {
    "gt": lambda v, t: v > t,
    "gte": lambda v, t: v >= t,
    "lt": lambda v, t: v < t,
    "lte": lambda v, t: v <= t,
}


class _ClaimedElsewhereError(Exception):
    """Another collector claimed (or sent) the delivery: nothing to do here."""


class _DeliveryError(Exception):
    """A delivery that did not get a 2xx; ``retry`` says whether trying again may help."""

    def __init__(self, message: str, *, retry: bool) -> None:
        super().__init__(message)
        self.retry = retry


def _span_start(rule: AlertRule, now: datetime) -> datetime:
    if rule.period == "day":
        return now.replace(hour=0, minute=0, second=0, microsecond=0)
    if rule.period == "month":
        return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return now - timedelta(seconds=rule.window_s or 0)


def measure(store: Store, project_id: str, rule: AlertRule, now: datetime) -> float | None:
    """The rule's metric over its window (or budget period) ending ``now``; None when it
    has no value (an error rate or p95 of no requests)."""
    since = _span_start(rule, now)
    where = rule.filter
    properties = []
    if where.property:
        key, _, value = where.property.partition("=")
        properties.append((key, value))
    query = MetricsQuery(
        filter=metrics_filter(
            name=where.session_name,
            user_id=where.user_id,
            model=where.model,
            path=where.path,
            properties=properties,
            since=since,
            until=now,
        ),
        since=since,
        until=now,
    )
    groups = store.query_metrics(project_id, query).groups
    row = groups[0] if groups else None
    if rule.metric == "requests":
        return float(row.requests if row else 0)
    if rule.metric == "errors":
        return float(row.errors if row else 0)
    if rule.metric == "cost":
        return float(row.cost_usd or 0.0) if row else 0.0
    if row is None or not row.requests:
        return None
    if rule.metric == "error_rate":
        return row.error_rate
    return row.latency_p95_ms


def payload(pending: PendingDelivery) -> bytes:
    """The JSON body of a delivery."""
    rule, event = pending.rule, pending.event
    body: dict[str, Any] = {
        "type": f"alert.{event.state}",
        "event_id": event.event_id,
        "project_id": pending.project_id,
        "state": event.state,
        "value": event.value,
        "threshold": event.threshold,
        "at": event.at.isoformat(),
        "rule": rule.model_dump(
            mode="json",
            include={
                "rule_id",
                "name",
                "metric",
                "op",
                "threshold",
                "window_s",
                "period",
                "filter",
            },
        ),
    }
    return json.dumps(body, separators=(",", ":")).encode()


class AlertEvaluator:
    """Evaluates the alert rules of a store and delivers their webhooks (see the module)."""

    def __init__(
        self,
        store: Store,
        *,
        interval: float,
        retry_base_s: float = 5.0,
        retry_max_s: float = 300.0,
        timeout_s: float = 5.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        alerts = getattr(store, "alert_store", None)
        self.alerts: SqlAlertStore | None = alerts() if callable(alerts) else None
        self.store = store
        self.interval = interval
        self.lease_s = max(3 * interval, 5.0)
        self.timeout_s = timeout_s
        self.retry_base_s = retry_base_s
        self.retry_max_s = retry_max_s
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self.stopping = threading.Event()
        self._busy = threading.Lock()
        self._http = httpx.Client(
            timeout=timeout_s,
            transport=transport,
            headers={"User-Agent": f"agenttrace-webhooks/{VERSION}"},
        )

    def _sleep(self, seconds: float) -> None:
        self.stopping.wait(seconds)

    def close(self, timeout: float = 30.0) -> None:
        """Stop (waiting up to ``timeout`` s for a tick in progress to end its current
        step) and give the lease up."""
        self.stopping.set()
        if self._busy.acquire(timeout=timeout):
            self._busy.release()
        self._http.close()
        if self.alerts is not None:
            try:
                self.alerts.release_lease(self.holder)
            except Exception:
                logger.debug("agenttrace: could not release the alert lease", exc_info=True)

    def tick(self) -> bool:
        """One round: evaluate and deliver if this collector holds the lease (True)."""
        with self._busy:
            if self.stopping.is_set():
                return False
            return self._tick()

    def _tick(self) -> bool:
        if self.alerts is None or not self.alerts.has_rules():
            return False
        if not self.alerts.take_lease(self.holder, self.lease_s):
            return False
        try:
            now = datetime.now(UTC)
            for stored in self.alerts.all_rules():
                if self.stopping.is_set():
                    return True
                self._evaluate(stored, now)
            for pending in self.alerts.due_deliveries():
                if self.stopping.is_set():
                    return True
                self._deliver(pending)
        except LeaseLostError:
            logger.info("agenttrace: the alert lease passed to another collector mid-round")
            return False
        return True

    def _evaluate(self, stored: StoredRule, now: datetime) -> None:
        rule = stored.rule
        try:
            value = measure(self.store, stored.project_id, rule, now)
        except Exception:
            logger.exception("agenttrace: measuring alert rule %s failed", rule.rule_id)
            return
        breached = value is not None and _COMPARE[rule.op](value, rule.threshold)
        self._record(stored, value, breached)

    def _record(self, stored: StoredRule, value: float | None, breached: bool) -> None:
        """Record the measured value (and a state change): fenced by the lease."""
        assert self.alerts is not None
        rule = stored.rule
        event = self.alerts.record_value(
            stored, value, breached, holder=self.holder, lease_s=self.lease_s
        )
        if event is not None:
            logger.warning(
                "agenttrace: alert %r %s (%s = %s, threshold %s)",
                rule.name, event.state, rule.metric, value, rule.threshold,
            )  # fmt: skip

    def _post(self, pending: PendingDelivery, body: bytes) -> None:
        headers = {
            "Content-Type": "application/json",
            EVENT_HEADER: pending.event.event_id,
            SIGNATURE_HEADER: sign(pending.secret, body),
        }
        try:
            answer = self._http.post(pending.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise _DeliveryError(f"{type(exc).__name__}: {exc}", retry=True) from exc
        if answer.is_success:
            return
        transient = answer.status_code >= 500 or answer.status_code in {408, 429}
        raise _DeliveryError(f"the receiver answered {answer.status_code}", retry=transient)

    def _claim(self, pending: PendingDelivery) -> PendingDelivery:
        """Claim (or renew the claim on) the delivery's next try, right before it."""
        assert self.alerts is not None
        claimed = self.alerts.claim_delivery(
            pending,
            holder=self.holder,
            lease_s=self.lease_s,
            claim_s=self.lease_s + 3 * self.timeout_s,
        )
        if claimed is None:
            raise _ClaimedElsewhereError
        return claimed

    def _deliver(self, pending: PendingDelivery) -> None:
        assert self.alerts is not None
        body = payload(pending)
        attempts = pending.attempts + 1
        claim = [pending]

        def attempt() -> None:
            claim[0] = self._claim(claim[0])
            self._post(claim[0], body)

        retrying = Retrying(
            stop=stop_after_attempt(_TRIES_PER_ROUND),
            wait=wait_exponential(multiplier=min(self.retry_base_s, 1.0) / 4, max=2.0),
            retry=retry_if_exception(lambda exc: isinstance(exc, _DeliveryError) and exc.retry),
            sleep=self._sleep,
        )
        try:
            retrying(attempt)
        except _ClaimedElsewhereError:
            return
        except (_DeliveryError, RetryError) as exc:
            cause = exc.last_attempt.exception() if isinstance(exc, RetryError) else exc
            retry = isinstance(cause, _DeliveryError) and cause.retry
            retry_us = 0
            if retry and attempts < MAX_DELIVERY_ATTEMPTS:
                delay = min(self.retry_base_s * 2 ** (attempts - 1), self.retry_max_s)
                retry_us = int((time.time() + delay) * 1_000_000)
            self.alerts.delivery_done(
                claim[0], ok=False, error=str(cause), attempts=attempts, retry_us=retry_us
            )
            return
        self.alerts.delivery_done(claim[0], ok=True, error=None, attempts=attempts, retry_us=0)
