"""``POST /v1/traces``: OTLP/HTTP trace ingest (protobuf or JSON, gzip accepted).

Same keys and projects as the rest of the API (``Authorization: Bearer <key>``, which
every OTLP exporter can send through ``OTEL_EXPORTER_OTLP_HEADERS``). Every span's
structure is stored; LLM, tool and retriever spans become records placed by their
ancestors, whatever order they arrive in (`agenttrace.server.store.otlp_spans`); a LangGraph
interrupt and the resume that answers it become a question to a human
(`agenttrace.server.otlp.questions`). The answer
is an ``ExportTraceServiceResponse`` in the request's encoding, whose ``partial_success``
counts and names the spans whose records were refused (their structure is kept). Limits
as for ``/v1/records``: the body size, at most ``max_batch_records`` spans per request, and
per record its bodies' size and nesting. Idempotent by (trace id, span id).

As for ``/v1/records``, an export is read in one of its project's turns and stored in
another (`agenttrace.server._fair_ingest`; one transaction, since its spans are placed
together), and costs its key's rate limit one token per span once read.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTracePartialSuccess,
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from pydantic import TypeAdapter, ValidationError
from starlette.concurrency import run_in_threadpool

from agenttrace.records import Record, Status
from agenttrace.server._access import Access
from agenttrace.server._errors import describe_errors
from agenttrace.server._fair_ingest import FairIngest
from agenttrace.server._limits import Limits, record_problem
from agenttrace.server.dependencies import CollectorOptions, IngestGrantDep, read_body
from agenttrace.server.otlp.decoding import BodyError, OtlpSpan, decode_request, iter_spans
from agenttrace.server.otlp.mapping import span_fields
from agenttrace.server.otlp.paths import resolve_place
from agenttrace.server.otlp.questions import human_parts
from agenttrace.server.store._human_ingest import merge_human
from agenttrace.server.store.otlp_spans import SpanLink

__all__ = ["SpanBatch", "read_export", "router"]

router = APIRouter(tags=["ingest"])

_PROTOBUF = "application/x-protobuf"
_JSON = "application/json"
_SHOWN_REJECTIONS = 5
_RECORDS = TypeAdapter(list[Record])


def _too_many(count: int, limits: Limits) -> HTTPException:
    return HTTPException(
        status_code=413,
        detail=(
            f"the request has more than {limits.max_batch_records} spans "
            f"({count} read so far); at most {limits.max_batch_records} are allowed per "
            "request (max_batch_records): lower the exporter's batch size "
            "(OTEL_BSP_MAX_EXPORT_BATCH_SIZE)"
        ),
    )


@dataclass(frozen=True, slots=True)
class SpanBatch:
    """An OTLP export read and mapped: what `Store.ingest_spans` stores, and the spans
    whose records were refused (their structure is kept)."""

    links: list[SpanLink]
    records: dict[str, Record]
    problems: list[str]
    spans: int = 0
    """How many spans the body held (``links`` adds one per question asked or answered)."""


_Read = tuple[OtlpSpan, SpanLink, dict[str, Any] | ValidationError | None]
"""A span, its link and its record's fields not yet validated (or why they are invalid)."""


def read_export(body: bytes, content_type: str, limits: Limits) -> SpanBatch:
    """The spans of an OTLP body, mapped to links and records within ``limits``;
    HTTPException 400 (not an export), 413 (too many spans) or 415 (not protobuf or JSON)."""
    try:
        request = decode_request(body, content_type)
    except BodyError as exc:
        status = 415 if "Content-Type" in str(exc) else 400
        raise HTTPException(status_code=status, detail=str(exc)) from None
    read = _read_spans(request, limits)
    valid = _validate([fields for _, _, fields in read if isinstance(fields, dict)])
    links: list[SpanLink] = []
    records: dict[str, Record] = {}
    problems: list[str] = []
    asked: set[tuple[str, str]] = set()
    check_size = len(body) > limits.max_record_body_bytes
    for span, given, fields in read:
        link, record = _checked(span, given, fields, valid, problems)
        if record is not None:
            problem = record_problem(record, limits, check_size=check_size)
            if problem is not None:
                problems.append(f"span {span.span_id}: {problem}")
                link, record = _without_record(link), None
        links.append(link)
        if record is not None:
            records[record.id] = record
        for part_link, part in _human_parts(span, link, record, problems):
            if (part_link.trace_id, part_link.span_id) in asked:
                continue  # the same interrupt, bubbled up: the first span places it
            asked.add((part_link.trace_id, part_link.span_id))
            problem = record_problem(part, limits, check_size=check_size)
            if problem is not None:
                problems.append(f"span {span.span_id}: {problem}")
                continue
            _add_human_part(links, records, part_link, part)
    return SpanBatch(links=links, records=records, problems=problems, spans=len(read))


def _read_spans(request: ExportTraceServiceRequest, limits: Limits) -> list[_Read]:
    """Every span of ``request`` read (at most ``max_batch_records``: 413 past that)."""
    read: list[_Read] = []
    for span in iter_spans(request):
        if len(read) >= limits.max_batch_records:
            raise _too_many(len(read) + 1, limits)
        try:
            read.append((span, *span_fields(span)))
        except ValidationError as exc:
            read.append((span, _structure_only(span), exc))
    return read


