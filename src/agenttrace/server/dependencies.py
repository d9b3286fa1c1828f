"""FastAPI dependencies every router of the collector uses (native and Helicone-shaped).

>>> @router.get("/v1/thing")
... def thing(store: StoreDep, project_id: ProjectDep) -> ...:
...     return store.query_sessions(project_id, SessionQuery())

``read_body`` reads a JSON request body within the configured size limit (413 beyond it),
inflating ``Content-Encoding: gzip``; a body not declared as JSON gets 415
(`require_json_body`). ``ProjectDep`` resolves the request's API key to its
project (`agenttrace.server._access`): 401 without a valid key once keys exist, 429 over
the key's rate limit (one token per request); ``IngestGrantDep`` does the same for an
ingest batch, which is charged per record once parsed (`Access.charge`).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from agenttrace.server._access import Access, Grant
from agenttrace.server._limits import DEFAULT_MAX_BODY_BYTES, Limits
from agenttrace.server.store.base import DEFAULT_PROJECT, Store

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "CollectorOptions",
    "IngestGrantDep",
    "ProjectDep",
    "StoreDep",
    "get_ingest_grant",
    "get_options",
    "get_project_id",
    "get_store",
    "is_json_media_type",
    "read_body",
    "require_json_body",
]


@dataclass(frozen=True, slots=True)
class CollectorOptions:
    """How `agenttrace.server.create_app` was configured."""

    limits: Limits = field(default_factory=Limits)
    project_id: str = DEFAULT_PROJECT
    """The project of requests while the collector runs open (no API key exists)."""

    @property
    def max_body_bytes(self) -> int:
        """The largest request body accepted (413 beyond)."""
        return self.limits.max_body_bytes


async def get_store(request: Request) -> Store:
    """The app's store."""
    store: Store = request.app.state.store
    return store


async def get_options(request: Request) -> CollectorOptions:
    """The app's options."""
    options: CollectorOptions = request.app.state.options
    return options


def get_project_id(request: Request) -> str:
    """The project the request acts on: its API key's, or the open project while no key
    exists. Raises 401 / 429 (a sync dependency: the key lookup may block on the store)."""
    access: Access = request.app.state.access
    grant = access.grant(request.headers)
    request.state.grant = grant
    return grant.project_id


def get_ingest_grant(request: Request) -> Grant:
    """`get_project_id` for an ingest batch: the grant, admitted while the key's bucket
    holds a token but not charged yet (the batch's records are, once it is parsed)."""
    access: Access = request.app.state.access
    grant = access.grant(request.headers, charge=False)
    request.state.grant = grant
    return grant


StoreDep = Annotated[Store, Depends(get_store)]
ProjectDep = Annotated[str, Depends(get_project_id)]
IngestGrantDep = Annotated[Grant, Depends(get_ingest_grant)]


def _too_large(limit: int) -> HTTPException:
    return HTTPException(
        status_code=413,
        detail=(
            f"the body is larger than the collector's limit of {limit} bytes; send smaller "
            "batches or start the collector with a larger max_body_bytes"
        ),
    )


def is_json_media_type(content_type: str | None) -> bool:
    """Whether a ``Content-Type`` value declares JSON: ``application/json`` or an
    ``application/...+json`` type, with any parameters (``; charset=utf-8``)."""
    if content_type is None:
        return False
    media_type = content_type.partition(";")[0].strip().lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


def require_json_body(request: Request, also: tuple[str, ...] = ()) -> None:
    """HTTPException 415 unless the request declares a JSON body (or one of the media types
    ``also`` names, which must not be one a web page may send without a preflight).

    A web page may send another site a "simple" POST (``text/plain``, a form, or no type at
    all) without the browser asking that site first; a JSON content type needs the
    browser's permission (a CORS preflight, which the collector never grants). So refusing
    every other type keeps web pages from writing to a collector that runs without keys.
    """
    content_type = request.headers.get("content-type")
    if is_json_media_type(content_type):
        return
    if content_type is not None and content_type.partition(";")[0].strip().lower() in also:
        return
    got = f"Content-Type {content_type!r}" if content_type is not None else "no Content-Type"
    accepted = " or ".join(("application/json", *also))
    raise HTTPException(
        status_code=415,
        detail=(
            f"the body must be sent with Content-Type: {accepted}; got {got} "
            "(other types are refused so that web pages cannot post to the collector)"
        ),
    )


async def read_body(request: Request, *, also: tuple[str, ...] = ()) -> bytes:
    """The request body, at most the configured ``max_body_bytes`` (after gzip inflation);
    415 unless it is declared as JSON or one of ``also`` (`require_json_body`)."""
    require_json_body(request, also)
    limit = (await get_options(request)).max_body_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    body = b"".join(chunks)
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding in {"", "identity"}:
        return body
    if encoding != "gzip":
        raise HTTPException(
            status_code=415,
            detail=f"Content-Encoding {encoding!r} is not supported; send identity or gzip",
        )
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        inflated = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise HTTPException(
            status_code=400, detail=f"the body is not valid gzip ({exc}); send it gzipped or plain"
        ) from exc
    if len(inflated) > limit or inflater.unconsumed_tail:
        raise _too_large(limit)
    return inflated
