"""Requests per user: the figures of Helicone's user metrics (``POST /v1/user/metrics/query``),
grouped in the database.

Per user (requests without a user are left out): the days with a request (local days,
``tz_offset_minutes`` west of UTC as a browser's ``getTimezoneOffset`` gives it), the
first and last request start, requests, input and output tokens and cost; sorted by one
of them (ties by user id), one page, the number of users and whether the project has any.
"""

# ruff: noqa: S608 - SQL is assembled from fixed fragments; values are always bound

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from agenttrace.server.store._compile import compile_filter
from agenttrace.server.store.base import MAX_OFFSET, MAX_PAGE_SIZE, InvalidQueryError
from agenttrace.server.store.dialect import DbConnection, Dialect, from_us
from agenttrace.server.store.filters import Filter, SortOrder

__all__ = ["UserMetrics", "UserMetricsPage", "UserMetricsQuery", "UserSort", "user_metrics"]

_DAY_US = 86_400 * 1_000_000


class UserSort(StrEnum):
    """What users can be sorted by."""

    USER_ID = "user_id"
    ACTIVE_FOR = "active_for"
    FIRST_ACTIVE = "first_active"
    LAST_ACTIVE = "last_active"
    TOTAL_REQUESTS = "total_requests"
    AVERAGE_REQUESTS_PER_DAY_ACTIVE = "average_requests_per_day_active"
    AVERAGE_TOKENS_PER_REQUEST = "average_tokens_per_request"
    COST = "cost"


_SORT_SQL = {
    UserSort.USER_ID: "user_id",
    UserSort.ACTIVE_FOR: "active_for",
    UserSort.FIRST_ACTIVE: "first_us",
    UserSort.LAST_ACTIVE: "last_us",
    UserSort.TOTAL_REQUESTS: "requests",
    UserSort.AVERAGE_REQUESTS_PER_DAY_ACTIVE: "(1.0 * requests / active_for)",
    UserSort.AVERAGE_TOKENS_PER_REQUEST: "(1.0 * (input_tokens + output_tokens) / requests)",
    UserSort.COST: "cost",
}


@dataclass(frozen=True, slots=True)
class UserMetricsQuery:
    """Which requests, grouped by user, sorted how, which page."""

    filter: Filter | None = None
    tz_offset_minutes: int = 0
    sort: UserSort = UserSort.LAST_ACTIVE
    order: SortOrder = SortOrder.DESC
    limit: int = 100
    offset: int = 0

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= MAX_PAGE_SIZE or not 0 <= self.offset <= MAX_OFFSET:
            msg = (
                f"limit must be 1 to {MAX_PAGE_SIZE} and offset 0 to {MAX_OFFSET}; got "
                f"limit={self.limit}, offset={self.offset}"
            )
            raise InvalidQueryError(msg)
        if not -1440 <= self.tz_offset_minutes <= 1440:
            minutes = self.tz_offset_minutes
            msg = f"the time zone difference must be -1440 to 1440 minutes; got {minutes}"
            raise InvalidQueryError(msg)


@dataclass(frozen=True, slots=True)
class UserMetrics:
    """One user's figures."""

    user_id: str
    active_days: int
    first_start: datetime
    last_start: datetime
    requests: int
    input_tokens: int
    output_tokens: int
    cost: float


@dataclass(frozen=True, slots=True)
class UserMetricsPage:
    """A page of users, how many match in all, and whether the project has any user."""

    users: list[UserMetrics]
    count: int
    has_users: bool


def user_metrics(
    conn: DbConnection, dialect: Dialect, project_id: str, query: UserMetricsQuery
) -> UserMetricsPage:
    """The users of ``query`` among the project's records (one read snapshot)."""
    condition, params = compile_filter(query.filter, "request", dialect, project_id)
    where = f"r.project_id = ? AND r.user_id IS NOT NULL AND ({condition})"
    grouped = (
        "SELECT r.user_id AS user_id, "
        f"count(DISTINCT (r.start_us - ?) / {_DAY_US}) AS active_for, "
        "min(r.start_us) AS first_us, max(r.start_us) AS last_us, count(*) AS requests, "
        "coalesce(sum(r.input_tokens), 0) AS input_tokens, "
        "coalesce(sum(r.output_tokens), 0) AS output_tokens, "
        "coalesce(sum(r.cost_usd), 0) AS cost "
        f"FROM records r WHERE {where} GROUP BY r.user_id"
    )
    values = [query.tz_offset_minutes * 60_000_000, project_id, *params]
    direction = "ASC" if query.order is SortOrder.ASC else "DESC"
    page = conn.execute(
        dialect.sql(
            f"SELECT * FROM ({grouped}) g "
            f"ORDER BY {_SORT_SQL[query.sort]} {direction}, user_id {direction} LIMIT ? OFFSET ?"
        ),
        [*values, query.limit, query.offset],
    ).fetchall()
    count_row = conn.execute(
        dialect.sql(f"SELECT count(DISTINCT r.user_id) FROM records r WHERE {where}"),
        [project_id, *params],
    ).fetchone()
    any_user = conn.execute(
        dialect.sql("SELECT 1 FROM records WHERE project_id = ? AND user_id IS NOT NULL LIMIT 1"),
        [project_id],
    ).fetchone()
    users = [
        UserMetrics(
            user_id=str(row[0]),
            active_days=int(row[1]),
            first_start=from_us(int(row[2])),
            last_start=from_us(int(row[3])),
            requests=int(row[4]),
            input_tokens=int(row[5]),
            output_tokens=int(row[6]),
            cost=float(row[7]),
        )
        for row in page
    ]
    return UserMetricsPage(
        users=users, count=int(count_row[0]) if count_row else 0, has_users=any_user is not None
    )
