"""Request and response bodies as JSON-ready values (only built when bodies are sent).

Messages become OpenAI-style dicts (``role``, ``content``, ``tool_calls``, ...); content
that is a list of blocks stays a list of blocks. Anything unknown becomes its ``repr``.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from langchain_core.messages import AIMessage, BaseMessage, ChatMessage, ToolMessage

__all__ = [
    "documents_payload",
    "jsonable",
    "message_payload",
    "messages_payload",
    "tool_output_payload",
]

_MAX_DEPTH = 24
_ROLES = {"human": "user", "ai": "assistant", "system": "system", "tool": "tool"}
_SCALARS = (str, int, float, bool, type(None))


def jsonable(value: Any, depth: int = 0) -> Any:
    """``value`` made of dicts, lists, strings, numbers, booleans and None."""
    if isinstance(value, _SCALARS):
        return value
    if depth >= _MAX_DEPTH:
        return repr(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v, depth + 1) for v in value]
    if _is_message(value):
        return message_payload(value, depth)
    return _object(value, depth)


def _object(value: Any, depth: int) -> Any:  # noqa: PLR0911 - one return per known type
    if isinstance(value, enum.Enum):
        return jsonable(value.value, depth + 1)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        try:
            return jsonable(dump(), depth + 1)
        except Exception:  # noqa: BLE001 - fall back to repr for odd models
            return repr(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: getattr(value, f.name, None) for f in dataclasses.fields(value)}
        return jsonable(fields, depth + 1)
    return repr(value)


def _is_message(value: Any) -> bool:
    return isinstance(value, BaseMessage)


def message_payload(message: BaseMessage, depth: int = 0) -> dict[str, Any]:
    """One LangChain message as ``{"role", "content", ...}``.

    Only attributes that the message's class declares are read: asking a pydantic model
    for a missing attribute is slow, and this runs for every message of every call.
    """
    kind = message.type
    content = message.content
    payload: dict[str, Any] = {
        "role": _ROLES.get(kind, kind),
        "content": content if isinstance(content, str) else jsonable(content, depth + 1),
    }
    if message.name:
        payload["name"] = message.name
    if isinstance(message, AIMessage):
        if message.tool_calls:
            payload["tool_calls"] = [
                {"id": call.get("id"), "name": call.get("name"), "args": jsonable(call["args"])}
                for call in message.tool_calls
            ]
        if message.invalid_tool_calls:
            payload["invalid_tool_calls"] = jsonable(message.invalid_tool_calls, depth + 1)
    elif isinstance(message, ToolMessage):
        payload["tool_call_id"] = message.tool_call_id
        if message.status:
            payload["status"] = message.status
    elif isinstance(message, ChatMessage):
        payload["role"] = message.role
    return payload


def messages_payload(messages: Sequence[Sequence[BaseMessage]]) -> list[Any]:
    """The messages of a chat model run (one conversation, or several when batched)."""
    if len(messages) == 1:
        return [message_payload(m) for m in messages[0]]
    return [[message_payload(m) for m in conversation] for conversation in messages]


def documents_payload(documents: Sequence[Any]) -> list[dict[str, Any]]:
    """Retrieved documents as ``{"page_content", "metadata", "id"}``."""
    payload = []
    for document in documents:
        item: dict[str, Any] = {
            "page_content": getattr(document, "page_content", None),
            "metadata": jsonable(getattr(document, "metadata", None) or {}),
        }
        doc_id = getattr(document, "id", None)
        if doc_id is not None:
            item["id"] = str(doc_id)
        payload.append(item)
    return payload


def tool_output_payload(output: Any) -> Any:
    """A tool's output: a ``ToolMessage`` shows content, status and artifact."""
    if isinstance(output, ToolMessage):
        payload = {"content": jsonable(output.content), "status": output.status}
        artifact = output.artifact
        if artifact is not None:
            payload["artifact"] = jsonable(artifact)
        return payload
    if type(output).__name__ == "Command":
        return {
            "command": {
                "graph": getattr(output, "graph", None),
                "goto": jsonable(getattr(output, "goto", None)),
                "update": jsonable(getattr(output, "update", None)),
            }
        }
    return jsonable(output)
