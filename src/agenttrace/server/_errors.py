"""Every error the collector sends is one sentence saying what was wrong and what to do.

Endpoints answer ``{"error": "..."}``, except those under the path prefixes of an
`ErrorEnvelope` registered with `add_error_envelope` (an adapter for another API registers
that API's error body for its own paths).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from agenttrace.exceptions import UserError
from agenttrace.server._web_headers import NOSNIFF
from agenttrace.server.store.base import (
    MAX_OFFSET,
    MAX_PAGE_SIZE,
    InvalidQueryError,
    StoreUnavailableError,
)

__all__ = [
    "ERROR_SCHEMA",
    "ErrorEnvelope",
    "add_error_envelope",
    "describe_errors",
    "error_envelope",
    "error_response",
    "install_error_handlers",
]

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "string", "description": "What was wrong, what to do."}},
}
"""The OpenAPI schema of the native error body."""


@dataclass(frozen=True, slots=True)
class ErrorEnvelope:
    """Another error body for the paths under ``prefixes``: ``body(message)``, documented
    in OpenAPI as ``schema_name`` (``schema``)."""

    prefixes: tuple[str, ...]
    body: Callable[[str], dict[str, Any]]
    schema_name: str
    schema: dict[str, Any]


def add_error_envelope(app: FastAPI, envelope: ErrorEnvelope) -> None:
    """Answer errors under ``envelope.prefixes`` of ``app`` with ``envelope.body``."""
    envelopes: tuple[ErrorEnvelope, ...] = getattr(app.state, "error_envelopes", ())
    app.state.error_envelopes = (*envelopes, envelope)


def error_envelope(app: Any, path: str) -> ErrorEnvelope | None:
    """The envelope registered on ``app`` for ``path``; None for the native body."""
    state = getattr(app, "state", None)
    envelopes: tuple[ErrorEnvelope, ...] = getattr(state, "error_envelopes", ())
    for envelope in envelopes:
        if path.startswith(envelope.prefixes):
            return envelope
    return None


_TIME = "an ISO-8601 date-time such as 2025-05-01T12:00:00Z, a date, or an age such as 24h"
PARAMETER_FORMS: dict[str, str] = {
    "limit": f"a whole number from 1 to {MAX_PAGE_SIZE}",
    "offset": f"a whole number of at least 0 (and at most {MAX_OFFSET})",
    "since": _TIME,
    "until": _TIME,
    "min_cost": "a number of USD such as 0.25",
    "max_cost": "a number of USD such as 0.25",
    "include_bodies": "true or false",
    "property": "key=value (repeat the parameter for several)",
}


def error_response(request: Request, status_code: int, message: str) -> JSONResponse:
    """The error body for ``request``'s endpoint family (`add_error_envelope`)."""
    envelope = error_envelope(request.scope.get("app"), request.url.path)
    body = envelope.body(message) if envelope is not None else {"error": message}
    return JSONResponse(body, status_code=status_code)


def _location(loc: Sequence[int | str]) -> str:
    return ".".join(str(part) for part in loc) if loc else "value"


def describe_errors(errors: Sequence[Any]) -> str:
    """pydantic errors as ``field: message; field: message``."""
    return "; ".join(
        f"{_location(error.get('loc', ()))}: {error.get('msg', 'invalid')}" for error in errors
    )


def _validation_message(exc: RequestValidationError) -> tuple[int, str]:
    errors = list(exc.errors())
    parameters = [e for e in errors if e.get("loc", ("",))[0] in {"query", "path", "header"}]
    if parameters:
        parts = []
        for error in parameters:
            where, *rest = error["loc"]
            name = _location(rest)
            message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
            part = f"{where} parameter {name!r}: {message}"
            form = PARAMETER_FORMS.get(str(rest[0]) if rest else "")
            if form:
                part += f"; expected {form}"
            parts.append(part)
        return 400, "; ".join(parts)
    if any(e.get("type") == "json_invalid" for e in errors):
        return 400, "the body is not valid JSON; send a JSON document encoded as UTF-8"
    body_errors = [
        {**e, "loc": tuple(e.get("loc", ()))[1:]} if e.get("loc", ("",))[0] == "body" else e
        for e in errors
    ]
    return 422, f"the body does not have the expected shape: {describe_errors(body_errors)}"


async def _on_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    status, message = _validation_message(exc)
    return error_response(request, status, message)


async def _on_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    message = str(exc.detail)
    if exc.status_code == 404 and message == "Not Found":
        message = f"there is no endpoint {request.url.path}; see /openapi.json for the API"
    elif exc.status_code == 405:
        message = (
            f"{request.method} is not allowed on {request.url.path}; see /openapi.json for the "
            "methods it accepts"
        )
    response = error_response(request, exc.status_code, message)
    if exc.headers:
        response.headers.update(exc.headers)
    if exc.status_code == 405:
        response.headers["Allow"] = _allowed_methods(request, response.headers.get("Allow"))
    return response


def _allowed_methods(request: Request, given: str | None) -> str:
    """The methods Starlette named (those of the first route on the path) and every other
    method the OpenAPI document has on it (a path may have one route per method)."""
    methods = {item.strip() for item in (given or "").split(",") if item.strip()}
    paths: dict[str, Any] = request.app.openapi().get("paths", {})
    path = request.url.path
    if path in paths:  # a fixed path wins over templates it also fits
        methods.update(method.upper() for method in paths[path])
        return ", ".join(sorted(methods))
    for template, operations in paths.items():
        pattern = re.sub(r"\\\{[^}]*\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, path):
            methods.update(method.upper() for method in operations)
    return ", ".join(sorted(methods))


async def _on_invalid_query(request: Request, exc: Exception) -> JSONResponse:
    return error_response(request, 400, str(exc))


async def _on_user_error(request: Request, exc: Exception) -> JSONResponse:
    return error_response(request, 503, f"the collector cannot serve this request: {exc}")


async def _on_store_unavailable(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StoreUnavailableError)
    response = error_response(request, 503, str(exc))
    response.headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after)))
    return response


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    # Starlette logs the exception (with its traceback) after this answer is sent. It is
    # sent outside every middleware, so it gets nosniff here (`_web_guard` adds it to others).
    response = error_response(
        request,
        500,
        f"the collector failed on {request.method} {request.url.path} "
        f"({type(exc).__name__}); see the collector's log, and retry",
    )
    response.headers.append(*NOSNIFF)
    return response


def install_error_handlers(app: FastAPI) -> None:
    """Make every error answer of ``app`` a one-sentence error body."""
    app.add_exception_handler(Exception, _on_unexpected)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(InvalidQueryError, _on_invalid_query)
    app.add_exception_handler(UserError, _on_user_error)
    app.add_exception_handler(StoreUnavailableError, _on_store_unavailable)
