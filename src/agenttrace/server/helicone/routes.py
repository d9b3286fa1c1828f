"""The Helicone-shaped endpoints of the collector (an ``APIRouter`` named ``router``).

Ingest, as Helicone's worker and Jawn answer it: ``200`` with the text ``ok`` and a
``helicone-id`` header holding the stored request id; a bad body gets ``400``.

Queries answer Helicone's envelope: ``{"data": [...], "error": null}``, and on a bad body
``{"data": null, "error": "<what was wrong and what to do>"}`` with a 4xx status.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers

from agenttrace.core.text_repair import repair_record
from agenttrace.records import Record
from agenttrace.server._errors import describe_errors
from agenttrace.server._fair_ingest import FairIngest
from agenttrace.server._ingest_route import may_hold_unstorable_text
from agenttrace.server._limits import Limits, record_problem
from agenttrace.server._score_routes import store_score
from agenttrace.server.dependencies import ProjectDep, StoreDep, read_body
from agenttrace.server.helicone.body_schemas import (
    IDS_BODY,
    LOG_BODY,
    NAME_BODY,
    REQUEST_BODY,
    SESSION_BODY,
    USER_METRICS_BODY,
    body_schema,
)
from agenttrace.server.helicone.ingest_mapping import HeliconeLogError, LogEndpoint, record_from_log
from agenttrace.server.helicone.query_mapping import (
    HeliconeQueryError,
    name_query_from_body,
    request_count_filter_from_body,
    request_ids_from_body,
    request_query_from_body,
    session_query_from_body,
)
from agenttrace.server.helicone.row_mapping import (
    helicone_request,
    helicone_session,
    helicone_session_names,
)
from agenttrace.server.helicone.user_metrics import (
    user_metrics_answer,
    user_metrics_query_from_body,
)
from agenttrace.server.store.base import (
    MAX_PAGE_SIZE,
    InvalidQueryError,
    RequestQuery,
    SessionQuery,
    Store,
)
from agenttrace.server.store.filters import Cmp, Field, Filter, Op
from agenttrace.server.store.query_rows import SessionRow
from agenttrace.server.store.scores import NAME_PATTERN, ScoreIn

__all__ = ["router"]

router = APIRouter(tags=["helicone"])

NAME_SCAN_PAGES = 20  # /v1/session/name/query groups the latest 20 000 matching sessions
NAME_LIMIT = 50  # Helicone answers at most 50 names

_LOG_PATHS = {
    LogEndpoint.CUSTOM: ("/custom/v1/log", "/v1/trace/custom/log", "/v1/trace/custom/v1/log"),
    LogEndpoint.OPENAI: ("/oai/v1/log",),
    LogEndpoint.ANTHROPIC: ("/anthropic/v1/log",),
    LogEndpoint.GOOGLE: ("/googleapis/v1/log",),
}
_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": 'A bad body: {"data": null, "error": "..."}'},
    413: {"description": "A body over the collector's size limit"},
}


def _failure(status_code: int, message: str) -> JSONResponse:
    return JSONResponse({"data": None, "error": message}, status_code=status_code)


def _success(data: Any) -> JSONResponse:
    return JSONResponse({"data": data, "error": None})


class _NotJsonError(ValueError):
    """The body is not JSON (HTTP 400)."""


async def _json_body(request: Request, shape: str) -> Any:
    """The parsed JSON body, within the collector's size limit."""
    return _parse(await read_body(request), shape)


def _parse(raw: bytes, shape: str) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:
        msg = f"the body is not valid JSON ({exc}); send {shape}, encoded as UTF-8"
        raise _NotJsonError(msg) from None


async def _answer(request: Request, shape: str, run: Callable[[Any], Any]) -> Response:
    """Parse the body, run ``run(body)`` in a worker thread, wrap the answer or the error."""
    try:
        body = await _json_body(request, shape)
        return _success(await run_in_threadpool(run, body))
    except (_NotJsonError, HeliconeQueryError, InvalidQueryError) as exc:
        return _failure(400, str(exc))
    except HTTPException as exc:
        return _failure(exc.status_code, str(exc.detail))


