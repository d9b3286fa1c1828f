"""AWS's binary event-stream framing (``application/vnd.amazon.eventstream``), which
Bedrock's ConverseStream answers with and botocore parses.

A message is: total length and headers length (4 bytes each, big-endian), the CRC32 of
those 8 bytes, the headers (name length, name, type 7 = string, value length, value), the
JSON payload, and the CRC32 of everything before it.
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Iterable
from typing import Any


def _header(name: str, value: str) -> bytes:
    raw_name, raw_value = name.encode(), value.encode()
    return (
        struct.pack(">B", len(raw_name)) + raw_name + b"\x07"
        + struct.pack(">H", len(raw_value)) + raw_value
    )  # fmt: skip


def event_message(event_type: str, payload: dict[str, Any]) -> bytes:
    """One ``event`` message of type ``event_type`` with a JSON payload."""
    headers = (
        _header(":event-type", event_type)
        + _header(":content-type", "application/json")
        + _header(":message-type", "event")
    )
    body = json.dumps(payload).encode()
    total = 12 + len(headers) + len(body) + 4
    prelude = struct.pack(">II", total, len(headers))
    head = prelude + struct.pack(">I", zlib.crc32(prelude)) + headers + body
    return head + struct.pack(">I", zlib.crc32(head))


def event_stream(events: Iterable[tuple[str, dict[str, Any]]]) -> bytes:
    """``(event type, payload)`` pairs framed one after another."""
    return b"".join(event_message(name, payload) for name, payload in events)
