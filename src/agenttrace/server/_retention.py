"""Retention as a collector setting: every so often, prune sessions older than a span.

``agenttrace serve --retention 30d`` (or ``AGENTTRACE_RETENTION``) runs
`Store.prune` when the collector starts and then every `RETENTION_INTERVAL_S` seconds,
in a worker thread; a failed prune is logged and retried at the next interval.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from datetime import UTC, datetime, timedelta
from typing import Any

from agenttrace.server.store.base import Store

__all__ = ["RETENTION_INTERVAL_S", "retention_lifespan"]

RETENTION_INTERVAL_S = 3600.0
logger = logging.getLogger("agenttrace.server")


async def _prune_forever(store: Store, keep: timedelta, interval: float) -> None:
    while True:
        cutoff = datetime.now(UTC) - keep
        try:
            counts = await asyncio.to_thread(store.prune, cutoff)
        except Exception:
            logger.exception("agenttrace: pruning sessions older than %s failed", cutoff)
        else:
            if counts.sessions:
                logger.info(
                    "agenttrace: pruned %d session(s), %d request(s) older than %s",
                    counts.sessions,
                    counts.records,
                    cutoff.isoformat(timespec="seconds"),
                )
        await asyncio.sleep(interval)


def retention_lifespan(
    store: Store, keep: timedelta, interval: float = RETENTION_INTERVAL_S
) -> Callable[[Any], AbstractAsyncContextManager[None]]:
    """A FastAPI lifespan that prunes ``store`` of sessions older than ``keep``."""
    if keep <= timedelta(0):
        msg = f"retention must be a positive span of time; got {keep}"
        raise ValueError(msg)

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        task = asyncio.create_task(_prune_forever(store, keep, interval))
        try:
            yield
        finally:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task

    return lifespan
