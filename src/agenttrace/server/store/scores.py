"""Scores: feedback attached to a request or a session (table ``scores``, migration 9).

A score has a name (``helpfulness``, ``thumbs``), a value that is a number, a boolean or
a category (a short text), a source (``api``, ``cli``, ``dashboard``, ``sdk``,
``helicone``...) and an optional comment. A boolean is kept as 1 or 0 beside its kind, so
that the average of a boolean score is the share of true (thumbs up) answers.

Every score also carries the session it belongs to (a request's own session), so that a
session's average of a score covers the scores on the session and on its requests; the
session list filters and sorts by that average (`agenttrace.server.store._compile`).
"""

# ruff: noqa: S608 - SQL is assembled from fixed fragments; values are always bound

from __future__ import annotations

import secrets
import time
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt

from agenttrace.core.text_repair import repair_id, repair_text
from agenttrace.query_filters import SCORE_NAME_PATTERN
from agenttrace.server.store._table_access import TableAccess
from agenttrace.server.store.base import InvalidQueryError
from agenttrace.server.store.dialect import DbConnection, from_us
from agenttrace.server.store.filters import Cmp, Filter, Op, and_
from agenttrace.server.store.filters import Score as ScoreField

__all__ = [
    "MAX_SCORES_PER_TARGET",
    "NAME_PATTERN",
    "Score",
    "ScoreIn",
    "ScoreKind",
    "ScoreList",
    "ScoreTarget",
    "SqlScoreStore",
    "TooManyScoresError",
    "score_filter",
]

MAX_SCORES_PER_TARGET = 1000
"""Scores one request or session may hold (400 beyond), which bounds what a client in a
loop can add."""
NAME_PATTERN = SCORE_NAME_PATTERN
MAX_CATEGORY = 200
MAX_COMMENT = 4000

ScoreKind = Literal["numeric", "boolean", "categorical"]
ScoreTarget = Literal["request", "session"]
ScoreValue = (
    StrictBool
    | StrictInt
    | Annotated[StrictFloat, Field(allow_inf_nan=False)]
    | Annotated[str, Field(max_length=MAX_CATEGORY)]
)
_COLUMNS = (
    "score_id, target, target_id, session_id, name, kind, value_num, value_text, source, "
    "comment, created_us"
)


class TooManyScoresError(InvalidQueryError):
    """The target already holds `MAX_SCORES_PER_TARGET` scores (HTTP 400)."""


