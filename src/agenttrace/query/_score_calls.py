"""The query clients' score calls: ``POST /v1/scores`` and ``GET /v1/scores``, and the
`Score` they answer with."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from agenttrace.exceptions import UserError
from agenttrace.query._base import Call

__all__ = ["Score", "ScoreKind", "score_call", "score_target", "scores_call"]

ScoreKind = Literal["numeric", "boolean", "categorical"]
Target = tuple[Literal["session_id", "request_id"], str]


class Score(BaseModel):
    """A score the collector keeps on a request or a session."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    score_id: str
    target: Literal["request", "session"]
    target_id: str
    session_id: str
    name: str
    kind: ScoreKind
    value: bool | float | str
    source: str
    comment: str | None = None
    created_at: datetime


def _scores(body: Any) -> list[Score]:
    return [Score.model_validate(item) for item in body["scores"]]


def score_target(session_id: str | None, request_id: str | None) -> Target:
    """Which of the two ids was given; `UserError` unless exactly one."""
    if (session_id is None) == (request_id is None):
        msg = "pass exactly one of session_id= and request_id="
        raise UserError(msg)
    if session_id is not None:
        return "session_id", session_id
    assert request_id is not None
    return "request_id", request_id


def score_call(
    name: str,
    value: bool | float | str,
    *,
    target: Target,
    kind: ScoreKind | None,
    source: str,
    comment: str | None,
) -> Call[Score]:
    """``POST /v1/scores``."""
    body: dict[str, Any] = {target[0]: target[1], "name": name, "value": value, "source": source}
    if kind is not None:
        body["kind"] = kind
    if comment is not None:
        body["comment"] = comment
    return Call("POST", "/v1/scores", (), Score.model_validate, body)


def scores_call(target: Target) -> Call[list[Score]]:
    """``GET /v1/scores`` of one session or request."""
    return Call("GET", "/v1/scores", ((target[0], target[1]),), _scores)
