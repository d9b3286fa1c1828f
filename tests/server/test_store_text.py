"""Both stores hold NUL and lone surrogates alike: repaired by one rule at ingest
(`agenttrace.core.text_repair`), found again by the text that was given.

PostgreSQL text cannot hold NUL (it used to store U+FFFD in its place, so that ``a\\x00``
and ``a\\ufffd`` were one record there and two on SQLite); SQLite can. Written once against
the `Store` interface; runs for every backend in ``STORE_BACKENDS``.
"""

from __future__ import annotations

from typing import Any

from agenttrace.core.text_repair import REPAIRED_PROPERTY, repair_id
from agenttrace.records import Record
from agenttrace.server.store import (
    RequestQuery,
    SessionQuery,
    Store,
    request_filter,
    session_filter,
)

PROJECT = "default"


def _request(store: Store, record_id: str) -> dict[str, Any]:
    row = store.get_request(PROJECT, record_id)
    assert row is not None, f"request {record_id!r} not found"
    return row.model_dump(mode="json")


def test_ids_that_differ_only_by_nul_stay_apart(store: Store) -> None:
    """``a\\x00`` and ``a\\ufffd`` are two records, in two sessions, on every store, each
    found by the id it was given; a retry is a duplicate."""
    records = [
        Record(id="a\x00", session_id="s\x00"),
        Record(id="a\ufffd", session_id="s\ufffd"),
        Record(id="a\ud800", session_id="s\ud800"),
    ]
    counts = store.ingest(PROJECT, records)
    assert (counts.accepted, counts.duplicates) == (3, 0)
    again = store.ingest(PROJECT, records)
    assert (again.accepted, again.duplicates) == (0, 3)
    for record in records:
        row = _request(store, record.id)
        assert row["id"] == repair_id(record.id)
        assert row["session_id"] == repair_id(record.session_id)
        detail = store.get_session(PROJECT, record.session_id)
        assert detail is not None
        assert detail.session.request_count == 1
    repaired = _request(store, "a\ufffd")
    assert (repaired["session_id"], repaired["properties"]) == ("s\ufffd", {})
    assert store.query_sessions(PROJECT, SessionQuery()).total == 3


def test_nul_in_text_columns_is_stored_as_the_replacement_character(store: Store) -> None:
    """NUL in names, path, user, model, properties and the error: U+FFFD on every store, the
    record marked; the bodies keep their NUL; filters with the text given find it."""
    record = Record(
        id="nul",
        session_id="s-nul",
        session_name="a\x00b",
        session_path="/x\x00/y",
        name="n\x00",
        user_id="u\x00",
        model="m\x00",
        properties={"k\x00": "v\x00"},
        status="error",
        error={"type": "E\x00", "message": "m\x00"},
        request={"q": "x\x00y"},
        response="r\x00",
    )
    assert store.ingest(PROJECT, [record]).accepted == 1
    row = _request(store, "nul")
    assert (row["session_name"], row["session_path"], row["name"]) == (
        "a\ufffdb",
        "/x\ufffd/y",
        "n\ufffd",
    )
    assert (row["user_id"], row["model"]) == ("u\ufffd", "m\ufffd")
    assert row["error"] == {"type": "E\ufffd", "message": "m\ufffd"}
    assert row["request_body"] == {"q": "x\x00y"}
    assert row["response_body"] == "r\x00"
    assert row["properties"]["k\ufffd"] == "v\ufffd"
    assert row["properties"][REPAIRED_PROPERTY] == (
        "error,model,name,properties,session_name,session_path,user_id"
    )
    by_property = store.query_sessions(
        PROJECT, SessionQuery(filter=session_filter(properties=[("k\x00", "v\x00")]))
    )
    assert [s.session_id for s in by_property.sessions] == ["s-nul"]
    assert by_property.sessions[0].session_name == "a\ufffdb"
    by_user = store.query_requests(PROJECT, RequestQuery(filter=request_filter(user_id="u\x00")))
    assert [r.id for r in by_user.requests] == ["nul"]


def test_surrogates_in_bodies_are_stored_repaired(store: Store) -> None:
    """A record handed to the store directly with lone surrogates in its bodies and text
    is stored (not refused by the database's encoder), repaired alike on every store."""
    record = Record(id="lone", session_id="s-lone", name="n\udc00", request={"k\ud800": ["\udfff"]})
    assert store.ingest(PROJECT, [record]).accepted == 1
    row = _request(store, "lone")
    assert row["name"] == "n\ufffd"
    assert row["request_body"] == {"k\ufffd": ["\ufffd"]}
    assert row["properties"][REPAIRED_PROPERTY] == "name,request"
