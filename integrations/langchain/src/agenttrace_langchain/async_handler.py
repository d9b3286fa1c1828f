"""`AsyncCallbackHandler`: the same handler with ``async`` callback methods.

For code that wants an ``AsyncCallbackHandler`` (some frameworks require one). The methods
never await anything: records are queued for the background shipper. In synchronous runs
LangChain has to start an event loop for every callback of an async handler, so prefer
`CallbackHandler` there (it is just as safe under asyncio).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from langchain_core.callbacks import AsyncCallbackHandler as LangChainAsyncHandler

from agenttrace_langchain.base import HandlerBase
from agenttrace_langchain.lifecycle import GraphBase

__all__ = ["AsyncCallbackHandler"]

_Callback = Callable[..., None]


def _coroutine(callback: _Callback) -> Callable[..., Coroutine[Any, Any, None]]:
    """``callback`` (one of `HandlerBase`'s guarded callbacks) as a coroutine method with
    the same arguments, name and docstring: LangChain awaits an async handler's callbacks."""

    async def run(self: HandlerBase, *args: Any, **kwargs: Any) -> None:
        callback(self, *args, **kwargs)

    run.__name__ = run.__qualname__ = callback.__name__.removeprefix("_")
    run.__doc__ = callback.__doc__
    return run


class AsyncCallbackHandler(HandlerBase, LangChainAsyncHandler, GraphBase):
    """Async twin of `CallbackHandler`: same arguments, same records, same paths.

    ``AsyncCallbackHandler(session_id=None, *, session_name=None,
    properties=None, user_id=None, path_prefix=None, include_root_name=False)``. Each
    callback is a coroutine that runs the synchronous one of `CallbackHandler` (it awaits
    nothing).
    """

    on_chain_start = _coroutine(HandlerBase._on_chain_start)
    on_chain_end = _coroutine(HandlerBase._on_chain_end)
    on_chain_error = _coroutine(HandlerBase._on_chain_error)
    on_chat_model_start = _coroutine(HandlerBase._on_chat_model_start)
    on_llm_start = _coroutine(HandlerBase._on_llm_start)
    on_llm_new_token = _coroutine(HandlerBase._on_llm_new_token)
    on_llm_end = _coroutine(HandlerBase._on_llm_end)
    on_llm_error = _coroutine(HandlerBase._on_llm_error)
    on_tool_start = _coroutine(HandlerBase._on_tool_start)
    on_tool_end = _coroutine(HandlerBase._on_tool_end)
    on_tool_error = _coroutine(HandlerBase._on_tool_error)
    on_retriever_start = _coroutine(HandlerBase._on_retriever_start)
    on_retriever_end = _coroutine(HandlerBase._on_retriever_end)
    on_retriever_error = _coroutine(HandlerBase._on_retriever_error)
    on_interrupt = _coroutine(HandlerBase._on_interrupt)
    on_resume = _coroutine(HandlerBase._on_resume)
