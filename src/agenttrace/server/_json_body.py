"""JSON bodies validated by a pydantic model: read within the collector's body limit,
declared in the OpenAPI document (sub-models inlined), errors as the collector's sentences.

A rule between fields that the document cannot state (a model validator) is a 400 naming
the rule; a field of the wrong shape is the usual 422.
"""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from agenttrace.server.dependencies import read_body
from agenttrace.server.store.base import InvalidQueryError

__all__ = ["body_schema", "json_body"]

M = TypeVar("M", bound=BaseModel)


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    """``node`` with its ``{"$ref": "#/$defs/X"}`` replaced by the definitions."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline(defs[ref.removeprefix("#/$defs/")], defs)
        return {key: _inline(value, defs) for key, value in node.items() if key != "$defs"}
    if isinstance(node, list):
        return [_inline(item, defs) for item in node]
    return node


def body_schema(model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` declaring ``model`` as the JSON body (its sub-models inlined)."""
    schema = model.model_json_schema()
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _inline(schema, schema.get("$defs", {}))}},
        }
    }


async def json_body(request: Request, model: type[M]) -> M:
    """The body as ``model``, read within the size limit (413) and declared as JSON (415);
    a body of another shape gets the collector's usual 400 / 422 sentence."""
    raw = await read_body(request)
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        errors = exc.errors()
        if all(not error["loc"] and error["type"] == "value_error" for error in errors):
            # a rule between fields, which the document cannot state: 400 with the rule
            message = "; ".join(_rule_text(error["msg"]) for error in errors)
            raise InvalidQueryError(message) from None
        located = [{**error, "loc": ("body", *error["loc"])} for error in errors]
        raise RequestValidationError(located) from None


def _rule_text(message: str) -> str:
    return message.removeprefix("Value error, ")
