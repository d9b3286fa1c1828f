"""The LangChain / LangGraph callback handlers, from the ``agenttrace-langchain`` package.

>>> from agenttrace.langchain import CallbackHandler  # doctest: +SKIP
>>> graph.invoke(inputs, config={"callbacks": [CallbackHandler()]})  # doctest: +SKIP

Install them with ``pip install "agenttrace[langchain]"``.
"""

from __future__ import annotations

try:
    from agenttrace_langchain import AsyncCallbackHandler, CallbackHandler
except ImportError as exc:  # pragma: no cover - exercised by a subprocess test
    missing = getattr(exc, "name", None) or "agenttrace_langchain"
    msg = (
        f"agenttrace.langchain needs the LangChain integration, but {missing!r} could not be "
        'imported; install it with: pip install "agenttrace[langchain]"'
    )
    raise ImportError(msg, name=missing) from exc

__all__ = ["AsyncCallbackHandler", "CallbackHandler"]
