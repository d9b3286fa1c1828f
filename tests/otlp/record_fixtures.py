"""Re-record the OTLP fixtures from the real instrumentors.

    python -m tests.otlp.record_fixtures


For each example graph and each instrumentor, the spans of one offline run are written as
``fixtures/<scenario>-<instrumentor>.pb`` (protobuf, as the protobuf exporter sends them)
and ``.json`` (as the JSON exporter sends them). The tests replay them.
"""

from __future__ import annotations

from tests.otlp.capture import (
    FIXTURES,
    INSTRUMENTORS,
    SCENARIOS,
    capture,
    encode_json,
    encode_protobuf,
)

FIXTURE_THREAD = "fixture-thread"


def main() -> None:
    """Record every scenario with every instrumentor."""
    FIXTURES.mkdir(exist_ok=True)
    for scenario in SCENARIOS:
        for instrumentor in INSTRUMENTORS:
            spans = capture(scenario, instrumentor, thread_id=FIXTURE_THREAD).spans
            stem = FIXTURES / f"{scenario}-{instrumentor}"
            stem.with_suffix(".pb").write_bytes(encode_protobuf(spans))
            stem.with_suffix(".json").write_bytes(encode_json(spans))
            print(f"{stem.name}: {len(spans)} spans")


if __name__ == "__main__":
    main()
