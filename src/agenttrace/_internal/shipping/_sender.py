"""Posting one batch body to ``POST {endpoint}/v1/records`` and reading the answer.

One `Sender` per worker thread, holding one keep-alive `httpx.Client`. It never touches
the spool or the counters: it says what happened in an `Outcome`, and the worker decides.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pydantic

from agenttrace import __version__
from agenttrace._internal.config import Settings
from agenttrace._internal.shipping._payload import split_body
from agenttrace._internal.shipping._retry import (
    TRANSIENT_ERRORS,
    Interrupted,
    RetryableStatusError,
    is_retryable_status,
    new_retrying,
)
from agenttrace._internal.shipping._stats import logger
from agenttrace.records import IngestResult

__all__ = ["Outcome", "Sender"]

_MAX_LOGGED_REJECTIONS = 5
_MIN_ATTEMPT_TIMEOUT = 0.05
_KEEP_FOR_LATER: tuple[type[Exception], ...] = (*TRANSIENT_ERRORS, Interrupted)


@dataclass(slots=True)
class Outcome:
    """What became of one batch body (or of its halves, after a 413)."""

    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    undelivered: list[tuple[bytes, int]] = field(default_factory=list)
    """(body, record count) of the parts that should go to the spool."""
    retry_after: float | None = None
    """The server's ``Retry-After``, when an undelivered part got one."""

    @property
    def delivered(self) -> bool:
        """True when every record got a final answer (stored, duplicate or rejected)."""
        return not self.undelivered


def _server_message(response: httpx.Response) -> str:
    """The sentence the collector put in its error body, else the start of the body."""
    try:
        payload = response.json()
    except ValueError:
        payload = None
    if isinstance(payload, dict):
        for key in ("error", "detail", "message"):
            if payload.get(key):
                return str(payload[key])[:1000]
    text = response.text.strip()
    return text[:500] if text else response.reason_phrase


class Sender:
    """Posts batch bodies with the retry policy of `agenttrace._internal.shipping._retry`."""

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.BaseTransport | None,
        sleep: Callable[[float], None],
        stopping: Callable[[BaseException | None], bool],
        on_retry: Callable[[], None],
    ) -> None:
        headers = {"content-type": "application/json", "user-agent": f"agenttrace/{__version__}"}
        if settings.api_key:
            headers["authorization"] = f"Bearer {settings.api_key}"
        self.url = f"{settings.endpoint}/v1/records"
        self._settings = settings
        self._client = httpx.Client(
            transport=transport, timeout=settings.request_timeout, headers=headers
        )
        self._sleep = sleep
        self._stopping = stopping
        self._on_retry = on_retry
        self._on_sent: Callable[[], None] | None = None

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def send(
        self,
        body: bytes,
        count: int,
        *,
        retry: bool,
        time_limit: float,
        on_sent: Callable[[], None] | None = None,
    ) -> Outcome:
        """Post ``body`` (``count`` records); retry transient failures if ``retry``.

        No attempt starts after ``time_limit`` seconds and none lasts beyond it.
        ``on_sent`` is called when a request body has been written to the connection
        (while the answer is awaited).
        """
        outcome = Outcome()
        self._on_sent = on_sent
        try:
            self._send_part(body, count, retry, time.monotonic() + time_limit, outcome)
        finally:
            self._on_sent = None
        return outcome

    def _trace(self, event: str, info: dict[str, Any]) -> None:
        """httpcore's ``trace`` extension: tell ``on_sent`` when the body is written."""
        if event.endswith(".send_request_body.complete") and self._on_sent is not None:
            self._on_sent()

    def _post(self, body: bytes, until: float) -> httpx.Response:
        timeout = min(self._settings.request_timeout, until - time.monotonic())
        response = self._client.post(
            self.url,
            content=body,
            timeout=max(timeout, _MIN_ATTEMPT_TIMEOUT),
            extensions={"trace": self._trace},
        )
        if is_retryable_status(response.status_code):
            raise RetryableStatusError(response)
        return response

    def _send_part(
        self, body: bytes, count: int, retry: bool, until: float, outcome: Outcome
    ) -> bool:
        try:
            if retry:
                retrying = new_retrying(
                    deadline=max(until - time.monotonic(), 0.0),
                    sleep=self._sleep,
                    stopping=self._stopping,
                    on_retry=self._on_retry,
                )
                response = retrying(self._post, body, until)
            else:
                response = self._post(body, until)
        except RetryableStatusError as exc:
            outcome.undelivered.append((body, count))
            outcome.retry_after = exc.retry_after
            return False
        except _KEEP_FOR_LATER:
            outcome.undelivered.append((body, count))
            return False
        except httpx.HTTPError as exc:
            logger.warning("agenttrace: could not post to %s (%s); records kept", self.url, exc)
            outcome.undelivered.append((body, count))
            return False
        return self._read_answer(
            response=response, body=body, count=count, retry=retry, until=until, outcome=outcome
        )

    def _read_answer(
        self,
        *,
        response: httpx.Response,
        body: bytes,
        count: int,
        retry: bool,
        until: float,
        outcome: Outcome,
    ) -> bool:
        status = response.status_code
        if status == 413 and count > 1:
            first, second = split_body(body)
            half = count // 2
            if self._send_part(first, half, retry, until, outcome):
                return self._send_part(second, count - half, retry, until, outcome)
            outcome.undelivered.append((second, count - half))
            return False
        if 200 <= status < 300:
            try:
                result = IngestResult.model_validate_json(response.content)
            except pydantic.ValidationError:
                logger.warning(
                    "agenttrace: %s answered %d with something other than an ingest result; "
                    "%d record(s) not confirmed. Is AGENTTRACE_ENDPOINT the agenttrace "
                    "collector?",
                    self.url,
                    status,
                    count,
                )
                outcome.rejected += count
                return True
            self._count_result(result, outcome)
            return True
        logger.warning(
            "agenttrace: %s refused a batch of %d record(s) with %d: %s",
            self.url,
            count,
            status,
            _server_message(response),
        )
        outcome.rejected += count
        return True

    def _count_result(self, result: IngestResult, outcome: Outcome) -> None:
        outcome.accepted += result.accepted
        outcome.duplicates += result.duplicates
        outcome.rejected += len(result.rejected)
        if result.rejected:
            shown = "; ".join(
                f"#{item.index} id={item.id}: {item.message}"
                for item in result.rejected[:_MAX_LOGGED_REJECTIONS]
            )
            more = len(result.rejected) - _MAX_LOGGED_REJECTIONS
            logger.warning(
                "agenttrace: the collector rejected %d record(s) (not retried): %s%s",
                len(result.rejected),
                shown,
                f"; and {more} more" if more > 0 else "",
            )
