"""OpenTelemetry at the collector's edge: ``POST /v1/traces`` (OTLP/HTTP).

This package owns every OpenTelemetry name, as `agenttrace.server.helicone` owns
Helicone's; the rules it applies (outcome, usage, pricing, the LangGraph node rule,
session paths) are `agenttrace.core`'s.

==================  ==============================================================
module              what it owns
==================  ==============================================================
`decoding`          protobuf / JSON bodies -> spans (``opentelemetry-proto``)
`reading`           `SpanReading`: what a span says, in agenttrace's words
`genai`             the OpenTelemetry GenAI conventions (``gen_ai.*``)
`openinference`     the OpenInference conventions (``openinference.span.kind``, ...)
`traceloop`         the OpenLLMetry / Traceloop conventions (``traceloop.*``)
`mapping`           a span -> its structure link and its record
`paths`             a record's path, session and parent from its ancestors
`routes`            ``POST /v1/traces``
==================  ==============================================================
"""

from __future__ import annotations

from agenttrace.server.otlp.routes import router

__all__ = ["router"]
