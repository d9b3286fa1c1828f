"""Alerts in the collector's database (migration 10): rules, their state, events, the
webhook delivery log and the evaluation lease.

Firing is a compare-and-set: a rule moves from ``ok`` to ``firing`` (or back) with an
``UPDATE ... WHERE state = <the state it was read in>``, and the event and its delivery are
written in the same transaction only when that update changed a row.

The evaluation lease (`SqlAlertStore.take_lease`) keeps the other collectors from doing
the work twice, and fences a holder that stalled past it (a long pause, a slow query)
out of every write: each recorded value or state change and each delivery attempt first
extends the lease with a compare-and-set on the holder's token (its unique name) in the
same transaction, and fails with `LeaseLostError` once another collector took it over. A
stale holder can thus neither fire again from a measurement older than the current state
nor send a webhook the new holder sends.

A delivery attempt is also claimed in the log: the claim moves the delivery's ``next_us``
past the attempt's end with a compare-and-set on the value read (the claim's token), so a
collector that reads the delivery as due after that skips it, and only the claimant
records the outcome (`SqlAlertStore.claim_delivery`, `SqlAlertStore.delivery_done`).
"""

# ruff: noqa: S608 - SQL is assembled from fixed fragments; values are always bound

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, replace
from typing import Any

from agenttrace.server.store._table_access import TableAccess
from agenttrace.server.store.alert_models import (
    MAX_RULES_PER_PROJECT,
    AlertDelivery,
    AlertEvent,
    AlertRule,
    AlertRuleIn,
    CreatedAlertRule,
)
from agenttrace.server.store.base import InvalidQueryError
from agenttrace.server.store.dialect import DbConnection, from_us

__all__ = ["LeaseLostError", "PendingDelivery", "SqlAlertStore", "StoredRule"]

_LEASE = "alert-evaluator"
_RULE_COLUMNS = "rule_id, spec_json, created_us, state, value, changed_us"


def _now_us() -> int:
    return time.time_ns() // 1000


class LeaseLostError(Exception):
    """This collector no longer holds the evaluation lease (it lapsed and another
    collector took it over, or it was released): it must stop evaluating and delivering."""


@dataclass(frozen=True, slots=True)
class StoredRule:
    """A rule as the evaluator reads it: project, definition, secret and state."""

    project_id: str
    rule: AlertRule
    secret: str


@dataclass(frozen=True, slots=True)
class PendingDelivery:
    """A webhook to send: the event, its rule and where to."""

    project_id: str
    event: AlertEvent
    rule: AlertRule
    secret: str
    url: str
    attempts: int
    next_us: int
    """When the delivery is due; once claimed, when the claim ends (the claim's token)."""


def _rule(row: tuple[Any, ...]) -> tuple[AlertRule, str]:
    """A rule and its webhook secret from a row of ``alert_rules``."""
    rule_id, spec_json, created_us, state, value, changed_us = row
    data = json.loads(spec_json)
    secret = str(data.pop("webhook_secret", ""))
    spec = AlertRuleIn.model_validate(data)
    stored = AlertRule(
        **spec.model_dump(),
        rule_id=rule_id,
        created_at=from_us(int(created_us)),
        state=state,
        value=value,
        changed_at=None if changed_us is None else from_us(int(changed_us)),
    )
    return stored, secret


