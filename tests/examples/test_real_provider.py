"""The examples on a real provider client (langchain-openai) against a local fake OpenAI."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import react_agent
import supervisor
from _models import MODEL_VARIABLE
from langchain_core.messages import AIMessage, BaseMessage

from .fake_openai import SERVED_MODEL, USAGE, FakeOpenAI, Responder, fake_openai
from .helpers import Traced, summary
from .test_supervisor import EXPECTED as SUPERVISOR_PATHS


@dataclass
class OpenAIModel:
    """The local fake OpenAI the examples' models talk to during a test."""

    server: FakeOpenAI
    responders: list[Responder] = field(default_factory=list)

    def answer_with(self, responder: Responder) -> None:
        """Answer every request with ``responder`` from now on."""
        self.responders[:] = [responder]


@pytest.fixture
def openai_model(traced: Traced, monkeypatch: pytest.MonkeyPatch) -> Iterator[OpenAIModel]:
    """The examples set to openai:gpt-4o-mini, served by a local fake OpenAI."""
    responders: list[Responder] = []

    def respond(messages: list[BaseMessage], tools: list[str]) -> str | AIMessage:
        return responders[0](messages, tools)

    with fake_openai(respond) as server:
        monkeypatch.setenv(MODEL_VARIABLE, "openai:gpt-4o-mini")
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        yield OpenAIModel(server, responders)


def test_react_agent_on_chat_openai(traced: Traced, openai_model: OpenAIModel) -> None:
    """Paths are the same on ChatOpenAI; model, usage and name come from the real client."""
    openai_model.answer_with(lambda messages, tools: react_agent.script(messages))
    detail = traced.session(react_agent.run())
    assert [path for path, _, _ in summary(detail.requests)] == [
        "/agent",
        "/tools/search",
        "/agent",
        "/tools/calculator",
        "/agent",
    ]
    models = [r for r in detail.requests if r.kind.value == "llm"]
    assert {(r.name, r.model, r.provider) for r in models} == {
        ("ChatOpenAI", SERVED_MODEL, "openai")
    }
    assert {(r.input_tokens, r.output_tokens) for r in models} == {
        (USAGE["prompt_tokens"], USAGE["completion_tokens"])
    }
    server = openai_model.server
    assert len(server.requests) == 3
    assert {tuple(t["function"]["name"] for t in r["tools"]) for r in server.requests} == {
        ("search", "calculator")
    }
    assert {r["model"] for r in server.requests} == {"gpt-4o-mini"}


def test_supervisor_on_chat_openai(traced: Traced, openai_model: OpenAIModel) -> None:
    """The supervisor's team runs on ChatOpenAI with the same paths; the router gets text."""
    scripts = {
        (): supervisor.router_script,
        ("search",): supervisor.researcher_script,
        ("run_python",): supervisor.coder_script,
    }
    openai_model.answer_with(lambda messages, tools: scripts[tuple(tools)](messages))
    detail = traced.session(supervisor.run())
    assert summary(detail.requests) == SUPERVISOR_PATHS
    routes = [r for r in openai_model.server.requests if not r.get("tools")]
    assert len(routes) == 3
    assert all([m["role"] for m in r["messages"]] == ["system", "user"] for r in routes)
