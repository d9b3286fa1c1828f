"""examples/agents/_models.py: the offline fake's usage and the real-model settings."""

from __future__ import annotations

import importlib.util

import pytest
from _models import FAKE_MODEL, MODEL_VARIABLE, chat_model, fake_model, tool_call
from langchain_core.messages import HumanMessage

from agenttrace import ConfigurationError


def test_fake_model_reports_usage_from_the_text() -> None:
    """The offline model answers from its script with usage estimated at 4 chars a token."""
    model = fake_model(lambda messages: "x" * 40)
    answer = model.invoke([HumanMessage(content="y" * 20)])
    assert answer.content == "x" * 40
    assert answer.usage_metadata == {"input_tokens": 12, "output_tokens": 14, "total_tokens": 26}
    assert answer.response_metadata["model_name"] == FAKE_MODEL


def test_fake_model_tool_calls_count_as_output() -> None:
    """A scripted tool call comes back as a tool call, and its arguments count as tokens."""
    model = fake_model(lambda messages: tool_call("search", {"query": "q" * 16}))
    answer = model.invoke("hi")
    assert [call["name"] for call in answer.tool_calls] == ["search"]
    assert answer.usage_metadata is not None
    arguments = len('{"query": "' + "q" * 16 + '"}') // 4  # 30 characters: 8 tokens
    assert answer.usage_metadata["output_tokens"] == 4 + (arguments + 1) + 8


def test_without_the_variable_the_model_is_the_offline_fake(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No AGENTTRACE_EXAMPLE_MODEL: the script answers."""
    monkeypatch.delenv(MODEL_VARIABLE, raising=False)
    assert chat_model(lambda messages: "scripted").invoke("hi").content == "scripted"


@pytest.mark.parametrize("spec", ["gpt-4o-mini", "openai:", ":gpt-4o"])
def test_model_spec_without_provider_or_name_is_explained(
    spec: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A value that is not <provider>:<model> says how to write it."""
    monkeypatch.setenv(MODEL_VARIABLE, spec)
    with pytest.raises(ConfigurationError, match=r"is not <provider>:<model>; set it like openai:"):
        chat_model(lambda messages: "unused")


def test_openai_spec_builds_the_real_client(monkeypatch: pytest.MonkeyPatch) -> None:
    """openai:<model> gives LangChain's ChatOpenAI for that model (no request is made)."""
    monkeypatch.setenv(MODEL_VARIABLE, "openai:gpt-4o-mini")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    model = chat_model(lambda messages: "unused")
    assert type(model).__name__ == "ChatOpenAI"
    assert model.model_name == "gpt-4o-mini"  # type: ignore[attr-defined]


@pytest.mark.skipif(
    importlib.util.find_spec("langchain") is not None,
    reason="with langchain installed, init_chat_model reports missing provider packages",
)
def test_unknown_provider_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    """A provider with no package installed names the packages to install."""
    monkeypatch.setenv(MODEL_VARIABLE, "mistralai:mistral-small")
    with pytest.raises(ConfigurationError, match="pip install langchain langchain-mistralai"):
        chat_model(lambda messages: "unused")
