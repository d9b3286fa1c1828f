"""Several FastAPI lifespans as one: entered in order, left in reverse."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Any

__all__ = ["Lifespan", "chain_lifespans"]

Lifespan = Callable[[Any], AbstractAsyncContextManager[None]]


def chain_lifespans(lifespans: Sequence[Lifespan]) -> Lifespan | None:
    """One lifespan running each of ``lifespans`` (None for none)."""
    if not lifespans:
        return None
    if len(lifespans) == 1:
        return lifespans[0]

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            for each in lifespans:
                await stack.enter_async_context(each(app))
            yield

    return lifespan
