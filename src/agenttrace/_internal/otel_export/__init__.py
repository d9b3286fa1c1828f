"""agenttrace's records as OpenTelemetry spans (the ``agenttrace[otel]`` extra).

`OtelExporter` is an exporter beside the `Shipper`: the tracer hands each record to both
when both are configured (`agenttrace._internal.fan_out`). Nothing here imports
OpenTelemetry until the exporter's worker thread starts.
"""

from __future__ import annotations

from agenttrace._internal.otel_export._exporter import MAX_GROUP, OtelExporter

__all__ = ["MAX_GROUP", "OtelExporter"]
