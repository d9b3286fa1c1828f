"""Ids: one kind for records and sessions everywhere, UUIDv7 (time-ordered)."""

from __future__ import annotations

import time
import uuid

from agenttrace.core.ids import new_id, stable_id


def test_new_ids_are_unique_time_ordered_uuid7() -> None:
    """Generated ids are distinct, valid version-7 UUIDs whose first 48 bits are the
    Unix time in milliseconds (so they sort by creation time across milliseconds)."""
    before = time.time_ns() // 1_000_000
    ids = [new_id() for _ in range(5000)]
    after = time.time_ns() // 1_000_000
    assert len(set(ids)) == len(ids)
    parsed = [uuid.UUID(i) for i in ids]
    assert all(
        u.version == 7 and u.variant == uuid.RFC_4122 and str(u) == i
        for u, i in zip(parsed, ids, strict=True)
    )
    stamps = [u.int >> 80 for u in parsed]
    assert before <= min(stamps)
    assert max(stamps) <= after
    assert stamps == sorted(stamps)


def test_stable_ids_repeat_for_one_key_and_differ_between_keys() -> None:
    """stable_id: a UUIDv7 made twice from one key is the same id; another key, another id."""
    first = stable_id(1_700_000_000_123, b"trace-1/span-1")
    assert first == stable_id(1_700_000_000_123, b"trace-1/span-1")
    assert first != stable_id(1_700_000_000_123, b"trace-1/span-2")
    parsed = uuid.UUID(first)
    assert parsed.version == 7
    assert parsed.variant == uuid.RFC_4122
    assert int(parsed.hex[:12], 16) == 1_700_000_000_123