class SqlAlertStore(TableAccess):
    """Alert rules, events and deliveries in a SQL store (`SqlStore.alert_store`)."""

    def _rows(self, conn: DbConnection, sql: str, params: list[object]) -> list[Any]:
        return list(conn.execute(self._dialect.sql(sql), params).fetchall())

    # -- rules ------------------------------------------------------------------------

    def create_rule(self, project_id: str, spec: AlertRuleIn) -> CreatedAlertRule:
        """Store a new rule (state ok) with a fresh webhook secret."""
        rule_id = secrets.token_hex(6)
        secret = "whsec_" + secrets.token_urlsafe(24)
        created_us = _now_us()
        spec_json = json.dumps({**spec.model_dump(mode="json"), "webhook_secret": secret})
        with self._write() as conn:
            held = self._rows(
                conn, "SELECT count(*) FROM alert_rules WHERE project_id = ?", [project_id]
            )
            if int(str(held[0][0])) >= MAX_RULES_PER_PROJECT:
                msg = (
                    f"this project already has {MAX_RULES_PER_PROJECT} alert rules, the most it "
                    "may have; delete one first"
                )
                raise InvalidQueryError(msg)
            conn.execute(
                self._dialect.sql(
                    f"INSERT INTO alert_rules (project_id, {_RULE_COLUMNS}) "
                    "VALUES (?, ?, ?, ?, 'ok', NULL, NULL)"
                ),
                [project_id, rule_id, spec_json, created_us],
            )
        return CreatedAlertRule(
            **spec.model_dump(),
            rule_id=rule_id,
            created_at=from_us(created_us),
            state="ok",
            webhook_secret=secret,
        )

    def list_rules(self, project_id: str) -> list[AlertRule]:
        """The project's rules, oldest first."""
        with self._read() as conn:
            rows = self._rows(
                conn,
                f"SELECT {_RULE_COLUMNS} FROM alert_rules WHERE project_id = ? "
                "ORDER BY created_us, rule_id",
                [project_id],
            )
        return [_rule(row)[0] for row in rows]

    def delete_rule(self, project_id: str, rule_id: str) -> bool:
        """Delete a rule (its history stays); False when there was none."""
        with self._write() as conn:
            cursor = conn.execute(
                self._dialect.sql("DELETE FROM alert_rules WHERE project_id = ? AND rule_id = ?"),
                [project_id, rule_id],
            )
            return cursor.rowcount > 0

    def has_rules(self) -> bool:
        """Whether any project has a rule (a read; the evaluator writes nothing without)."""
        with self._read() as conn:
            return bool(self._rows(conn, "SELECT 1 FROM alert_rules LIMIT 1", []))

    def all_rules(self) -> list[StoredRule]:
        """Every project's rules (for the evaluator)."""
        with self._read() as conn:
            rows = self._rows(
                conn,
                f"SELECT project_id, {_RULE_COLUMNS} FROM alert_rules ORDER BY project_id, rule_id",
                [],
            )
        found = []
        for row in rows:
            rule, secret = _rule(row[1:])
            found.append(StoredRule(project_id=str(row[0]), rule=rule, secret=secret))
        return found

    # -- state --------------------------------------------------------------------------

    def record_value(
        self,
        stored: StoredRule,
        value: float | None,
        breached: bool,
        *,
        holder: str,
        lease_s: float,
    ) -> AlertEvent | None:
        """Keep the measured ``value``; when ``breached`` differs from the rule's state as
        read, move it (compare-and-set) and record the event and its delivery. Returns the
        event, or None when nothing changed (or another collector changed it first).
        `LeaseLostError` (nothing written) when ``holder`` no longer holds the lease; it is
        extended by ``lease_s`` otherwise."""
        rule = stored.rule
        now_us = _now_us()
        want = "firing" if breached else "ok"
        with self._write() as conn:
            self._hold(conn, holder, lease_s, now_us)
            if want == rule.state:
                conn.execute(
                    self._dialect.sql(
                        "UPDATE alert_rules SET value = ? WHERE project_id = ? AND rule_id = ?"
                    ),
                    [value, stored.project_id, rule.rule_id],
                )
                return None
            moved = conn.execute(
                self._dialect.sql(
                    "UPDATE alert_rules SET state = ?, value = ?, changed_us = ? "
                    "WHERE project_id = ? AND rule_id = ? AND state = ?"
                ),
                [want, value, now_us, stored.project_id, rule.rule_id, rule.state],
            )
            if moved.rowcount != 1:
                return None
            event = AlertEvent(
                event_id=secrets.token_hex(8),
                rule_id=rule.rule_id,
                rule_name=rule.name,
                state="firing" if breached else "resolved",
                value=value,
                threshold=rule.threshold,
                at=from_us(now_us),
            )
            conn.execute(
                self._dialect.sql(
                    "INSERT INTO alert_events (project_id, event_id, rule_id, state, value, "
                    "threshold, at_us) VALUES (?, ?, ?, ?, ?, ?, ?)"
                ),
                [stored.project_id, event.event_id, rule.rule_id, event.state, value,
                 rule.threshold, now_us],
            )  # fmt: skip
            if rule.webhook_url:
                conn.execute(
                    self._dialect.sql(
                        "INSERT INTO alert_deliveries (project_id, event_id, url, status, "
                        "attempts, last_error, next_us, delivered_us) "
                        "VALUES (?, ?, ?, 'pending', 0, NULL, ?, NULL)"
                    ),
                    [stored.project_id, event.event_id, rule.webhook_url, now_us],
                )
        return event

    def events(self, project_id: str, limit: int) -> list[AlertEvent]:
        """The project's alert history, newest first."""
        with self._read() as conn:
            rows = self._rows(
                conn,
                "SELECT e.event_id, e.rule_id, e.state, e.value, e.threshold, e.at_us, "
                "r.spec_json FROM alert_events e LEFT JOIN alert_rules r "
                "ON r.project_id = e.project_id AND r.rule_id = e.rule_id "
                "WHERE e.project_id = ? ORDER BY e.at_us DESC, e.event_id LIMIT ?",
                [project_id, limit],
            )
        return [
            AlertEvent(
                event_id=str(event_id),
                rule_id=str(rule_id),
                rule_name=None if spec is None else str(json.loads(spec)["name"]),
                state=state,
                value=value,
                threshold=float(threshold),
                at=from_us(int(at_us)),
            )
            for event_id, rule_id, state, value, threshold, at_us, spec in rows
        ]

    # -- deliveries ---------------------------------------------------------------------

    def deliveries(self, project_id: str, limit: int) -> list[AlertDelivery]:
        """The project's delivery log, newest events first."""
        with self._read() as conn:
            rows = self._rows(
                conn,
                "SELECT d.event_id, d.url, d.status, d.attempts, d.last_error, d.next_us, "
                "d.delivered_us FROM alert_deliveries d JOIN alert_events e "
                "ON e.project_id = d.project_id AND e.event_id = d.event_id "
                "WHERE d.project_id = ? ORDER BY e.at_us DESC, d.event_id LIMIT ?",
                [project_id, limit],
            )
        return [
            AlertDelivery(
                event_id=str(event_id),
                url=str(url),
                status=status,
                attempts=int(attempts),
                last_error=last_error,
                next_attempt_at=from_us(int(next_us)) if status == "pending" else None,
                delivered_at=None if delivered_us is None else from_us(int(delivered_us)),
            )
            for event_id, url, status, attempts, last_error, next_us, delivered_us in rows
        ]

    def due_deliveries(self, limit: int = 50) -> list[PendingDelivery]:
        """Pending deliveries whose next attempt is due, oldest first."""
        with self._read() as conn:
            rows = self._rows(
                conn,
                "SELECT d.project_id, d.event_id, d.url, d.attempts, d.next_us, e.rule_id, "
                "e.state, e.value, e.threshold, e.at_us, r.spec_json, r.created_us "
                "FROM alert_deliveries d "
                "JOIN alert_events e ON e.project_id = d.project_id AND e.event_id = d.event_id "
                "JOIN alert_rules r ON r.project_id = d.project_id AND r.rule_id = e.rule_id "
                "WHERE d.status = 'pending' AND d.next_us <= ? ORDER BY d.next_us LIMIT ?",
                [_now_us(), limit],
            )
        due = []
        for (project_id, event_id, url, attempts, next_us, rule_id, state, value, threshold,
             at_us, spec_json, created_us) in rows:  # fmt: skip
            rule, secret = _rule((rule_id, spec_json, created_us, "ok", None, None))
            event = AlertEvent(
                event_id=event_id,
                rule_id=rule_id,
                rule_name=rule.name,
                state=state,
                value=value,
                threshold=float(threshold),
                at=from_us(int(at_us)),
            )
            due.append(
                PendingDelivery(
                    str(project_id), event, rule, secret, str(url), int(attempts), int(next_us)
                )
            )
        return due

    def claim_delivery(
        self, pending: PendingDelivery, *, holder: str, lease_s: float, claim_s: float
    ) -> PendingDelivery | None:
        """Claim the next attempt of ``pending`` for ``claim_s`` seconds (or renew this
        collector's claim, passing the delivery it returned): the delivery, its
        ``next_us`` the new claim's token; None when it is no longer pending as read (sent,
        given up, or claimed by another collector). `LeaseLostError` (nothing written)
        when ``holder`` no longer holds the lease; it is extended by ``lease_s`` otherwise."""
        now_us = _now_us()
        until_us = max(now_us + int(claim_s * 1_000_000), pending.next_us + 1)
        with self._write() as conn:
            self._hold(conn, holder, lease_s, now_us)
            claimed = conn.execute(
                self._dialect.sql(
                    "UPDATE alert_deliveries SET next_us = ? WHERE project_id = ? "
                    "AND event_id = ? AND status = 'pending' AND next_us = ?"
                ),
                [until_us, pending.project_id, pending.event.event_id, pending.next_us],
            )
            if claimed.rowcount != 1:
                return None
        return replace(pending, next_us=until_us)

    def delivery_done(
        self, pending: PendingDelivery, *, ok: bool, error: str | None, attempts: int, retry_us: int
    ) -> None:
        """Log the outcome of a delivery claimed as ``pending`` (`claim_delivery`):
        delivered, retried at ``retry_us``, or (with ``retry_us`` 0) given up. Nothing is
        written when the claim was lost (another collector claimed the delivery since)."""
        status = "delivered" if ok else ("pending" if retry_us else "failed")
        now_us = _now_us()
        with self._write() as conn:
            conn.execute(
                self._dialect.sql(
                    "UPDATE alert_deliveries SET status = ?, attempts = ?, last_error = ?, "
                    "next_us = ?, delivered_us = ? WHERE project_id = ? AND event_id = ? "
                    "AND status = 'pending' AND next_us = ?"
                ),
                [status, attempts, error, retry_us or now_us, now_us if ok else None,
                 pending.project_id, pending.event.event_id, pending.next_us],
            )  # fmt: skip

    # -- lease --------------------------------------------------------------------------

    def take_lease(self, holder: str, ttl_s: float) -> bool:
        """Hold (or renew) the evaluation lease for ``ttl_s`` seconds; False while another
        collector holds an unexpired one. One statement, atomic on both backends."""
        now_us = _now_us()
        expires_us = now_us + int(ttl_s * 1_000_000)
        with self._write() as conn:
            conn.execute(
                self._dialect.sql(
                    "INSERT INTO alert_lease (name, holder, expires_us) VALUES (?, ?, ?) "
                    "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, "
                    "expires_us = excluded.expires_us "
                    "WHERE alert_lease.holder = excluded.holder OR alert_lease.expires_us < ?"
                ),
                [_LEASE, holder, expires_us, now_us],
            )
            found = self._rows(conn, "SELECT holder FROM alert_lease WHERE name = ?", [_LEASE])
        return bool(found) and found[0][0] == holder

    def _hold(self, conn: DbConnection, holder: str, ttl_s: float, now_us: int) -> None:
        """Extend ``holder``'s unexpired lease by ``ttl_s`` (a compare-and-set on the holder,
        in the caller's transaction, which it fences); `LeaseLostError` otherwise."""
        extended = conn.execute(
            self._dialect.sql(
                "UPDATE alert_lease SET expires_us = ? WHERE name = ? AND holder = ? "
                "AND expires_us >= ?"
            ),
            [now_us + int(ttl_s * 1_000_000), _LEASE, holder, now_us],
        )
        if extended.rowcount != 1:
            msg = f"{holder} no longer holds the alert evaluation lease"
            raise LeaseLostError(msg)

    def release_lease(self, holder: str) -> None:
        """Give the lease up (on shutdown) so another collector takes over at once."""
        with self._write() as conn:
            conn.execute(
                self._dialect.sql("DELETE FROM alert_lease WHERE name = ? AND holder = ?"),
                [_LEASE, holder],
            )
