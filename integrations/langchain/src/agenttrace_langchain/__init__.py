"""LangChain / LangGraph callback handlers for agenttrace, with automatic session paths.

>>> from agenttrace_langchain import CallbackHandler      # doctest: +SKIP
>>> graph.invoke(inputs, config={"callbacks": [CallbackHandler()]})  # doctest: +SKIP

Every chat-model / LLM call becomes an ``llm`` record, every tool call a ``tool`` record and
every retriever call a ``vector_db`` record, each with the session path of the graph nodes
and tools it ran in (``/researcher/tools/search``). The path rules are LangGraph's node rule
(`agenttrace.instrumentation.node_segment`) applied along the run tree in
`agenttrace_langchain.core`, which also says when a node gets a record of its own;
`agenttrace_langchain.session` says how the session is chosen.

The integration uses only ``agenttrace.instrumentation`` (agenttrace's door for
integrations) and needs agenttrace 0.4 or newer.

Run metadata understood (``config={"metadata": {...}}``): ``agenttrace_session_id``,
``agenttrace_session_name``, ``agenttrace_user_id`` and ``agenttrace_properties`` (a dict of
str to str), besides LangGraph's ``thread_id``.
"""

from __future__ import annotations

import agenttrace_langchain._door  # noqa: F401 - first: says which agenttrace is needed
from agenttrace_langchain.async_handler import AsyncCallbackHandler
from agenttrace_langchain.handler import CallbackHandler
from agenttrace_langchain.session import (
    METADATA_PROPERTIES,
    METADATA_SESSION_ID,
    METADATA_SESSION_NAME,
    METADATA_USER_ID,
)

__version__ = "0.3.1"

__all__ = [
    "METADATA_PROPERTIES",
    "METADATA_SESSION_ID",
    "METADATA_SESSION_NAME",
    "METADATA_USER_ID",
    "AsyncCallbackHandler",
    "CallbackHandler",
    "__version__",
]