# --- ingest ----------------------------------------------------------------------------


def _header_value(text: str) -> str:
    """``text`` when it is printable ASCII, else percent-encoded (header values are bytes)."""
    if text.isascii() and text.isprintable():
        return text
    return urllib.parse.quote(text, safe="")


def _log_record(
    body: Any, headers: Headers, endpoint: LogEndpoint, *, limits: Limits, repair_bodies: bool
) -> Record:
    """Map the log to a record, repair text the store cannot hold (looking into the bodies
    only with ``repair_bodies``) and check the collector's limits."""
    record = repair_record(record_from_log(body, headers, endpoint), bodies=repair_bodies)
    problem = record_problem(record, limits)
    if problem is not None:
        raise HeliconeLogError(problem)
    return record


def _log_route(endpoint: LogEndpoint, path: str) -> None:
    async def log(request: Request, project_id: ProjectDep) -> Response:
        ingest: FairIngest = request.app.state.ingest
        try:
            raw = await read_body(request)
            body = _parse(raw, "a Helicone log {providerRequest, providerResponse}")
            record = await run_in_threadpool(
                _log_record,
                body,
                request.headers,
                endpoint,
                limits=request.app.state.options.limits,
                repair_bodies=may_hold_unstorable_text(raw),
            )
            await ingest.write(project_id, [record])  # in the project's turn (fairness)
        except (_NotJsonError, HeliconeLogError) as exc:
            return _failure(400, str(exc))
        except HTTPException as exc:
            return _failure(exc.status_code, str(exc.detail))
        return PlainTextResponse("ok", headers={"helicone-id": _header_value(record.id)})

    router.add_api_route(
        path,
        log,
        name=f"log_{endpoint.value}_{path.strip('/').replace('/', '_')}",
        methods=["POST"],
        summary=f"Log a call, as Helicone's manual logger does ({endpoint.value})",
        description=(
            "Helicone's async-log body; Helicone-* headers (or providerRequest.meta) give "
            "the session, user, properties, request id and omit flags. Answers 200 `ok` "
            "with a `helicone-id` header after the record is committed (a request id "
            "already stored is not stored twice)."
        ),
        response_class=PlainTextResponse,
        responses={**_ERRORS, 200: {"description": "`ok`; the id is in `helicone-id`"}},
        openapi_extra=body_schema(LOG_BODY),
    )


for _endpoint, _paths in _LOG_PATHS.items():
    for _path in _paths:
        _log_route(_endpoint, _path)


# --- sessions --------------------------------------------------------------------------


@router.post(
    "/v1/session/query",
    summary="Query sessions (Helicone's SessionQueryParams)",
    responses=_ERRORS,
    openapi_extra=body_schema(SESSION_BODY),
)
async def query_sessions(request: Request, store: StoreDep, project_id: ProjectDep) -> Response:
    """Sessions with a request matching the body, newest first, as SessionResult rows."""

    def run(body: Any) -> list[dict[str, Any]]:
        page = store.query_sessions(project_id, session_query_from_body(body))
        return [helicone_session(row) for row in page.sessions]

    return await _answer(request, "a SessionQueryParams object", run)


def _scan_sessions(store: Store, project_id: str, filter_: Filter | None) -> list[SessionRow]:
    """The latest ``NAME_SCAN_PAGES`` pages of sessions matching ``filter_``."""
    rows: list[SessionRow] = []
    for page_number in range(NAME_SCAN_PAGES):
        offset = page_number * MAX_PAGE_SIZE
        query = SessionQuery(filter=filter_, limit=MAX_PAGE_SIZE, offset=offset)
        page = store.query_sessions(project_id, query)
        rows.extend(page.sessions)
        if len(rows) >= page.total or not page.sessions:
            break
    return rows


