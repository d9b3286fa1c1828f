"""Where the OTLP ingest's time goes, phase by phase, against the native ingest of the same calls.

    uv run python benchmarks/otlp_ingest_phases.py [--calls 5000] [--rounds 7]

`otlp_ingest` measures the two routes end to end through a collector process; this one
runs the collector's own functions in one process, on one SQLite store, so that each phase's
CPU time can be read alone (``time.process_time``, less swayed by other jobs than wall time).
The calls are `otlp_ingest`'s: GenAI-convention spans made by the OpenTelemetry SDK and
encoded by its own OTLP encoder, and the same calls as native records in each of its forms
(`otlp_ingest.as_records`: messages as JSON structures, as native producers send them; as
JSON text; and as the OTLP route stores them, with ``service.name`` as a property). Phases, CPU
µs per LLM call, medians of rounds that take turns:

* native ``read``: `parse_batch` (the JSON body validated into records, in one call);
  ``store``: `Store.ingest`;
* OTLP ``decode``: the protobuf parsed and every span's fields and attributes turned into
  Python values (`decode_request` and `iter_spans`: what any reader built on
  ``opentelemetry-proto`` pays); ``read``: the whole of `read_export` (decode included:
  conventions read, records made and validated, limits checked); ``store``:
  `Store.ingest_spans` (span structure stored, records placed by their ancestors and stored).

Printed: the phases, the OTLP / native ratio of the totals, and the budget the issue's
target (OTLP at least 0.8x of native) leaves the OTLP route: native's total / 0.8, against
what OTLP's store step alone and its decode floor cost.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from otlp_ingest import BATCH, FORMS, RATIO_TARGET, Form, as_records, make_spans
from shipper_throughput import calibration_ms

from agenttrace.records import Record, RecordBatch
from agenttrace.server._ingest_route import parse_batch
from agenttrace.server._limits import Limits
from agenttrace.server.otlp.decoding import decode_request, iter_spans
from agenttrace.server.otlp.paths import resolve_place
from agenttrace.server.otlp.routes import SpanBatch, read_export
from agenttrace.server.store import DEFAULT_PROJECT, Store, open_store

_PROTOBUF = "application/x-protobuf"
_LIMITS = Limits()


def _cpu_us(action: Callable[[], object], calls: int) -> float:
    started = time.process_time()
    action()
    return (time.process_time() - started) / calls * 1e6


def _otlp_bodies(calls: int) -> list[bytes]:
    spans = make_spans(calls, f"otlp-{uuid.uuid4()}")
    return [
        encode_spans(spans[start : start + BATCH]).SerializePartialToString()
        for start in range(0, len(spans), BATCH)
    ]


def _native_bodies(calls: int, *, form: Form) -> list[bytes]:
    session_id = f"native-{uuid.uuid4()}"
    records = as_records(make_spans(calls, session_id), session_id, form=form)
    return [
        RecordBatch(records=records[start : start + BATCH])
        .model_dump_json(exclude_none=True)
        .encode()
        for start in range(0, len(records), BATCH)
    ]


def otlp_round(store: Store, calls: int) -> dict[str, float]:
    bodies = _otlp_bodies(calls)
    decode = _cpu_us(
        lambda: [list(iter_spans(decode_request(body, _PROTOBUF))) for body in bodies], calls
    )
    batches: list[SpanBatch] = []
    read = _cpu_us(
        lambda: batches.extend(read_export(body, _PROTOBUF, _LIMITS) for body in bodies), calls
    )

    def store_all() -> None:
        for batch in batches:
            store.ingest_spans(DEFAULT_PROJECT, batch.links, batch.records, resolve_place)

    stored = _cpu_us(store_all, calls)
    if sum(len(batch.records) for batch in batches) != calls:
        raise RuntimeError("not every OTLP call became a record")
    return {"decode": decode, "read": read, "store": stored}


def native_round(store: Store, calls: int, *, form: Form) -> dict[str, float]:
    bodies = _native_bodies(calls, form=form)
    batches: list[list[Record]] = []
    read = _cpu_us(lambda: batches.extend(parse_batch(body, _LIMITS)[0] for body in bodies), calls)

    def store_all() -> None:
        for batch in batches:
            store.ingest(DEFAULT_PROJECT, batch)

    stored = _cpu_us(store_all, calls)
    if sum(len(batch) for batch in batches) != calls:
        raise RuntimeError("not every native record was read")
    return {"read": read, "store": stored}


def _medians(rounds: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(r[key] for r in rounds) for key in rounds[0]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--calls", type=int, default=5_000, help="LLM calls per round")
    parser.add_argument("--rounds", type=int, default=7, help="rounds (medians are reported)")
    args = parser.parse_args()
    print(f"{args.calls} LLM calls a round, {args.rounds} rounds, batches of {BATCH}")
    print(f"CPU calibration (a fixed 1M-step Python loop): {calibration_ms():.1f} ms")
    forms: list[Form] = ["structured", "text", "same_rows"]
    otlp_runs: list[dict[str, float]] = []
    native_runs: dict[Form, list[dict[str, float]]] = {form: [] for form in forms}
    with tempfile.TemporaryDirectory() as data_dir:
        store = open_store(str(Path(data_dir) / "agenttrace.db"))
        try:
            otlp_round(store, 2 * BATCH)  # warm-up: code paths, prices, pages
            for form in forms:
                native_round(store, 2 * BATCH, form=form)
            for _ in range(args.rounds):
                otlp_runs.append(otlp_round(store, args.calls))
                for form in forms:
                    native_runs[form].append(native_round(store, args.calls, form=form))
        finally:
            store.close()
    otlp = _medians(otlp_runs)
    otlp_total = otlp["read"] + otlp["store"]
    print("CPU us per LLM call (medians):")
    print(
        f"  {'OTLP:':19s} read {otlp['read']:5.1f}  store {otlp['store']:5.1f}  "
        f"total {otlp_total:5.1f}  (decode {otlp['decode']:.1f}, inside read)"
    )
    natives = {form: _medians(native_runs[form]) for form in forms}
    for form, phases in natives.items():
        print(
            f"  {FORMS[form] + ':':19s} read {phases['read']:5.1f}  store {phases['store']:5.1f}  "
            f"total {phases['read'] + phases['store']:5.1f}"
        )
    floor = otlp["decode"] + otlp["store"]
    for form, phases in natives.items():
        total = phases["read"] + phases["store"]
        budget = total / RATIO_TARGET
        print(
            f"against {FORMS[form]}: OTLP / native {total / otlp_total:.2f}x in-process; "
            f"{RATIO_TARGET}x leaves OTLP {budget:.1f} us a call, of which its store step "
            f"takes {otlp['store'] / budget:.0%} and decode + store {floor / budget:.0%}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
