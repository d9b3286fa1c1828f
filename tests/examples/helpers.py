"""Small helpers shared by the example agents' tests."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import agenttrace
from agenttrace.query import QueryClient, RequestRow, SessionDetail

FLUSH_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Traced:
    """The tracer of this test, sending to the collector at ``url``."""

    url: str

    def session(self, session_id: str) -> SessionDetail:
        """Flush, then the stored session with its requests (bodies included)."""
        assert agenttrace.flush(FLUSH_TIMEOUT_S), "records were not delivered in time"
        with QueryClient(self.url) as client:
            return client.session(session_id, include_bodies=True)


def summary(requests: Iterable[RequestRow]) -> list[tuple[str, str, str]]:
    """``(path, kind, status)`` of each request, in the order given (time order)."""
    return [(r.session_path, r.kind.value, r.status.value) for r in requests]


def path_counts(requests: Iterable[RequestRow]) -> Counter[tuple[str, str]]:
    """How many requests there are of each ``(path, kind)``."""
    return Counter((r.session_path, r.kind.value) for r in requests)


def only(requests: Iterable[RequestRow], path: str) -> RequestRow:
    """The one request at ``path`` (fails when there are none or several)."""
    (found,) = [r for r in requests if r.session_path == path]
    return found
