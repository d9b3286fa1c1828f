"""`CallbackHandler`: the synchronous LangChain / LangGraph callback handler.

Pass it in the run config (``graph.invoke(x, config={"callbacks": [handler]})``); it works
for ``invoke``, ``stream``, ``ainvoke``, ``astream`` and ``astream_events`` alike (it runs
inline, never blocks and never awaits). One instance serves any number of sequential or
concurrent runs.
"""

from __future__ import annotations

from agenttrace_langchain.base import HandlerBase
from agenttrace_langchain.lifecycle import GraphBase

__all__ = ["CallbackHandler"]


class CallbackHandler(HandlerBase, GraphBase):
    """Traces LangChain / LangGraph runs into agenttrace sessions with automatic paths.

    ``CallbackHandler(session_id=None, *, session_name=None, properties=None,
    user_id=None, path_prefix=None, include_root_name=False)``; see `HandlerBase` for what
    each does. Thread-safe: callbacks may arrive from ToolNode worker threads and from many asyncio
    tasks at once.
    """

    # `HandlerBase`'s guarded callbacks themselves: LangChain calls them with nothing between.
    on_chain_start = HandlerBase._on_chain_start
    on_chain_end = HandlerBase._on_chain_end
    on_chain_error = HandlerBase._on_chain_error
    on_chat_model_start = HandlerBase._on_chat_model_start
    on_llm_start = HandlerBase._on_llm_start
    on_llm_new_token = HandlerBase._on_llm_new_token
    on_llm_end = HandlerBase._on_llm_end
    on_llm_error = HandlerBase._on_llm_error
    on_tool_start = HandlerBase._on_tool_start
    on_tool_end = HandlerBase._on_tool_end
    on_tool_error = HandlerBase._on_tool_error
    on_retriever_start = HandlerBase._on_retriever_start
    on_retriever_end = HandlerBase._on_retriever_end
    on_retriever_error = HandlerBase._on_retriever_error
    on_interrupt = HandlerBase._on_interrupt
    on_resume = HandlerBase._on_resume
