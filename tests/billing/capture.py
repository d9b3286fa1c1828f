"""The three ways a provider call reaches agenttrace, and the figure it must come out with.

* the LangChain handler: a real ``langchain-*`` chat model, invoked or streamed with
  `agenttrace_langchain.CallbackHandler`;
* the ManualLogger: the provider SDK's response (or its stream events) given to
  ``agenttrace.ManualLogger`` (``log_request`` / ``log_builder``);
* the collector's Helicone routes: the same payload in the body Helicone's manual logger
  posts (``providerResponse.json``, or the raw SSE text as ``textBody``), read by the
  route's own mapping (`record_from_log`) for ``/oai/v1/log``, ``/anthropic/v1/log``,
  ``/googleapis/v1/log`` or ``/custom/v1/log``.

The expected cost is what genai-prices itself computes for the expected usage (its
``calc_price``, not agenttrace's `compute_cost`).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Any

import genai_prices
import pytest

import agenttrace
from agenttrace.records import Record, Usage
from agenttrace.server.helicone.ingest_mapping import LogEndpoint, record_from_log
from agenttrace.testing import InMemoryExporter


def genai_cost(model: str, provider: str, usage: Usage) -> float:
    """What genai-prices computes for ``usage`` of ``model`` at ``provider``."""
    counts: dict[str, int] = {
        "input_tokens": usage.input_tokens or 0,
        "output_tokens": usage.output_tokens or 0,
        "cache_read_tokens": usage.cache_read_tokens or 0,
        "cache_write_tokens": usage.cache_write_tokens or 0,
        "cache_write_1h_tokens": getattr(usage, "cache_write_1h_tokens", None) or 0,
        "output_reasoning_tokens": usage.reasoning_tokens or 0,
    }
    price = genai_prices.calc_price(genai_prices.Usage(**counts), model, provider_id=provider)
    return float(price.total_price)


def check(record: Record, usage: Usage, model: str, provider: str | None) -> None:
    """``record`` has ``usage``, ``model`` and ``provider``, and genai-prices' cost (None
    when genai-prices does not price the model there)."""
    assert record.usage == usage
    assert (record.model, record.provider) == (model, provider)
    if provider is None or provider == "ollama":
        assert record.cost_usd is None
        return
    assert record.cost_usd is not None
    assert record.cost_usd == pytest.approx(genai_cost(model, provider, usage), abs=1e-9)


def only_llm_record(exporter: InMemoryExporter) -> Record:
    """The one LLM record ``exporter`` received."""
    (record,) = [r for r in exporter.records if str(r.kind) == "llm"]
    return record


def handler_record(chat_model: Any, exporter: InMemoryExporter, *, stream: bool) -> Record:
    """The record of one ``invoke`` (or one full ``stream``) of a real LangChain model."""
    from agenttrace_langchain import CallbackHandler

    config = {"callbacks": [CallbackHandler()]}
    if stream:
        chunks = list(chat_model.stream("What is 6 x 7?", config=config))
        assert chunks, "the stream yielded nothing"
    else:
        chat_model.invoke("What is 6 x 7?", config=config)
    return only_llm_record(exporter)


def manual_logger_record(
    exporter: InMemoryExporter,
    request: Mapping[str, Any],
    provider: str,
    *,
    response: object = None,
    chunks: Iterable[object] = (),
) -> Record:
    """The record the ManualLogger makes of a provider SDK's ``response`` (``log_request``)
    or of its stream ``chunks`` (``log_builder``)."""
    logger = agenttrace.ManualLogger()
    if response is not None:
        logger.log_request(
            dict(request),
            lambda recorder: recorder.append_results(_dumped(response)),
            provider=provider,
        )
    else:
        builder = logger.log_builder(dict(request), provider=provider)
        for chunk in chunks:
            builder.add_chunk(chunk)
        builder.send_log()
    (record,) = exporter.records
    return record


def _dumped(response: object) -> Mapping[str, Any]:
    if isinstance(response, Mapping):
        return response
    dumped = response.model_dump(mode="json")  # type: ignore[attr-defined]
    assert isinstance(dumped, Mapping)
    return dumped


def helicone_body(
    request: Mapping[str, Any],
    *,
    json_body: Mapping[str, Any] | None = None,
    text_body: str | None = None,
    provider: str | None = None,
) -> dict[str, Any]:
    """The body Helicone's manual logger posts for a call that returned ``json_body`` (or
    streamed ``text_body``)."""
    body: dict[str, Any] = {
        "providerRequest": {"url": "custom-model-nopath", "json": dict(request), "meta": {}},
        "providerResponse": {
            "headers": {},
            "status": 200,
            "json": dict(json_body or {}),
            "textBody": text_body,
        },
        "timing": {
            "startTime": {"seconds": int(time.time()) - 1, "milliseconds": 0},
            "endTime": {"seconds": int(time.time()), "milliseconds": 0},
        },
    }
    if provider is not None:
        body["provider"] = provider
    return body


def helicone_record(
    endpoint: LogEndpoint,
    request: Mapping[str, Any],
    *,
    json_body: Mapping[str, Any] | None = None,
    text_body: str | None = None,
    provider: str | None = None,
) -> Record:
    """The record the collector makes of a Helicone manual-logger body on ``endpoint``
    (the route's own mapping, `record_from_log`)."""
    body = helicone_body(request, json_body=json_body, text_body=text_body, provider=provider)
    return record_from_log(body, {}, endpoint)