@router.post(
    "/v1/session/name/query",
    summary="Session names with their counts (Helicone's SessionNameQueryParams)",
    responses=_ERRORS,
    openapi_extra=body_schema(NAME_BODY),
)
async def query_session_names(
    request: Request, store: StoreDep, project_id: ProjectDep
) -> Response:
    """Per name: first and last use, session count, mean latency; 50 most recent names."""

    def run(body: Any) -> list[dict[str, Any]]:
        plan = name_query_from_body(body)
        sessions = _scan_sessions(store, project_id, plan.filter)
        return helicone_session_names(sessions)[:NAME_LIMIT]

    return await _answer(request, "a SessionNameQueryParams object", run)


# --- requests --------------------------------------------------------------------------


def _query_requests(store: Store, project_id: str, body: Any) -> list[dict[str, Any]]:
    plan = request_query_from_body(body)
    if plan.selects_nothing:
        return []
    page = store.query_requests(project_id, plan.query)
    return [helicone_request(row) for row in page.requests]


async def query_requests(request: Request, store: StoreDep, project_id: ProjectDep) -> Response:
    """Requests matching the body's filter, newest first unless sorted, with bodies."""
    return await _answer(
        request,
        "a RequestQueryParams object",
        lambda body: _query_requests(store, project_id, body),
    )


for _path, _name in (
    ("/v1/request/query", "query_requests"),
    ("/v1/request/query-clickhouse", "query_requests_clickhouse"),
):
    router.add_api_route(
        _path,
        query_requests,
        methods=["POST"],
        name=_name,
        summary="Query requests (Helicone's RequestQueryParams)",
        description=(
            "Bodies are always included; `includeInputs` is accepted and has no effect. "
            "`limit` is at most 1000, and an answer stops before the request whose bodies "
            "would take it past 8 MiB (it always holds one): `data` may then hold fewer "
            "than `limit` requests, and the next page starts at `offset` plus their number."
        ),
        responses=_ERRORS,
        openapi_extra=body_schema(REQUEST_BODY),
    )


@router.post(
    "/v1/request/count/query",
    summary="Count requests (Helicone's RequestQueryParams)",
    responses=_ERRORS,
    openapi_extra=body_schema(REQUEST_BODY),
)
async def count_requests(request: Request, store: StoreDep, project_id: ProjectDep) -> Response:
    """How many requests match the body's filter."""

    def run(body: Any) -> int:
        plan = request_count_filter_from_body(body)
        if plan.selects_nothing:
            return 0
        return store.query_requests(project_id, plan.query).total

    return await _answer(request, "a RequestQueryParams object", run)


@router.post(
    "/v1/request/query-ids",
    summary="Requests by id (Helicone's query-ids)",
    responses=_ERRORS,
    openapi_extra=body_schema(IDS_BODY),
)
async def query_request_ids(request: Request, store: StoreDep, project_id: ProjectDep) -> Response:
    """The requests among ``requestIds`` that exist, newest first, with bodies; the answer
    stops before the request whose bodies would take it past 8 MiB (ask for the ids left
    out again)."""

    def run(body: Any) -> list[dict[str, Any]]:
        ids = request_ids_from_body(body)
        if not ids:
            return []
        query = RequestQuery(
            filter=Cmp(Field.REQUEST_ID, Op.IN, ids), limit=len(ids), include_bodies=True
        )
        return [helicone_request(row) for row in store.query_requests(project_id, query).requests]

    return await _answer(request, '{"requestIds": [...]}', run)


@router.get(
    "/v1/request/{request_id}",
    summary="One request (Helicone's GET /v1/request/{requestId})",
    responses={404: {"description": 'Unknown id: {"data": null, "error": "..."}'}},
)
def get_request(
    request_id: str,
    store: StoreDep,
    project_id: ProjectDep,
    include_body: Annotated[bool, Query(alias="includeBody")] = False,
) -> Response:
    """One request as a HeliconeRequest row; bodies only with ``includeBody=true``."""
    row = store.get_request(project_id, request_id)
    if row is None:
        return _failure(404, f"there is no request {request_id!r} in this project")
    answer = helicone_request(row)
    if not include_body:
        answer["request_body"] = answer["response_body"] = None
    return _success(answer)


# --- users -----------------------------------------------------------------------------


