"""The collector's input limits, beyond what `agenttrace.records.Record` itself limits.

`Record` bounds string lengths, the number and size of properties, path depth and length,
token counts and amounts. The collector adds, per request: the body size (413), the number
of records per batch (413); and per record, so that only the offending records of a batch
are rejected: how deeply request and response bodies nest, how large they are, and what
the stores can index (PostgreSQL's index entries hold at most 2704 bytes). Every message
names the limit it enforces.

`load_json` reads a request body as JSON without letting a deeply nested document crash
the collector; ``NaN`` and ``Infinity``, which JSON does not have, are read as null.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException

from agenttrace.records import Record

__all__ = [
    "DEFAULT_MAX_BATCH_RECORDS",
    "DEFAULT_MAX_BODY_BYTES",
    "DEFAULT_MAX_BODY_DEPTH",
    "DEFAULT_MAX_RECORD_BODY_BYTES",
    "INDEX_ENTRY_MAX_BYTES",
    "MAX_BODY_DEPTH_LIMIT",
    "Limits",
    "body_depth_exceeds",
    "load_json",
    "record_problem",
]

DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024
DEFAULT_MAX_BATCH_RECORDS = 5_000
DEFAULT_MAX_RECORD_BODY_BYTES = 8 * 1024 * 1024
DEFAULT_MAX_BODY_DEPTH = 64
MAX_BODY_DEPTH_LIMIT = 128
"""Deeper bodies could not be read back (the JSON encoders recurse)."""
INDEX_ENTRY_MAX_BYTES = 2000
"""Session id plus property name and value (or plus user id), in UTF-8: what one entry of
the stores' indexes may take, with room for the project id (PostgreSQL allows 2704)."""


@dataclass(frozen=True, slots=True)
class Limits:
    """What one request may send."""

    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_batch_records: int = DEFAULT_MAX_BATCH_RECORDS
    max_record_body_bytes: int = DEFAULT_MAX_RECORD_BODY_BYTES
    max_body_depth: int = DEFAULT_MAX_BODY_DEPTH

    def __post_init__(self) -> None:
        for name in ("max_body_bytes", "max_batch_records", "max_record_body_bytes"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                msg = f"{name} must be a positive whole number; got {value!r}"
                raise ValueError(msg)
        if not 1 <= self.max_body_depth <= MAX_BODY_DEPTH_LIMIT:
            msg = (
                f"max_body_depth must be from 1 to {MAX_BODY_DEPTH_LIMIT} levels; "
                f"got {self.max_body_depth!r}"
            )
            raise ValueError(msg)


def _no_constant(name: str) -> None:
    """``NaN``, ``Infinity`` and ``-Infinity`` are not JSON; read them as null."""


def load_json(body: bytes, shape: str, *, max_depth: int = DEFAULT_MAX_BODY_DEPTH) -> Any:
    """``body`` parsed as JSON; HTTPException 400 saying what is wrong otherwise.

    ``shape`` completes "send ...", e.g. ``'{"records": [...]}'``; ``max_depth`` is the
    depth limit the message names.
    """
    try:
        return json.loads(body, parse_constant=_no_constant)
    except RecursionError:
        msg = (
            "the body nests JSON arrays or objects too deeply to be read; keep request and "
            f"response bodies within {max_depth} levels (max_body_depth) and "
            f"send {shape}"
        )
        raise HTTPException(status_code=400, detail=msg) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise HTTPException(
            status_code=400,
            detail=f"the body is not valid JSON ({exc}); send {shape}, encoded as UTF-8",
        ) from None


def body_depth_exceeds(value: Any, limit: int) -> bool:
    """Whether arrays and objects nest more than ``limit`` levels in ``value`` (``[]`` is
    one level, a string none). Recursion stops at ``limit`` + 1 levels, so any depth is
    safe to check as long as ``limit`` is within `MAX_BODY_DEPTH_LIMIT`."""
    if type(value) is dict or type(value) is list:
        return limit < 1 or _nests_deeper(value, limit - 1)
    return False


def _nests_deeper(node: Any, levels_left: int) -> bool:
    """Whether a container inside ``node`` (itself a container) nests more than
    ``levels_left`` further levels."""
    for child in node.values() if type(node) is dict else node:
        kind = type(child)
        if (kind is dict or kind is list) and (
            levels_left <= 0 or _nests_deeper(child, levels_left - 1)
        ):
            return True
    return False


def _body_bytes(value: Any) -> int:
    if value is None:
        return 0
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)
    return len(text.encode("utf-8", "surrogatepass"))


def _utf8(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


_SURELY_INDEXABLE = INDEX_ENTRY_MAX_BYTES // 4
"""So many characters take at most `INDEX_ENTRY_MAX_BYTES` bytes of UTF-8, whatever they are."""


def _index_problem(record: Record) -> str | None:
    session_chars = len(record.session_id)
    user_chars = len(record.user_id) if record.user_id is not None else 0
    if session_chars + user_chars <= _SURELY_INDEXABLE and all(
        session_chars + len(key) + len(value) <= _SURELY_INDEXABLE
        for key, value in record.properties.items()
    ):
        return None  # the usual case, without encoding anything
    session_bytes = _utf8(record.session_id)
    if record.user_id is not None:
        total = session_bytes + _utf8(record.user_id)
        if total > INDEX_ENTRY_MAX_BYTES:
            return (
                f"user_id and session_id take {total} bytes of UTF-8 together; at most "
                f"{INDEX_ENTRY_MAX_BYTES} fit in the store's index: shorten them"
            )
    for key, value in record.properties.items():
        total = session_bytes + _utf8(key) + _utf8(value)
        if total > INDEX_ENTRY_MAX_BYTES:
            return (
                f"property {key[:40]!r}: its name, its value and the session_id take {total} "
                f"bytes of UTF-8 together; at most {INDEX_ENTRY_MAX_BYTES} fit in the store's "
                "index: shorten the value"
            )
    return None


def record_problem(record: Record, limits: Limits, *, check_size: bool = True) -> str | None:
    """Why the collector refuses ``record`` (naming the limit), or None.

    ``check_size=False`` skips measuring the bodies, for a request body no larger than
    ``max_record_body_bytes`` (no record in it can be larger).
    """
    for name, body in (("request", record.request), ("response", record.response)):
        if body_depth_exceeds(body, limits.max_body_depth):
            return (
                f"{name}: the body nests arrays or objects more than {limits.max_body_depth} "
                "levels deep (max_body_depth); flatten it or send it as a string"
            )
    if check_size:
        size = _body_bytes(record.request) + _body_bytes(record.response)
        if size > limits.max_record_body_bytes:
            return (
                f"request and response bodies take {size} bytes of JSON; at most "
                f"{limits.max_record_body_bytes} are allowed per record "
                "(max_record_body_bytes): omit or trim the bodies"
            )
    return _index_problem(record)
