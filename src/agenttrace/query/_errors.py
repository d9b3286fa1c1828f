"""The query client's own exception: no answer from the collector at all."""

from __future__ import annotations

from agenttrace.exceptions import QueryError

__all__ = ["CollectorUnavailableError"]


class CollectorUnavailableError(QueryError):
    """The collector could not be reached or did not answer in time (``status_code`` 0).

    A `QueryError`, so ``except QueryError`` handles every failed query; the message says
    how to start a collector (``agenttrace serve``) or where to point the client.
    """

    def __init__(self, endpoint: str, message: str) -> None:
        super().__init__(0, message)
        self.args = (message,)
        self.endpoint = endpoint

    def __str__(self) -> str:
        return self.message
