"""Drive a handler's callbacks by hand, with explicit run ids (as LangChain would)."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.outputs import ChatGeneration, LLMResult

from agenttrace_langchain import CallbackHandler

USAGE = {"input_tokens": 7, "output_tokens": 3, "total_tokens": 10}


def node_metadata(node: str, namespace: str, **extra: Any) -> dict[str, Any]:
    """The metadata LangGraph gives runs inside a node."""
    return {"langgraph_node": node, "langgraph_checkpoint_ns": namespace, **extra}


class Driver:
    """Calls ``on_*`` methods the way LangChain's callback manager does."""

    def __init__(self, handler: CallbackHandler | None = None) -> None:
        self.handler = handler or CallbackHandler()

    def chain(
        self,
        parent: UUID | None,
        name: str,
        metadata: dict[str, Any] | None = None,
        tags: list[str] | None = None,
    ) -> UUID:
        """Start a chain run; returns its run id."""
        run_id = uuid4()
        self.handler.on_chain_start(
            None,
            {},
            run_id=run_id,
            parent_run_id=parent,
            tags=tags or [],
            metadata=metadata or {},
            name=name,
        )
        return run_id

    def node(self, parent: UUID, node: str, namespace: str, **extra: Any) -> UUID:
        """Start a LangGraph node run."""
        return self.chain(parent, node, node_metadata(node, namespace, **extra))

    def end(self, run_id: UUID) -> None:
        """End a chain run normally."""
        self.handler.on_chain_end({}, run_id=run_id)

    def fail(self, run_id: UUID, error: BaseException) -> None:
        """End a chain run with an exception."""
        self.handler.on_chain_error(error, run_id=run_id)

    def llm(
        self,
        parent: UUID | None,
        metadata: dict[str, Any] | None = None,
        message: AIMessage | None = None,
        llm_output: dict[str, Any] | None = None,
    ) -> UUID:
        """A whole chat-model run (start and end)."""
        run_id = self.llm_start(parent, metadata)
        reply = message if message is not None else AIMessage(content="ok", usage_metadata=USAGE)  # type: ignore[arg-type]
        result = LLMResult(generations=[[ChatGeneration(message=reply)]], llm_output=llm_output)
        self.handler.on_llm_end(result, run_id=run_id, parent_run_id=parent)
        return run_id

    def llm_start(self, parent: UUID | None, metadata: dict[str, Any] | None = None) -> UUID:
        """Start a chat-model run."""
        run_id = uuid4()
        self.handler.on_chat_model_start(
            {"name": "FakeChat"},
            [[HumanMessage(content="hi")]],
            run_id=run_id,
            parent_run_id=parent,
            metadata={"ls_model_name": "gpt-4o-mini", "ls_provider": "openai", **(metadata or {})},
            invocation_params={"model": "gpt-4o-mini", "_type": "fake"},
        )
        return run_id

    def tool_start(
        self, parent: UUID | None, name: str, metadata: dict[str, Any] | None = None
    ) -> UUID:
        """Start a tool run (LangChain passes the name in ``serialized``, not ``name``)."""
        run_id = uuid4()
        self.handler.on_tool_start(
            {"name": name, "description": "d"},
            "{'query': 'x'}",
            run_id=run_id,
            parent_run_id=parent,
            metadata=metadata or {},
            inputs={"query": "x"},
            name=None,
        )
        return run_id

    def tool(
        self,
        parent: UUID | None,
        name: str,
        output: Any = "found",
        metadata: dict[str, Any] | None = None,
    ) -> UUID:
        """A whole tool run."""
        run_id = self.tool_start(parent, name, metadata)
        self.handler.on_tool_end(output, run_id=run_id, parent_run_id=parent)
        return run_id
