"""Run names as LangChain gives them: the ``name`` kwarg or the ``serialized`` dict."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["chain_name", "model_name", "retriever_name", "tool_name"]


def _serialized_name(serialized: Mapping[str, Any] | None) -> str | None:
    if not serialized:
        return None
    name = serialized.get("name")
    if isinstance(name, str) and name:
        return name
    ids = serialized.get("id")
    if isinstance(ids, list) and ids and isinstance(ids[-1], str):
        return ids[-1]
    return None


def chain_name(serialized: Mapping[str, Any] | None, kwargs: Mapping[str, Any]) -> str | None:
    """A chain's run name (``name`` kwarg first; langchain-core 1.x passes no serialized)."""
    name = kwargs.get("name")
    return name if isinstance(name, str) and name else _serialized_name(serialized)


def model_name(serialized: Mapping[str, Any] | None, kwargs: Mapping[str, Any]) -> str:
    """A chat model's or LLM's run name, such as ``ChatOpenAI``."""
    return chain_name(serialized, kwargs) or "llm"


def tool_name(serialized: Mapping[str, Any] | None, kwargs: Mapping[str, Any]) -> str:
    """A tool's name: ``serialized["name"]`` (the ``name`` kwarg is None for tools)."""
    name = _serialized_name(serialized) or kwargs.get("name")
    return name if isinstance(name, str) and name else "tool"


def retriever_name(serialized: Mapping[str, Any] | None, kwargs: Mapping[str, Any]) -> str:
    """A retriever's run name."""
    return chain_name(serialized, kwargs) or "retriever"
