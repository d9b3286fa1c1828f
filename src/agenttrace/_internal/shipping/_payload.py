"""The body of ``POST /v1/records``: ``{"records": [...]}``, serialised once per batch.

A spool file holds exactly such a body, so a spooled batch is re-sent byte for byte.

One record must never cost the others their delivery. The whole batch is encoded in one
call (in Rust); only when that fails are the records encoded one by one, and a record that
fails alone is repaired: its text that UTF-8 cannot encode (lone surrogates) replaced and
the record marked (`agenttrace.core.text_repair`). A record that cannot be encoded
even so (a body that refers to itself, an object whose ``repr`` raises) is left out and
reported in `EncodedBatch.unencodable`, for the worker to count as dropped.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter
from pydantic_core import to_json

from agenttrace.core.text_repair import repair_record_data, repair_text
from agenttrace.records import Record

__all__ = [
    "EncodedBatch",
    "Unencodable",
    "encode_batch",
    "encode_records",
    "record_ids",
    "split_body",
]

_RECORDS = TypeAdapter(list[Record])
_RECORD = TypeAdapter(Record)
_PREFIX = b'{"records":'
_SUFFIX = b"}"


@dataclass(frozen=True, slots=True)
class Unencodable:
    """A record left out of a batch: even repaired, it cannot be encoded as JSON."""

    record_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class EncodedBatch:
    """A batch body and what went into it."""

    body: bytes
    count: int
    """Records in ``body``."""
    repaired: int = 0
    """Records of ``body`` whose text was repaired (and that say so)."""
    unencodable: tuple[Unencodable, ...] = ()
    """Records left out of ``body``."""


def _unserialisable(value: Any) -> str:
    """Bodies may hold objects JSON cannot express; send their text rather than fail."""
    return repr(value)


def encode_batch(records: Sequence[Record]) -> bytes:
    """The request body for ``records`` (see `encode_records`)."""
    return encode_records(records).body


def encode_records(records: Sequence[Record]) -> EncodedBatch:
    """The request body for ``records``: each one as ``record.model_dump(mode="json",
    exclude_none=True)``, repaired if it must be, left out if it cannot be encoded.

    A field left out is read back as its default, which is None for every field that can be
    None, so nothing changes on the way; but the collector parses and validates a typical
    LLM-call record about 1.2x as fast without its nulls, and the body is a fifth smaller
    (``benchmarks/wire_format.py``). Nulls inside ``request`` and ``response`` are the
    user's data and are sent.
    """
    try:
        body = _RECORDS.dump_json(list(records), exclude_none=True, fallback=_unserialisable)
    except Exception:  # noqa: BLE001 - some record cannot be encoded as it is: one by one
        return _encode_each(records)
    return EncodedBatch(_PREFIX + body + _SUFFIX, len(records))


def _encode_one(record: Record) -> tuple[bytes, bool]:
    """One record's JSON, and whether its text had to be repaired; raises if it cannot be
    encoded even so."""
    try:
        return _RECORD.dump_json(record, exclude_none=True, fallback=_unserialisable), False
    except Exception:  # noqa: BLE001 - repaired instead
        data = record.model_dump(mode="json", exclude_none=True, fallback=_unserialisable)
        fields = repair_record_data(data)
        return to_json(data), bool(fields)


def _encode_each(records: Sequence[Record]) -> EncodedBatch:
    parts: list[bytes] = []
    repaired = 0
    unencodable: list[Unencodable] = []
    for record in records:
        try:
            part, was_repaired = _encode_one(record)
        except Exception as exc:  # noqa: BLE001 - reported by the caller, with the reason
            reason = repair_text(f"{type(exc).__name__}: {exc}")
            unencodable.append(Unencodable(repr(record.id), reason))
            continue
        parts.append(part)
        repaired += was_repaired
    body = _PREFIX + b"[" + b",".join(parts) + b"]" + _SUFFIX
    return EncodedBatch(body, len(parts), repaired, tuple(unencodable))


def _decode(body: bytes) -> list[Any]:
    decoded = json.loads(body)
    records = decoded.get("records") if isinstance(decoded, dict) else None
    if not isinstance(records, list):
        msg = 'a batch body must be a JSON object {"records": [...]}'
        raise ValueError(msg)
    return records


def split_body(body: bytes) -> tuple[bytes, bytes]:
    """Cut a batch body into two halves (for a collector that answered 413)."""
    records = _decode(body)
    if len(records) < 2:
        msg = "a batch of fewer than two records cannot be split"
        raise ValueError(msg)
    middle = len(records) // 2
    return (
        json.dumps({"records": records[:middle]}, separators=(",", ":")).encode(),
        json.dumps({"records": records[middle:]}, separators=(",", ":")).encode(),
    )


def record_ids(body: bytes) -> list[str]:
    """The ``id`` of every record in a batch body, in order (for tests and tools)."""
    return [str(item.get("id")) for item in _decode(body) if isinstance(item, dict)]
