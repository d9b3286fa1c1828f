"""A local Ollama model: counted as Ollama reports it, never priced (cost null, never 0).

Ollama's ``/api/chat`` reports ``prompt_eval_count`` and ``eval_count`` beside the
message, on the response or on a stream's last line (``"done": true``); a stream is
newline-delimited JSON.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from agenttrace.records import Usage
from agenttrace.server.helicone.ingest_mapping import LogEndpoint
from agenttrace.testing import InMemoryExporter

from .capture import check, handler_record, helicone_record, manual_logger_record
from .fake_wire import FakeWire, Received, Reply

langchain_ollama = pytest.importorskip("langchain_ollama")
ollama = pytest.importorskip("ollama")

MODEL = "llama3.2:3b"
PROMPT, EVAL = 26, 12
EXPECTED = Usage(input_tokens=PROMPT, output_tokens=EVAL)
ANSWER = ["The answer ", "is 42."]
REQUEST = {"model": MODEL, "messages": [{"role": "user", "content": "6 x 7?"}]}
_TIMES = {"total_duration": 5_000_000, "load_duration": 1_000_000, "eval_duration": 2_000_000}


def _line(text: str, *, done: bool) -> dict[str, Any]:
    line: dict[str, Any] = {
        "model": MODEL,
        "created_at": "2025-10-09T10:00:00.000000Z",
        "message": {"role": "assistant", "content": text},
        "done": done,
    }
    if done:
        line.update(done_reason="stop", prompt_eval_count=PROMPT, eval_count=EVAL, **_TIMES)
    return line


def _stream() -> list[dict[str, Any]]:
    return [*(_line(piece, done=False) for piece in ANSWER), _line("", done=True)]


def _whole() -> dict[str, Any]:
    return _line("".join(ANSWER), done=True)


def respond(received: Received) -> Reply:
    assert received.path == "/api/chat", received.path
    if received.body.get("stream", True):
        return Reply(lines=_stream())
    return Reply(body=_whole())


@pytest.mark.parametrize("stream", [False, True], ids=["invoke", "stream"])
def test_handler(server: FakeWire, exporter: InMemoryExporter, stream: bool) -> None:
    """ChatOllama: the counts, the model, provider ollama and no cost."""
    chat = langchain_ollama.ChatOllama(model=MODEL, base_url=server.url)
    record = handler_record(chat, exporter, stream=stream)
    check(record, EXPECTED, MODEL, "ollama")


def test_manual_logger(server: FakeWire, exporter: InMemoryExporter) -> None:
    """The ollama SDK's ChatResponse through ``log_request``, and its stream's chunks."""
    client = ollama.Client(host=server.url)
    response = client.chat(**REQUEST, stream=False)
    record = manual_logger_record(exporter, REQUEST, "ollama", response=response)
    check(record, EXPECTED, MODEL, "ollama")


def test_manual_logger_stream(server: FakeWire, exporter: InMemoryExporter) -> None:
    """The ollama SDK's stream chunks through ``log_builder``: the last one's counts."""
    chunks = list(ollama.Client(host=server.url).chat(**REQUEST, stream=True))
    record = manual_logger_record(exporter, REQUEST, "ollama", chunks=chunks)
    check(record, EXPECTED, MODEL, "ollama")


def test_helicone_custom_log() -> None:
    """``/custom/v1/log`` with provider OLLAMA: the response and the JSON lines as text."""
    whole = helicone_record(LogEndpoint.CUSTOM, REQUEST, json_body=_whole(), provider="OLLAMA")
    check(whole, EXPECTED, MODEL, "ollama")
    lines = "".join(f"{json.dumps(line)}\n" for line in _stream())
    streamed = helicone_record(LogEndpoint.CUSTOM, REQUEST, text_body=lines, provider="OLLAMA")
    check(streamed, EXPECTED, MODEL, "ollama")
