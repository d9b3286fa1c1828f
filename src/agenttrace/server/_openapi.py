"""The collector's OpenAPI document: FastAPI's, made to say what the collector really sends.

FastAPI documents a 422 ``HTTPValidationError`` for every parameterised route; the
collector answers every error with one sentence (`agenttrace.server._errors`): 400 for a
bad parameter or malformed JSON, 422 for a body of the wrong shape, 401 / 429 from the API
key check, 413 / 415 for a body too large or not declared as JSON (or wrongly encoded),
421 for a host name the collector does not serve, 503 when the store is down.
This module documents exactly those, with the native ``{"error"}`` body or the envelope
registered for the path (`agenttrace.server._errors.add_error_envelope`), and adds the
``RecordBatch`` schemas that ``POST /v1/records`` reads (it validates records one by one,
so FastAPI does not see them).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from agenttrace.records import RecordBatch
from agenttrace.server._errors import ERROR_SCHEMA, error_envelope
from agenttrace.server.dependencies import get_project_id

__all__ = ["collector_openapi"]

_RETRY_AFTER = {
    "Retry-After": {"description": "Seconds to wait before retrying.", "schema": {"type": "string"}}
}
_Responses = dict[str, tuple[str, dict[str, Any]]]
_ALWAYS: _Responses = {
    "421": ("The Host header names a host the collector does not serve (DNS rebinding)", {}),
    "503": ("The store cannot be reached right now; retry after Retry-After", _RETRY_AFTER),
}
_KEYED: _Responses = {
    "401": ("No valid API key (missing, unknown or revoked) while keys are configured", {}),
    "429": ("The API key is over its rate limit; retry after Retry-After", _RETRY_AFTER),
}
_PARAMETERS: _Responses = {"400": ("A query or path parameter is not of the expected form", {})}
_BODY: _Responses = {
    "400": ("The body is not JSON, or a value in it is not acceptable", {}),
    "413": ("The body is larger than the limit (or a batch has too many records)", {}),
    "415": (
        "The body is not declared as JSON (Content-Type), or its Content-Encoding is other "
        "than identity or gzip",
        {},
    ),
    "422": ("The body does not have the expected shape", {}),
}


def _needs_key(dependant: Dependant) -> bool:
    return any(
        dependency.call is get_project_id or _needs_key(dependency)
        for dependency in dependant.dependencies
    )


def _document(operation: dict[str, Any], reference: str, route: APIRoute | None) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    extra = dict(_ALWAYS)
    if route is not None and _needs_key(route.dependant):
        extra.update(_KEYED)
    if operation.get("parameters"):
        extra.update(_PARAMETERS)
    if "requestBody" in operation:
        extra.update(_BODY)
    for status, (description, headers) in extra.items():
        entry = responses.setdefault(status, {"description": description})
        if headers:
            entry.setdefault("headers", headers)
    for status, entry in responses.items():
        if status.startswith(("4", "5")):
            entry["content"] = {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{reference}"}}
            }


def collector_openapi(app: FastAPI) -> dict[str, Any]:
    """The app's OpenAPI document (built once, then cached on the app)."""
    if app.openapi_schema is not None:
        return app.openapi_schema
    spec = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    batch = RecordBatch.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(batch.pop("$defs", {}))
    batch["additionalProperties"] = False  # the endpoint refuses other keys (422)
    # The batch is taken whatever its items are: each one that is not a valid Record is
    # reported in the answer's `rejected` (200), the valid ones stored.
    batch["properties"]["records"]["items"] = {
        "anyOf": [{"$ref": "#/components/schemas/Record"}, {}],
        "description": "A Record; any other item is reported in the answer's `rejected`.",
    }
    schemas["RecordBatch"] = batch
    from agenttrace.server.helicone.body_schemas import SCHEMAS as HELICONE_SCHEMAS

    schemas.update(HELICONE_SCHEMAS)
    schemas["Error"] = ERROR_SCHEMA
    for envelope in getattr(app.state, "error_envelopes", ()):
        schemas[envelope.schema_name] = envelope.schema
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    routes = {
        (route.path_format, method.lower()): route
        for route in app.routes
        if isinstance(route, APIRoute)
        for method in route.methods or ()
    }
    for path, operations in spec.get("paths", {}).items():
        for method, operation in operations.items():
            envelope = error_envelope(app, path)
            reference = envelope.schema_name if envelope is not None else "Error"
            _document(operation, reference, routes.get((path, method)))
    app.openapi_schema = spec
    return spec
