"""``POST /v1/scores`` and ``GET /v1/scores``: feedback on a request or a session
(`agenttrace.server.store.scores`).

Bodies are read within the collector's body limit and validated as the document says
(`json_body`); a target the project does not have gets 404.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import model_validator
from starlette.concurrency import run_in_threadpool

from agenttrace.server._json_body import body_schema, json_body
from agenttrace.server.dependencies import ProjectDep, StoreDep
from agenttrace.server.store.base import Store
from agenttrace.server.store.scores import (
    Score,
    ScoreIn,
    ScoreList,
    ScoreTarget,
    SqlScoreStore,
)

__all__ = ["ScoreRequest", "router", "score_store", "store_score"]

router = APIRouter(tags=["scores"])

_ID = Annotated[str | None, Query(min_length=1, max_length=1000)]
_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such request or session in this project"},
    413: {"description": "A body over the collector's size limit"},
}


class ScoreRequest(ScoreIn):
    """A score and what it is about: exactly one of ``session_id`` and ``request_id``."""

    session_id: str | None = None
    request_id: str | None = None

    @model_validator(mode="after")
    def _one_target(self) -> ScoreRequest:
        if (self.session_id is None) == (self.request_id is None):
            msg = "give exactly one of session_id and request_id"
            raise ValueError(msg)
        return self

    def target(self) -> tuple[ScoreTarget, str]:
        """What the score is about."""
        if self.session_id is not None:
            return "session", self.session_id
        assert self.request_id is not None  # _one_target
        return "request", self.request_id


def score_store(store: Store) -> SqlScoreStore:
    """The store's scores (503 for a store that keeps none)."""
    scores = getattr(store, "score_store", None)
    if not callable(scores):
        raise HTTPException(status_code=503, detail="this collector's store keeps no scores")
    found: SqlScoreStore = scores()
    return found


def store_score(
    store: Store, project_id: str, target: ScoreTarget, target_id: str, score: ScoreIn
) -> Score:
    """Attach ``score``; HTTPException 404 for an unknown target."""
    stored = score_store(store).add(project_id, target, target_id, score)
    if stored is None:
        raise HTTPException(status_code=404, detail=_unknown(target, target_id))
    return stored


def _unknown(target: ScoreTarget, target_id: str) -> str:
    where = "GET /v1/sessions" if target == "session" else "GET /v1/requests"
    return f"there is no {target} {target_id!r} in this project; find its id with {where}"


@router.post(
    "/v1/scores",
    response_model=Score,
    status_code=201,
    summary="Score a request or a session",
    responses=_ERRORS,
    openapi_extra=body_schema(ScoreRequest),
)
async def add_score(request: Request, store: StoreDep, project_id: ProjectDep) -> Score:
    """Attach a numeric (a number), boolean (true / false) or categorical (a text) score,
    with a name, a source and an optional comment, to ``session_id`` or ``request_id``."""
    body = await json_body(request, ScoreRequest)
    target, target_id = body.target()
    score = ScoreIn.model_validate(body.model_dump(exclude={"session_id", "request_id"}))
    return await run_in_threadpool(store_score, store, project_id, target, target_id, score)


@router.get(
    "/v1/scores",
    response_model=ScoreList,
    summary="Scores of a request or a session",
    responses={404: _ERRORS[404]},
)
def list_scores(
    store: StoreDep, project_id: ProjectDep, session_id: _ID = None, request_id: _ID = None
) -> ScoreList:
    """The scores of ``request_id``, or of ``session_id`` (on the session and on its
    requests), oldest first."""
    if (session_id is None) == (request_id is None):
        raise HTTPException(status_code=400, detail="give exactly one of session_id and request_id")
    target: ScoreTarget = "session" if session_id is not None else "request"
    target_id = session_id if session_id is not None else str(request_id)
    scores = score_store(store).list(project_id, target, target_id)
    if scores is None:
        raise HTTPException(status_code=404, detail=_unknown(target, target_id))
    return ScoreList(scores=scores)
