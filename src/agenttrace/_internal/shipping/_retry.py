"""When to retry a batch and how long to wait: the tenacity policy of the shipper.

Retried: transport failures (connect, read, write, timeouts, a dropped connection) and the
statuses 408, 429 and 5xx. Every other answer is final. Waits grow exponentially with full
jitter, never shorter than the server's ``Retry-After`` (on 429 and 503), and stop at an
overall deadline; the sleep itself is a hook that shutdown (or a flush that gives up on an
unreachable collector) cuts short.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx
import tenacity

__all__ = [
    "MAX_RETRY_AFTER",
    "TRANSIENT_ERRORS",
    "Interrupted",
    "RetryableStatusError",
    "backoff",
    "is_retryable_status",
    "new_retrying",
    "parse_retry_after",
]

TRANSIENT_ERRORS: tuple[type[Exception], ...] = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
)
"""httpx failures worth another attempt (not e.g. an unsupported URL scheme)."""

MAX_RETRY_AFTER = 300.0
"""A longer ``Retry-After`` is capped: the batch waits in the spool instead."""

BACKOFF_BASE = 0.25
BACKOFF_MAX = 10.0


class Interrupted(Exception):  # noqa: N818 - a signal, not an error condition
    """Shutdown cut a wait short; the batch goes to the spool."""


class RetryableStatusError(Exception):
    """The collector answered with a status worth retrying (408, 429, 5xx)."""

    def __init__(self, response: httpx.Response) -> None:
        self.status_code = response.status_code
        self.retry_after = (
            parse_retry_after(response.headers.get("retry-after"))
            if response.status_code in (429, 503)
            else None
        )
        super().__init__(f"collector answered {response.status_code}")


def is_retryable_status(status_code: int) -> bool:
    """408, 429 and 5xx are transient; every other status is final."""
    return status_code in (408, 429) or 500 <= status_code <= 599


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP-date).

    Returns None when the header is missing or unreadable; never negative; at most
    `MAX_RETRY_AFTER`.

    >>> parse_retry_after("3")
    3.0
    >>> parse_retry_after("Wed, 21 Oct 2015 07:28:05 GMT",
    ...                   now=datetime(2015, 10, 21, 7, 28, 0, tzinfo=UTC))
    5.0
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if seconds != seconds:  # NaN  # noqa: PLR0124 - the cheapest NaN test
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def backoff(attempt: int) -> float:
    """Full-jitter exponential backoff before attempt ``attempt + 1``."""
    ceiling = min(BACKOFF_MAX, BACKOFF_BASE * 2 ** max(attempt - 1, 0))
    return random.uniform(0.0, ceiling)


def _wait(retry_state: tenacity.RetryCallState) -> float:
    wait = backoff(retry_state.attempt_number)
    outcome = retry_state.outcome
    error = outcome.exception() if outcome is not None else None
    if isinstance(error, RetryableStatusError) and error.retry_after is not None:
        wait = max(wait, error.retry_after)
    return wait


def _is_retryable(error: BaseException) -> bool:
    return isinstance(error, (RetryableStatusError, *TRANSIENT_ERRORS))


def new_retrying(
    *,
    deadline: float,
    sleep: Callable[[float], None],
    stopping: Callable[[BaseException | None], bool],
    on_retry: Callable[[], None],
) -> tenacity.Retrying:
    """A tenacity policy: transient failures only, until ``deadline`` seconds have passed.

    ``sleep`` waits between attempts (it raises `Interrupted` on shutdown); ``stopping``,
    given the failed attempt's error, ends the retries early when it says True;
    ``on_retry`` is called before each wait.
    """
    out_of_time = tenacity.stop_before_delay(deadline)

    def stop(retry_state: tenacity.RetryCallState) -> bool:
        outcome = retry_state.outcome
        error = outcome.exception() if outcome is not None else None
        return stopping(error) or out_of_time(retry_state)

    return tenacity.Retrying(
        retry=tenacity.retry_if_exception(_is_retryable),
        wait=_wait,
        stop=stop,
        sleep=sleep,
        before_sleep=lambda _: on_retry(),
        reraise=True,
    )