def _checked(
    span: OtlpSpan,
    link: SpanLink,
    fields: dict[str, Any] | ValidationError | None,
    valid: Iterator[Record] | None,
    problems: list[str],
) -> tuple[SpanLink, Record | None]:
    """The span's link and valid record (the next of ``valid``, when the batch's records
    were all valid); an invalid record is named in ``problems`` and its span kept as
    structure."""
    try:
        if isinstance(fields, ValidationError):
            raise fields
        if fields is None:
            return link, None
        return link, next(valid) if valid is not None else Record(**fields)
    except ValidationError as exc:
        problems.append(f"span {span.span_id}: {describe_errors(exc.errors())}")
        return _structure_only(span), None


def _validate(fields: list[dict[str, Any]]) -> Iterator[Record] | None:
    """The records of ``fields``, validated in one call (as ``/v1/records`` validates its
    batch); None when any is invalid: each is then validated alone, which names its fault
    (and keeps text with a lone surrogate, as `Record` does)."""
    try:
        return iter(_RECORDS.validate_python(fields))
    except ValidationError:
        return None


def _add_human_part(
    links: list[SpanLink], records: dict[str, Record], link: SpanLink, part: Record
) -> None:
    """Add a question or answer; both in one export are one record, placed by the question."""
    seen = records.get(part.id)
    if seen is None:
        records[part.id] = part
    else:
        records[part.id] = merge_human(seen, part)
        if part.status is not Status.INTERRUPTED:
            return
        links[:] = [known for known in links if known.record_id != part.id]
    links.append(link)


def _human_parts(
    span: OtlpSpan, link: SpanLink, record: Record | None, problems: list[str]
) -> list[tuple[SpanLink, Record]]:
    """The questions to a human ``span`` asks or answers (`agenttrace.server.otlp.questions`)."""
    try:
        return human_parts(span, link, record)
    except ValidationError as exc:
        problems.append(f"span {span.span_id}: {describe_errors(exc.errors())}")
        return []


def _structure_only(span: OtlpSpan) -> SpanLink:
    return SpanLink(
        trace_id=span.trace_id, span_id=span.span_id, parent_span_id=span.parent_span_id
    )


def _without_record(link: SpanLink) -> SpanLink:
    return SpanLink(
        trace_id=link.trace_id,
        span_id=link.span_id,
        parent_span_id=link.parent_span_id,
        segment=link.segment,
        graph_node=link.graph_node,
        graph_namespace=link.graph_namespace,
        session_id=link.session_id,
    )


def _answer(rejected: int, problems: list[str], content_type: str) -> Response:
    message = ExportTraceServiceResponse()
    if rejected:
        shown = "; ".join(problems[:_SHOWN_REJECTIONS])
        more = rejected - _SHOWN_REJECTIONS
        if more > 0:
            shown += f"; and {more} more"
        message.partial_success.CopyFrom(
            ExportTracePartialSuccess(rejected_spans=rejected, error_message=shown)
        )
    if content_type.partition(";")[0].strip().lower() == _JSON:
        body: Any = json_format.MessageToJson(message, indent=None)
        return Response(content=body, media_type=_JSON)
    return Response(content=message.SerializeToString(), media_type=_PROTOBUF)


@router.post(
    "/v1/traces",
    summary="OTLP/HTTP trace ingest",
    description=(
        "An OTLP ExportTraceServiceRequest (application/x-protobuf or application/json, "
        "gzip accepted). LLM, tool and retriever spans become records (OpenTelemetry GenAI, "
        "OpenInference and OpenLLMetry conventions); agent, workflow, chain and task spans "
        "give their paths. Answers an ExportTraceServiceResponse whose partial_success "
        "names refused spans. Malformed body: 400; other content type: 415; too large: 413; "
        "more spans than the key's rate limit holds now: 429 with Retry-After."
    ),
    response_class=Response,
    responses={
        200: {
            "description": "ExportTraceServiceResponse",
            "content": {_PROTOBUF: {}, _JSON: {}},
        },
        400: {"description": "Not an OTLP export request"},
        413: {"description": "Body or span count over the limit"},
        415: {"description": "Not protobuf or JSON"},
        429: {"description": "Over the key's rate limit (one token per span)"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {_PROTOBUF: {}, _JSON: {"schema": {"type": "object"}}},
        }
    },
)
async def ingest_traces(request: Request, grant: IngestGrantDep) -> Response:
    """Store the spans; answer in the request's encoding."""
    body = await read_body(request, also=(_PROTOBUF,))  # needs a preflight, as JSON does
    content_type = request.headers.get("content-type", "")
    options: CollectorOptions = request.app.state.options
    access: Access = request.app.state.access
    ingest: FairIngest = request.app.state.ingest
    project_id = grant.project_id
    async with ingest.parsing(project_id):
        try:
            batch = await run_in_threadpool(read_export, body, content_type, options.limits)
        except HTTPException:
            access.charge(grant, 1, refuse=False)  # a request costs one token at least
            raise
    access.charge(grant, batch.spans, unit="spans")
    store = ingest.store
    write = partial(store.ingest_spans, project_id, batch.links, batch.records, resolve_place)
    await ingest.in_turn(project_id, write)
    return _answer(len(batch.problems), batch.problems, content_type)
