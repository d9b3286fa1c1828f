"""The text repair rule (`agenttrace.core.text_repair`) and records that may be built
with text UTF-8 cannot encode."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from agenttrace.core.text_repair import (
    REPAIRED_PROPERTY,
    needs_repair,
    repair_id,
    repair_record,
    repair_record_data,
    repair_text,
)
from agenttrace.records import MAX_PROPERTIES, ErrorInfo, Record, RecordBatch


@pytest.mark.parametrize(
    ("text", "nul", "repaired"),
    [
        ("plain", True, "plain"),
        ("a\ud800b", True, "a\ufffdb"),
        ("\udfff", True, "\ufffd"),
        ("\ud83d\ude00", True, "\U0001f600"),  # a pair, side by side: the emoji it encodes
        ("x\udc00\ud800y", True, "x\ufffd\ufffdy"),  # the wrong way round: two lone ones
        ("a\x00b", True, "a\ufffdb"),
        ("a\x00b", False, "a\x00b"),
        ("é\x00\ud800", False, "é\x00\ufffd"),
    ],
)
def test_repair_text(text: str, nul: bool, repaired: str) -> None:
    """Surrogates (and NUL when asked) become U+FFFD; everything else is kept."""
    assert repair_text(text, nul=nul) == repaired
    assert needs_repair(text, nul=nul) == (text != repaired)
    assert not needs_repair(repaired, nul=nul)


def test_repaired_ids_are_deterministic_distinct_and_fit() -> None:
    """An id is repaired the same way every time, ids differing only in what was replaced
    stay distinct (also from a real U+FFFD), repairing twice changes nothing, and the
    result fits the 200-character limit."""
    assert repair_id("a-1") == "a-1"
    nul, lone, real = repair_id("a\x00"), repair_id("a\ud800"), repair_id("a\ufffd")
    assert nul == repair_id("a\x00")
    assert len({nul, lone, repair_id("a\udfff"), real}) == 4
    assert real == "a\ufffd"
    assert nul.startswith("a\ufffd~")
    assert repair_id(nul) == nul
    long = repair_id("x" * 199 + "\x00")
    assert len(long) == 200
    assert long != repair_id("x" * 199 + "\ud800")


def test_repair_record_data_covers_every_string_and_marks() -> None:
    """Every string of a wire record is repaired: ids by the id rule, NUL kept only in
    bodies, keys too, and the record names the repaired fields."""
    data: dict[str, Any] = {
        "id": "r\ud800",
        "session_id": "s",
        "name": "n\x00",
        "properties": {"k\udc00": "v\x00", "fine": "ok"},
        "error": {"type": "E", "message": "m\ud800"},
        "request": {"deep": [{"k\ud800": ["x\x00", "y\udfff"]}], "n": 1},
        "response": "ok",
    }
    assert repair_record_data(data) == ["error", "id", "name", "properties", "request"]
    assert data["id"] == repair_id("r\ud800")
    assert data["session_id"] == "s"
    assert data["name"] == "n\ufffd"
    assert data["properties"] == {
        "k\ufffd": "v\ufffd",
        "fine": "ok",
        REPAIRED_PROPERTY: "error,id,name,properties,request",
    }
    assert data["error"] == {"type": "E", "message": "m\ufffd"}
    assert data["request"] == {"deep": [{"k\ufffd": ["x\x00", "y\ufffd"]}], "n": 1}
    assert repair_record_data(data) == []  # idempotent


def test_nothing_to_repair_leaves_the_data_alone() -> None:
    """Clean text: no change, no mark, the same objects."""
    body = {"a": ["b", {"c": "é"}]}
    data: dict[str, Any] = {"id": "r", "session_id": "s", "request": body}
    assert repair_record_data(data) == []
    assert data == {"id": "r", "session_id": "s", "request": body}
    assert data["request"] is body


def test_records_are_built_with_text_utf8_cannot_encode() -> None:
    """Record(...) and ErrorInfo(...) keep a lone surrogate instead of refusing the record
    (the shipper repairs it); every other problem is still refused."""
    error = ErrorInfo(type="OSError", message="no file \udcff")
    record = Record(
        id="r\ud800", session_id="s\udcff", name="n\udc80", session_path="a//\ud800/", error=error
    )
    assert (record.id, record.session_id, record.name) == ("r\ud800", "s\udcff", "n\udc80")
    assert record.session_path == "/a/\ud800"
    assert record.error == error
    nested = Record(session_id="s", error={"type": "E", "message": "m\ud800"})
    assert nested.error == ErrorInfo(type="E", message="m\ud800")
    with pytest.raises(ValidationError, match="at most 500 characters"):
        Record(session_id="s\ud800", name="n" * 501)


def test_json_validation_keeps_its_fast_path() -> None:
    """The tolerant constructors are not called by pydantic for nested or JSON validation
    (which would make the collector's batch validation several times slower)."""
    assert Record.__pydantic_custom_init__ is False
    assert ErrorInfo.__pydantic_custom_init__ is False
    batch = RecordBatch.model_validate_json(b'{"records":[{"session_id":"s"}]}')
    assert batch.records[0].session_id == "s"


def test_the_mark_may_be_a_65th_property() -> None:
    """A record with the most properties allowed can still be marked."""
    properties = {f"k{i}": "v" for i in range(MAX_PROPERTIES)}
    record = Record(session_id="s", name="\ud800", properties=properties)
    repaired = repair_record(record)
    assert len(repaired.properties) == MAX_PROPERTIES + 1
    assert repaired.properties[REPAIRED_PROPERTY] == "name"
    with pytest.raises(ValidationError, match="at most 64"):
        Record(session_id="s", properties={**properties, "one-more": "v"})


def test_repair_record_returns_the_same_record_when_clean() -> None:
    """A clean record is not copied; bodies are looked into only when asked."""
    record = Record(session_id="s", request={"q": "\ud800"})
    assert repair_record(record, bodies=False) is record
    repaired = repair_record(record)
    assert repaired.request == {"q": "\ufffd"}
    assert repaired.properties == {REPAIRED_PROPERTY: "request"}
    assert repair_record(repaired) is repaired