@router.post(
    "/v1/user/metrics/query",
    summary="Per-user metrics (Helicone's UserMetricsQueryParams)",
    responses=_ERRORS,
    openapi_extra=body_schema(USER_METRICS_BODY),
)
async def query_user_metrics(request: Request, store: StoreDep, project_id: ProjectDep) -> Response:
    """Each user's active days, first and last request, requests, tokens and cost, for the
    requests matching the body; ``{"users": [...], "count": n, "hasUsers": bool}``."""

    def run(body: Any) -> dict[str, Any]:
        query = user_metrics_query_from_body(body)
        return user_metrics_answer(store.query_user_metrics(project_id, query))

    return await _answer(request, "a UserMetricsQueryParams object", run)


# --- scores and feedback -----------------------------------------------------------------

_SCORES_BODY: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["scores"],
    "properties": {
        "scores": {
            "type": "object",
            "maxProperties": 100,
            "propertyNames": {"pattern": NAME_PATTERN},
            "additionalProperties": {"type": ["number", "boolean"]},
        }
    },
}
_FEEDBACK_BODY: dict[str, Any] = {
    "type": "object",
    "required": ["rating"],
    "properties": {"rating": {"type": "boolean"}},
}
_SCORE_ERRORS: dict[int | str, dict[str, Any]] = {
    **_ERRORS,
    404: {"description": 'Unknown request id: {"data": null, "error": "..."}'},
}


def _score_pairs(body: Any) -> list[ScoreIn]:
    shape = '{"scores": {"<name>": <number or boolean>, ...}}'
    scores = body.get("scores") if isinstance(body, dict) else None
    if not isinstance(scores, dict) or set(body) != {"scores"}:
        raise HeliconeQueryError(f"the body must be {shape}")
    if len(scores) > 100:
        raise HeliconeQueryError(f"send at most 100 scores at once; got {len(scores)}")
    found = []
    for name, value in scores.items():
        if isinstance(value, str):
            msg = f"score {name!r} must be a number or a boolean (Helicone's scores take no text)"
            raise HeliconeQueryError(msg)
        try:
            found.append(ScoreIn(name=name, value=value, source="helicone"))
        except ValidationError as exc:
            raise HeliconeQueryError(f"{shape}: {describe_errors(exc.errors())}") from None
    return found


def _feedback(body: Any) -> list[ScoreIn]:
    rating = body.get("rating") if isinstance(body, dict) else None
    if not isinstance(rating, bool):
        raise HeliconeQueryError('the body must be {"rating": true} or {"rating": false}')
    return [ScoreIn(name="feedback", value=rating, source="helicone")]


def _scoring_route(
    shape: str, scores: Callable[[Any], list[ScoreIn]]
) -> Callable[..., Awaitable[Response]]:
    """An endpoint attaching the scores ``scores`` reads from the body to the request;
    it answers ``{"data": null, "error": null}``."""

    async def endpoint(
        request_id: str, request: Request, store: StoreDep, project_id: ProjectDep
    ) -> Response:
        def run(body: Any) -> None:
            for score in scores(body):
                store_score(store, project_id, "request", request_id, score)

        return await _answer(request, shape, run)

    return endpoint


for _suffix, _summary, _description, _body, _shape, _read in (
    (
        "score",
        "Score a request (Helicone's AddScores)",
        "Attach each name: value of scores (a number or a boolean) to the request, with "
        'source helicone; answers {"data": null, "error": null}.',
        _SCORES_BODY,
        '{"scores": {"<name>": <number or boolean>, ...}}',
        _score_pairs,
    ),
    (
        "feedback",
        "Thumbs up or down on a request (Helicone's FeedbackRequest)",
        "Keep rating (true: positive) as the boolean score feedback of the request, with "
        'source helicone; answers {"data": null, "error": null}.',
        _FEEDBACK_BODY,
        '{"rating": true or false}',
        _feedback,
    ),
):
    router.add_api_route(
        f"/v1/request/{{request_id}}/{_suffix}",
        _scoring_route(_shape, _read),
        methods=["POST"],
        summary=_summary,
        description=_description,
        responses=_SCORE_ERRORS,
        openapi_extra=body_schema(_body),
    )
