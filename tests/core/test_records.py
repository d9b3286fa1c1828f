"""The record contract: validation, normalisation and the token convention."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from agenttrace.records import Record, RecordKind, Status, Usage, normalize_path


def test_defaults_fill_id_start_time_and_root_path() -> None:
    """A record built with only a session id gets a UUID, a UTC start time and path '/'."""
    record = Record(session_id="s1")
    assert len(record.id) == 36
    assert record.start_time.tzinfo is UTC
    assert record.session_path == "/"
    assert record.kind is RecordKind.CUSTOM
    assert record.status is Status.OK


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, "/"),
        ("", "/"),
        ("/", "/"),
        ("research", "/research"),
        ("/research/search/", "/research/search"),
        ("//a///b//", "/a/b"),
        (" /a / b ", "/a/b"),
    ],
)
def test_paths_are_normalised(raw: str | None, expected: str) -> None:
    """Paths get one leading slash, no trailing slash and no empty segments."""
    assert normalize_path(raw) == expected
    assert Record(session_id="s", session_path=raw).session_path == expected


def test_too_deep_path_is_rejected_with_the_limit() -> None:
    """A path deeper than the limit is an error that states the limit."""
    with pytest.raises(ValueError, match="at most 64"):
        normalize_path("/".join(["x"] * 65))


def test_bad_fields_are_named_in_the_error() -> None:
    """Each invalid field is named in the validation error."""
    with pytest.raises(ValidationError) as info:
        Record(session_id="", properties={"env": 1}, cost_usd=-1)  # type: ignore[dict-item]
    locs = {tuple(err["loc"]) for err in info.value.errors()}
    assert ("session_id",) in locs
    assert ("properties", "env") in locs
    assert ("cost_usd",) in locs


def test_unknown_fields_are_rejected() -> None:
    """A misspelt field is an error, not silently dropped."""
    with pytest.raises(ValidationError, match="sesion_id"):
        Record(session_id="s", sesion_id="typo")  # type: ignore[call-arg]


def test_naive_times_are_utc_and_aware_times_are_converted() -> None:
    """Naive datetimes are read as UTC; aware ones are converted to UTC."""
    naive = datetime(2026, 1, 1, 12, 0, 0)
    plus_two = datetime(2026, 1, 1, 14, 0, 0, tzinfo=timezone(timedelta(hours=2)))
    record = Record(session_id="s", start_time=naive, end_time=plus_two)
    assert record.start_time == datetime(2026, 1, 1, 12, tzinfo=UTC)
    assert record.end_time == datetime(2026, 1, 1, 12, tzinfo=UTC)
    assert record.latency_ms == 0.0


def test_end_before_start_is_rejected() -> None:
    """An end time before the start time is an error that says what to do."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(ValidationError, match="end_time is before start_time"):
        Record(session_id="s", start_time=start, end_time=start - timedelta(seconds=1))


def test_total_tokens_is_filled_from_input_and_output() -> None:
    """total_tokens defaults to input + output; an explicit total is kept."""
    assert Usage(input_tokens=10, output_tokens=5).total_tokens == 15
    assert Usage(input_tokens=10).total_tokens == 10
    assert Usage(input_tokens=10, output_tokens=5, total_tokens=99).total_tokens == 99
    assert Usage().total_tokens is None


def test_negative_tokens_are_rejected() -> None:
    """Token counts cannot be negative."""
    with pytest.raises(ValidationError, match="input_tokens"):
        Usage(input_tokens=-1)


def test_json_round_trip_is_lossless() -> None:
    """A record survives JSON serialisation and validation unchanged."""
    record = Record(
        session_id="s",
        session_name="n",
        session_path="/a/b",
        kind="llm",
        model="gpt-4o",
        properties={"env": "prod"},
        usage=Usage(input_tokens=3, output_tokens=4, cache_read_tokens=1),
        cost_usd=0.25,
        status="error",
        error={"type": "ValueError", "message": "boom"},
        request={"messages": [{"role": "user", "content": "hi"}]},
        response="hello",
        end_time=datetime.now(UTC) + timedelta(seconds=1),
    )
    again = Record.model_validate_json(record.model_dump_json())
    assert again == record
