"""``POST /v1/records``: native batch ingest, validated record by record.

Valid records are stored even when others in the batch are rejected (with a message naming
the limit or field, `agenttrace.server._limits`); the answer is sent only after the store
committed them. The batch is parsed and stored in its project's turn (`FairIngest`), and
charged to its key's rate limit per record once parsed.

Text a store cannot hold (lone surrogates, which only a JSON ``\\ud800`` escape brings, and
NUL, only ``\\u0000``) is repaired record by record and the record marked
(`agenttrace.core.text_repair`) on the slow path, which a body with either takes.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from agenttrace.core.text_repair import repair_record_data
from agenttrace.records import IngestError, IngestResult, Record, RecordBatch
from agenttrace.server._access import Access
from agenttrace.server._errors import describe_errors
from agenttrace.server._fair_ingest import FairIngest
from agenttrace.server._limits import Limits, load_json, record_problem
from agenttrace.server.dependencies import CollectorOptions, IngestGrantDep, read_body

__all__ = [
    "may_hold_unstorable_text",
    "parse_batch",
    "parse_each_record",
    "parse_valid_batch",
    "router",
]

router = APIRouter(tags=["ingest"])

_SHAPE = 'the body must be a JSON object {"records": [record, ...]}'


def _record_id(item: object) -> str | None:
    if isinstance(item, dict):
        value = item.get("id")
        if isinstance(value, str):
            return value
    return None


def may_hold_unstorable_text(body: bytes) -> bool:
    """Whether the JSON ``body`` may hold a NUL or a lone surrogate (it has an escape
    that can make one; a few are other characters, which costs only the slow path)."""
    return b"\\u0000" in body or b"\\ud" in body or b"\\uD" in body


def parse_valid_batch(body: bytes, limits: Limits) -> tuple[list[Record], list[IngestError]] | None:
    """The fast path for the usual batch, where every record is valid: the whole body is
    parsed and validated in one call (in Rust). None when anything is off (bad JSON, a bad
    record, too many records, a record over a limit); `parse_batch` then takes the slow
    path, record by record, which says exactly what was wrong."""
    if b"NaN" in body or b"Infinity" in body:  # not JSON: the slow path reads them as null
        return None
    if b"\\u0000" in body:  # NUL: the slow path repairs it (lone surrogates fail below)
        return None
    try:
        records = RecordBatch.model_validate_json(body).records
    except (ValidationError, ValueError):
        return None
    if len(records) > limits.max_batch_records:
        return None
    check_size = len(body) > limits.max_record_body_bytes
    for record in records:
        if record_problem(record, limits, check_size=check_size) is not None:
            return None
    return records, []


def parse_batch(
    body: bytes, limits: Limits | None = None
) -> tuple[list[Record], list[IngestError]]:
    """The valid records of a ``{"records": [...]}`` body and why the others were rejected.

    Raises HTTPException 400 for malformed JSON, 422 for a body of another shape and 413
    for more than ``limits.max_batch_records`` records.
    """
    limits = limits or Limits()
    fast = parse_valid_batch(body, limits)
    if fast is not None:
        return fast
    return parse_each_record(body, limits)


def parse_each_record(body: bytes, limits: Limits) -> tuple[list[Record], list[IngestError]]:
    """`parse_batch`'s slow path: record by record, saying what is wrong with each."""
    payload: Any = load_json(body, '{"records": [record, ...]}', max_depth=limits.max_body_depth)
    if not isinstance(payload, dict):
        raise HTTPException(status_code=422, detail=f"{_SHAPE}; got {type(payload).__name__}")
    unknown = sorted(set(payload) - {"records"})
    if unknown:
        raise HTTPException(status_code=422, detail=f"{_SHAPE}; unknown key(s) {unknown}")
    items = payload.get("records")
    if not isinstance(items, list):
        got = "nothing" if items is None else type(items).__name__
        raise HTTPException(status_code=422, detail=f"{_SHAPE}; records is {got}, not a list")
    if len(items) > limits.max_batch_records:
        raise HTTPException(
            status_code=413,
            detail=(
                f"the batch has {len(items)} records; at most {limits.max_batch_records} are "
                "allowed per batch (max_batch_records): send smaller batches"
            ),
        )
    check_size = len(body) > limits.max_record_body_bytes
    repair = may_hold_unstorable_text(body)
    valid: list[Record] = []
    rejected: list[IngestError] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            rejected.append(
                IngestError(
                    index=index,
                    message=f"a record must be a JSON object; got {type(item).__name__}",
                )
            )
            continue
        if repair:
            repair_record_data(item)
        try:
            record = Record.model_validate(item)
        except ValidationError as exc:
            rejected.append(
                IngestError(index=index, id=_record_id(item), message=describe_errors(exc.errors()))
            )
            continue
        problem = record_problem(record, limits, check_size=check_size)
        if problem is None:
            valid.append(record)
        else:
            rejected.append(IngestError(index=index, id=record.id, message=problem))
    return valid, rejected


@router.post(
    "/v1/records",
    response_model=IngestResult,
    summary="Store a batch of records",
    description=(
        "Valid records are stored (idempotently by id) even when others are rejected; "
        "the answer comes after the commit. Malformed JSON: 400; another shape: 422; "
        "a body over the size limit: 413; more records than the key's rate limit holds "
        "now: 429 with Retry-After. Content-Encoding gzip is accepted."
    ),
    responses={
        400: {"description": "Malformed JSON"},
        413: {"description": "Body over the size limit"},
        422: {"description": 'Body is not {"records": [...]}'},
        429: {"description": "Over the key's rate limit (records per second)"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/RecordBatch"}}
            },
        }
    },
)
async def ingest_records(request: Request, grant: IngestGrantDep) -> IngestResult:
    """Validate each record, store the valid ones, report the others by index."""
    body = await read_body(request)
    options: CollectorOptions = request.app.state.options
    access: Access = request.app.state.access
    ingest: FairIngest = request.app.state.ingest
    async with ingest.parsing(grant.project_id):
        try:
            valid, rejected = await run_in_threadpool(parse_batch, body, options.limits)
        except HTTPException:
            access.charge(grant, 1, refuse=False)  # a request costs one token at least
            raise
    access.charge(grant, len(valid) + len(rejected))
    counts = await ingest.write(grant.project_id, valid, body_bytes=len(body))
    return IngestResult(accepted=counts.accepted, duplicates=counts.duplicates, rejected=rejected)
