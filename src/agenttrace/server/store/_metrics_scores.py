"""The score averages of metrics groups (`MetricsRow.scores`): which scores count in which
group, read the same way on every SQL backend.

A metrics group is a set of requests (a time bucket by request start, a model, a user, a
path...). Two kinds of numeric or boolean (true = 1) scores count in it:

* a **request score** counts in the group of its request;
* a **session score** counts once in every group holding at least one of the session's
  matching requests, as the group's ``sessions`` count counts the session. A thumbs-up on
  a session whose requests used two models counts for both models; on a session whose
  requests ran on Monday and Tuesday, in both days. A session with no request matching
  the filter counts nowhere.

This is what a Langfuse user expects of a trace or session score broken down by the
trace's attributes: the score follows the requests it judges, not the time it was given.
The group's average is over all of them, one vote per score (a session score weighs as
much as a request score).

Averages are exact and equal on SQLite and PostgreSQL: the database only counts each
distinct value per group and name; Python adds those up as fractions and rounds once.
"""

# ruff: noqa: S608 - SQL is assembled from fixed fragments; values are always bound

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

__all__ = ["ScoreSums", "score_queries"]


def score_queries(
    columns: Sequence[str],
    column_params: Sequence[Any],
    where: str,
    where_params: Sequence[Any],
    project_id: str,
) -> list[tuple[str, list[Any]]]:
    """The SQL (and parameters) giving rows ``(bucket, *keys, name, value, count)``: how
    many request scores, then session scores, of each value each group holds.

    ``columns`` are the bucket number and the key expressions over records ``r`` (their
    parameters ``column_params``); ``where`` selects the matching records
    (``where_params``).
    """
    positions = ", ".join(str(i) for i in range(1, len(columns) + 3))
    # from the scores to their requests (CROSS JOIN: SQLite keeps that order): a project
    # scores few of its requests, and a lookup per matching request would cost a metrics
    # query over a million requests seconds where it has no score at all
    on_requests = (
        f"SELECT {', '.join(columns)}, sc.name, sc.value_num, count(*) FROM scores sc "
        "CROSS JOIN records r WHERE sc.project_id = ? AND sc.target = 'request' "
        "AND sc.value_num IS NOT NULL AND r.project_id = sc.project_id "
        f"AND r.id = sc.target_id AND {where} GROUP BY {positions}"
    )
    named = ", ".join(f"{column} AS k{i}" for i, column in enumerate(columns))
    keys = ", ".join(f"k.k{i}" for i in range(len(columns)))
    # the (group, session) pairs of the sessions holding a session score: the sessions
    # come from scores_by_target, their records from records_by_session
    on_sessions = (
        "WITH scored AS (SELECT DISTINCT target_id FROM scores WHERE project_id = ? "
        "AND target = 'session' AND value_num IS NOT NULL), "
        f"pairs AS (SELECT DISTINCT {named}, r.session_id AS sid FROM scored s JOIN records r "
        f"ON r.project_id = ? AND r.session_id = s.target_id WHERE {where}) "
        f"SELECT {keys}, sc.name, sc.value_num, count(*) FROM pairs k JOIN scores sc "
        "ON sc.project_id = ? AND sc.target = 'session' AND sc.target_id = k.sid "
        f"WHERE sc.value_num IS NOT NULL GROUP BY {positions}"
    )
    return [
        (on_requests, [*column_params, project_id, *where_params]),
        (on_sessions, [project_id, *column_params, project_id, *where_params, project_id]),
    ]


@dataclass(slots=True)
class ScoreSums:
    """One group's scores by name: an exact sum and a count; `averages` rounds once."""

    sums: dict[str, tuple[Fraction, int]] = field(default_factory=dict)

    def add(self, name: str, value: float, count: int) -> None:
        """Count ``count`` scores ``name`` of ``value``."""
        total, held = self.sums.get(name, (Fraction(0), 0))
        self.sums[name] = (total + Fraction(value) * count, held + count)

    def averages(self) -> dict[str, float]:
        """Each name's average (the exact mean, rounded to the nearest float)."""
        return {name: float(total / count) for name, (total, count) in self.sums.items()}

    @staticmethod
    def rows(found: Iterable[Any], width: int) -> Iterable[tuple[Any, Any, str, float, int]]:
        """``(bucket, keys, name, value, count)`` of rows from `score_queries`."""
        for row in found:
            yield (
                row[0],
                row[1 : 1 + width],
                str(row[1 + width]),
                float(row[2 + width]),
                int(row[3 + width]),
            )
