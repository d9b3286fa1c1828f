"""The evaluation lease on both stores: one evaluator at a time, taken over once the
holder's lease expires or is released."""

from __future__ import annotations

import time
from typing import Any

from agenttrace.server.alerts import AlertEvaluator
from agenttrace.server.store.alert_models import AlertRuleIn


def test_one_evaluator_holds_the_lease_until_it_lapses(store_factory: Any) -> None:
    """Two evaluators on one database (two stores, as two collectors have): the first to
    tick holds the lease and renews it; the other waits until it lapses or is released."""
    first_store, second_store = store_factory.open(), store_factory.open()
    first_store.alert_store().create_rule(
        "p", AlertRuleIn(name="r", metric="requests", threshold=1, window_s=60)
    )
    first = AlertEvaluator(first_store, interval=0.1)
    second = AlertEvaluator(second_store, interval=0.1)
    first.lease_s = second.lease_s = 0.5
    try:
        assert first.tick() is True
        assert second.tick() is False
        assert first.tick() is True  # renewed
        time.sleep(0.6)
        assert second.tick() is True  # lapsed: taken over
        assert first.tick() is False
        second.close()  # releases it
        assert first.tick() is True
    finally:
        first.close()
        second.close()


def test_without_rules_an_evaluator_writes_nothing(store_factory: Any) -> None:
    """No rule: the tick only reads; the lease stays free for anyone."""
    store = store_factory.open()
    evaluator = AlertEvaluator(store, interval=0.1)
    try:
        assert evaluator.tick() is False
        assert store.alert_store().take_lease("someone else", 5)
    finally:
        evaluator.close()
