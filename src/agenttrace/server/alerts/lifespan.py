"""The alert evaluator as a collector background task: `AlertEvaluator.tick` every
``interval`` seconds in a worker thread; a failing tick is logged and retried next time."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from typing import Any

from agenttrace.server.alerts.evaluator import AlertEvaluator
from agenttrace.server.store.base import Store

__all__ = ["ALERT_INTERVAL_S", "alerts_lifespan"]

ALERT_INTERVAL_S = 15.0
logger = logging.getLogger("agenttrace.server.alerts")


async def _evaluate_forever(evaluator: AlertEvaluator) -> None:
    while True:
        try:
            await asyncio.to_thread(evaluator.tick)
        except Exception:
            logger.exception("agenttrace: evaluating the alert rules failed")
        await asyncio.sleep(evaluator.interval)


def alerts_lifespan(
    store: Store, interval: float = ALERT_INTERVAL_S, **options: Any
) -> Callable[[Any], AbstractAsyncContextManager[None]]:
    """A FastAPI lifespan evaluating ``store``'s alert rules every ``interval`` seconds
    (``options`` go to `AlertEvaluator`); the app's ``state.alert_evaluator`` is it."""
    if interval <= 0:
        msg = f"the alert interval must be a positive number of seconds; got {interval}"
        raise ValueError(msg)

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        evaluator = AlertEvaluator(store, interval=interval, **options)
        app.state.alert_evaluator = evaluator
        task = asyncio.create_task(_evaluate_forever(evaluator))
        try:
            yield
        finally:
            evaluator.stopping.set()
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
            await asyncio.to_thread(evaluator.close)

    return lifespan