class ScoreIn(BaseModel):
    """A score to attach: ``value`` true/false (boolean), a number (numeric) or a text
    (categorical); ``kind`` is taken from the value when not given."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: Annotated[str, Field(pattern=NAME_PATTERN, description="e.g. helpfulness, thumbs")]
    value: ScoreValue
    kind: ScoreKind | None = None
    source: Annotated[str, Field(pattern=r"^[A-Za-z0-9._-]{1,40}$")] = "api"
    comment: Annotated[str | None, Field(max_length=MAX_COMMENT)] = None

    def stored_value(self) -> tuple[ScoreKind, float | None, str | None]:
        """(kind, number, text) as stored; InvalidQueryError when value and kind disagree."""
        value = self.value
        kind: ScoreKind
        if isinstance(value, bool):
            kind = "boolean"
        elif isinstance(value, int | float):
            kind = "numeric"
        else:
            kind = "categorical"
        wanted = self.kind or kind
        if wanted != kind:
            msg = (
                f"a {wanted} score needs a "
                + {"boolean": "true or false", "numeric": "number", "categorical": "text"}[wanted]
                + f" value; got {value!r}"
            )
            raise InvalidQueryError(msg)
        if isinstance(value, bool):
            return kind, 1.0 if value else 0.0, None
        if isinstance(value, int | float):
            return kind, float(value), None
        return kind, None, repair_text(value)


class Score(BaseModel):
    """A stored score."""

    score_id: str
    target: ScoreTarget
    target_id: str
    session_id: str
    name: str
    kind: ScoreKind
    value: bool | float | str
    source: str
    comment: str | None
    created_at: datetime


class ScoreList(BaseModel):
    """The scores of a request or a session, oldest first."""

    scores: list[Score]


def _score(row: tuple[object, ...]) -> Score:
    (score_id, target, target_id, session_id, name, kind, number, text, source, comment, at) = row
    value: bool | float | str
    if kind == "boolean":
        value = bool(number)
    elif kind == "numeric":
        value = float(str(number))
    else:
        value = str(text)
    return Score(
        score_id=str(score_id),
        target="request" if target == "request" else "session",
        target_id=str(target_id),
        session_id=str(session_id),
        name=str(name),
        kind=kind,
        value=value,
        source=str(source),
        comment=None if comment is None else str(comment),
        created_at=from_us(int(str(at))),
    )


class SqlScoreStore(TableAccess):
    """Scores in the ``scores`` table of a SQL store (`SqlStore.score_store`)."""

    def _session_of(
        self, conn: DbConnection, project_id: str, target: ScoreTarget, target_id: str
    ) -> str | None:
        if target == "session":
            found = self._rows(
                conn,
                "SELECT session_id FROM sessions WHERE project_id = ? AND session_id = ?",
                [project_id, target_id],
            )
        else:
            found = self._rows(
                conn,
                "SELECT session_id FROM records WHERE project_id = ? AND id = ?",
                [project_id, target_id],
            )
        return str(found[0][0]) if found else None

    def add(
        self, project_id: str, target: ScoreTarget, target_id: str, score: ScoreIn
    ) -> Score | None:
        """Attach ``score`` to the request or session ``target_id``; None when the project
        has no such target. `TooManyScoresError` when it holds `MAX_SCORES_PER_TARGET`."""
        kind, number, text = score.stored_value()
        target_id = repair_id(target_id)
        score_id = secrets.token_hex(8)
        created_us = time.time_ns() // 1000
        comment = None if score.comment is None else repair_text(score.comment)
        with self._write() as conn:
            session_id = self._session_of(conn, project_id, target, target_id)
            if session_id is None:
                return None
            held = self._rows(
                conn,
                "SELECT count(*) FROM scores WHERE project_id = ? AND target = ? AND target_id = ?",
                [project_id, target, target_id],
            )
            if int(str(held[0][0])) >= MAX_SCORES_PER_TARGET:
                msg = (
                    f"this {target} already holds {MAX_SCORES_PER_TARGET} scores, the most "
                    "one may hold; score another one"
                )
                raise TooManyScoresError(msg)
            values = [
                project_id,
                score_id,
                target,
                target_id,
                session_id,
                score.name,
                kind,
                number,
                text,
                score.source,
                comment,
                created_us,
            ]
            conn.execute(
                self._dialect.sql(
                    f"INSERT INTO scores (project_id, {_COLUMNS}) VALUES ({', '.join('?' * 12)})"
                ),
                values,
            )
        return _score(tuple(values[1:]))

    def list(self, project_id: str, target: ScoreTarget, target_id: str) -> list[Score] | None:
        """The scores of a request (its own), or of a session (its own and its requests'),
        oldest first; None when the project has no such target."""
        target_id = repair_id(target_id)
        column = "session_id" if target == "session" else "target_id"
        extra = "" if target == "session" else " AND target = 'request'"
        with self._read() as conn:
            if self._session_of(conn, project_id, target, target_id) is None:
                return None
            rows = self._rows(
                conn,
                f"SELECT {_COLUMNS} FROM scores WHERE project_id = ? AND {column} = ?{extra} "
                "ORDER BY created_us, score_id",
                [project_id, target_id],
            )
        return [_score(row) for row in rows]


def score_filter(
    name: str | None,
    *,
    min_value: float | None = None,
    max_value: float | None = None,
    value: str | None = None,
) -> Filter | None:
    """The sessions (or requests) whose average of score ``name`` is within
    ``min_value``..``max_value`` (both inclusive), or which hold the categorical ``value``;
    every session scored ``name`` at all when only the name is given."""
    if name is None:
        if min_value is not None or max_value is not None or value is not None:
            msg = "min_score, max_score and score_value need the score's name (score=NAME)"
            raise InvalidQueryError(msg)
        return None
    field = ScoreField(name)
    if min_value is None and max_value is None and value is None:
        return Cmp(field, Op.GT, float("-inf"))
    return and_(
        Cmp(field, Op.GTE, min_value) if min_value is not None else None,
        Cmp(field, Op.LTE, max_value) if max_value is not None else None,
        Cmp(field, Op.EQ, value) if value is not None else None,
    )
