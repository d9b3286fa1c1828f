"""An offline chat model for testing traced graphs: tool calls, usage and streaming.

LangChain's own fakes have no ``bind_tools`` and report no usage, so ReAct agents cannot
run on them and token accounting cannot be checked. `FakeChatModel` can:

>>> model = FakeChatModel(respond=lambda messages: "hello")
>>> model.invoke("hi").usage_metadata["total_tokens"]
15
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, PrivateAttr

__all__ = ["FakeChatModel", "Reply", "tool_call"]

Reply = str | AIMessage | BaseException
"""One scripted answer: text, a full message, or an exception to raise."""

DEFAULT_USAGE: dict[str, Any] = {"input_tokens": 10, "output_tokens": 5, "total_tokens": 15}


def tool_call(
    name: str, args: dict[str, Any] | None = None, call_id: str | None = None
) -> AIMessage:
    """An assistant message asking for one tool call."""
    return AIMessage(
        content="",
        tool_calls=[{"name": name, "args": args or {}, "id": call_id or f"call_{name}"}],
    )


class FakeChatModel(BaseChatModel):
    """A chat model that answers from a script or a function, without any network.

    * ``responses``: answers used in order (the last one repeats once they run out);
    * ``respond``: or a function of the messages (stateless, so safe for concurrent runs);
    * ``usage``: ``usage_metadata`` put on every answer that has none (None: no usage);
    * ``model`` / ``provider``: reported as ``ls_model_name`` / ``ls_provider``;
      ``served_model`` as ``response_metadata["model_name"]`` (defaults to ``model``).

    ``bind_tools`` returns the model itself. Streaming yields the text word by word, then
    one last chunk with the tool calls, the usage and the response metadata.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    responses: Sequence[Any] = ()
    """Each a `Reply`: text, an ``AIMessage``, or an exception to raise."""
    respond: Callable[[list[BaseMessage]], Reply] | None = None
    usage: dict[str, Any] | None = DEFAULT_USAGE
    model: str = "gpt-4o-mini"
    provider: str = "openai"
    served_model: str | None = None
    _position: int = PrivateAttr(default=0)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        return "agenttrace-fake-chat"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": self.model}

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> Any:
        params = super()._get_ls_params(stop=stop, **kwargs)
        params["ls_provider"] = self.provider
        params["ls_model_name"] = self.model
        return params

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> FakeChatModel:
        """Tools are ignored: the script decides which tool calls to make."""
        return self

    def _reply(self, messages: list[BaseMessage]) -> AIMessage:
        if self.respond is not None:
            reply = self.respond(messages)
        else:
            if not self.responses:
                msg = "FakeChatModel needs responses=[...] or respond=<function of messages>"
                raise ValueError(msg)
            with self._lock:
                index = min(self._position, len(self.responses) - 1)
                self._position += 1
            reply = self.responses[index]
        if isinstance(reply, BaseException):
            raise reply
        message = AIMessage(content=reply) if isinstance(reply, str) else reply
        update: dict[str, Any] = {
            "response_metadata": {
                "model_name": self.served_model or self.model,
                "finish_reason": "tool_calls" if message.tool_calls else "stop",
                **message.response_metadata,
            }
        }
        if message.usage_metadata is None and self.usage is not None:
            update["usage_metadata"] = dict(self.usage)
        return message.model_copy(update=update)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self._reply(messages))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        message = self._reply(messages)
        text = message.content if isinstance(message.content, str) else ""
        for token in re.findall(r"\S+\s*", text):
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=token, id=message.id))
            if run_manager is not None:
                run_manager.on_llm_new_token(token, chunk=chunk)
            yield chunk
        tool_chunks = [
            {"name": c["name"], "args": json.dumps(c["args"]), "id": c["id"], "index": i}
            for i, c in enumerate(message.tool_calls)
        ]
        last = AIMessageChunk(
            content="" if isinstance(message.content, str) else message.content,
            id=message.id,
            tool_call_chunks=tool_chunks,
            usage_metadata=message.usage_metadata,
            response_metadata=message.response_metadata,
        )
        yield ChatGenerationChunk(message=last)
