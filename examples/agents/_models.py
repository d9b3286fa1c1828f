"""The chat model the examples run on: an offline fake by default, a real one on request.

**Offline (default).** Each example scripts its model with a function of the messages
(`Script`): it returns the next answer, text or a tool call. `fake_model` wraps that script
in agenttrace-langchain's public `FakeChatModel` and reports ``usage_metadata`` estimated
from the text (about four characters a token), so the costs shown are real ``gpt-4o-mini``
prices applied to made-up token counts. It also waits a few milliseconds per answer, so
that durations look like a model's rather than zero.

**Real provider.** Set ``AGENTTRACE_EXAMPLE_MODEL=<provider>:<model>`` and that provider's
key, e.g. ``AGENTTRACE_EXAMPLE_MODEL=openai:gpt-4o-mini`` with ``OPENAI_API_KEY``, or
``anthropic:claude-haiku-4-5`` with ``ANTHROPIC_API_KEY``. The model is built with
LangChain's ``init_chat_model`` when ``langchain`` is installed
(``pip install langchain langchain-openai``); without it, ``openai:`` and ``anthropic:``
models are built from ``langchain-openai`` / ``langchain-anthropic`` directly.
"""

from __future__ import annotations

import importlib
import json
import math
import os
import time
from collections.abc import Callable

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage

from agenttrace import ConfigurationError
from agenttrace_langchain.testing import FakeChatModel, tool_call

__all__ = [
    "FAKE_MODEL",
    "MODEL_VARIABLE",
    "Script",
    "chat_model",
    "fake_model",
    "real_model",
    "text_of",
    "tool_call",
]

MODEL_VARIABLE = "AGENTTRACE_EXAMPLE_MODEL"
FAKE_MODEL = "gpt-4o-mini"
"""The model name the fake reports, so that costs use a real price list entry."""

Script = Callable[[list[BaseMessage]], str | AIMessage]
"""The offline model's next answer, as a function of the messages it is given."""

_DIRECT_CLASSES = {
    "openai": ("langchain_openai", "ChatOpenAI", "langchain-openai"),
    "anthropic": ("langchain_anthropic", "ChatAnthropic", "langchain-anthropic"),
}
_SECONDS_PER_ANSWER = 0.008
_SECONDS_PER_OUTPUT_TOKEN = 0.0004


def chat_model(script: Script) -> BaseChatModel:
    """The model named by ``AGENTTRACE_EXAMPLE_MODEL``, else `fake_model(script)`."""
    spec = os.environ.get(MODEL_VARIABLE, "").strip()
    return real_model(spec) if spec else fake_model(script)


def text_of(message: BaseMessage) -> str:
    """A message's text, whether its content is a string or a list of blocks."""
    content = message.content
    if isinstance(content, str):
        return content
    parts = [
        block if isinstance(block, str) else str(block.get("text", ""))
        for block in content
        if isinstance(block, str | dict)
    ]
    return "".join(parts)


def _tokens(text: str) -> int:
    return math.ceil(len(text) / 4)


def _message_tokens(message: BaseMessage) -> int:
    calls = getattr(message, "tool_calls", None) or []
    return 4 + _tokens(text_of(message)) + sum(_tokens(json.dumps(c["args"])) + 8 for c in calls)


def fake_model(script: Script) -> FakeChatModel:
    """An offline chat model answering with ``script``, with usage and a model-like delay."""

    def respond(messages: list[BaseMessage]) -> AIMessage:
        answer = script(messages)
        message = AIMessage(content=answer) if isinstance(answer, str) else answer
        input_tokens = 3 + sum(_message_tokens(m) for m in messages)
        output_tokens = _message_tokens(message)
        time.sleep(_SECONDS_PER_ANSWER + output_tokens * _SECONDS_PER_OUTPUT_TOKEN)
        usage = {
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "total_tokens": input_tokens + output_tokens,
        }
        return message.model_copy(update={"usage_metadata": usage})

    return FakeChatModel(respond=respond, model=FAKE_MODEL, provider="openai")


def real_model(spec: str) -> BaseChatModel:
    """A provider's chat model for ``spec`` (``openai:gpt-4o-mini``); see the module doc."""
    provider, _, name = spec.partition(":")
    provider, name = provider.strip().lower(), name.strip()
    if not provider or not name:
        msg = (
            f"{MODEL_VARIABLE}={spec!r} is not <provider>:<model>; set it like "
            "openai:gpt-4o-mini or anthropic:claude-haiku-4-5, or unset it to run offline"
        )
        raise ConfigurationError(msg)
    try:
        from langchain.chat_models import init_chat_model  # type: ignore[import-not-found]
    except ImportError:
        return _direct_model(spec, provider, name)
    model: BaseChatModel = init_chat_model(name, model_provider=provider)
    return model


def _direct_model(spec: str, provider: str, name: str) -> BaseChatModel:
    module_name, class_name, package = _DIRECT_CLASSES.get(provider, ("", "", ""))
    try:
        module = importlib.import_module(module_name) if module_name else None
    except ImportError:
        module = None
    if module is None:
        package = package or f"langchain-{provider}"
        msg = (
            f"{MODEL_VARIABLE}={spec!r} needs LangChain's model packages; install them with: "
            f"pip install langchain {package}"
        )
        raise ConfigurationError(msg)
    model: BaseChatModel = getattr(module, class_name)(model=name)
    return model
