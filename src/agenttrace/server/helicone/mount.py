"""Add the Helicone-shaped endpoints to a collector app, with Helicone's error envelope.

Every error under Helicone's path prefixes (including those FastAPI or the API-key check
raise before a route runs) is answered as Helicone answers: ``{"data": null, "error":
"..."}``.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from agenttrace.server._errors import ErrorEnvelope, add_error_envelope
from agenttrace.server.helicone.routes import router

__all__ = ["HELICONE_ENVELOPE", "HELICONE_PATH_PREFIXES", "mount_helicone"]

HELICONE_PATH_PREFIXES = (
    "/custom/",
    "/oai/",
    "/anthropic/",
    "/googleapis/",
    "/v1/trace/",
    "/v1/session/",
    "/v1/request/",
)


def _body(message: str) -> dict[str, Any]:
    return {"data": None, "error": message}


HELICONE_ENVELOPE = ErrorEnvelope(
    prefixes=HELICONE_PATH_PREFIXES,
    body=_body,
    schema_name="HeliconeError",
    schema={
        "type": "object",
        "required": ["data", "error"],
        "properties": {
            "data": {"type": "null"},
            "error": {"type": "string", "description": "What was wrong, what to do."},
        },
    },
)


def mount_helicone(app: FastAPI) -> None:
    """Include the Helicone routes in ``app`` and answer their errors in Helicone's shape."""
    app.include_router(router)
    add_error_envelope(app, HELICONE_ENVELOPE)
