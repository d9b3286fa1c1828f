"""``POST /v1/records`` with text a store cannot hold (JSON ``\\ud800`` escapes decode to
lone surrogates, ``\\u0000`` to NUL): never a 500; the records are stored repaired and
marked, and the valid records of the batch are stored with them."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

import httpx

from agenttrace.core.text_repair import REPAIRED_PROPERTY, repair_id
from agenttrace.server.testing import RunningCollector

JSON = {"content-type": "application/json"}


def post(client: httpx.Client, body: str | bytes) -> httpx.Response:
    """POST ``body`` (raw JSON text, escapes as written) to /v1/records."""
    return client.post("/v1/records", content=body, headers=JSON)


def request_row(client: httpx.Client, record_id: str) -> dict[str, Any]:
    """The stored request ``record_id`` (asserting it exists)."""
    answer = client.get("/v1/requests/" + urllib.parse.quote(record_id, safe=""))
    assert answer.status_code == 200, answer.text
    row: dict[str, Any] = answer.json()
    return row


def test_a_surrogate_in_a_property_stores_the_batch(collector: RunningCollector) -> None:
    """The issue's body: 200, not 500 (which clients retry forever); ok1 is stored, and b
    with its value repaired and the mark."""
    body = (
        '{"records":[{"id":"ok1","session_id":"s"},'
        '{"id":"b","session_id":"s","properties":{"k":"v\\ud800"}}]}'
    )
    with collector.client() as client:
        answer = post(client, body)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"accepted": 2, "duplicates": 0, "rejected": []}
        assert request_row(client, "ok1")["properties"] == {}
        properties = request_row(client, "b")["properties"]
        assert properties["k"] == "v\ufffd"
        assert properties[REPAIRED_PROPERTY] == "properties"


def test_a_surrogate_in_an_id_is_stored_under_a_repaired_id(collector: RunningCollector) -> None:
    """A lone surrogate in a record id: 200; the record is stored under the repaired id
    (found again by the id as sent), and a retry of the batch is a duplicate."""
    body = '{"records":[{"id":"ok2","session_id":"s"},{"id":"b\\ud800","session_id":"s"}]}'
    with collector.client() as client:
        answer = post(client, body)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"accepted": 2, "duplicates": 0, "rejected": []}
        assert post(client, body).json() == {"accepted": 0, "duplicates": 2, "rejected": []}
        row = request_row(client, repair_id("b\ud800"))
        assert row["properties"][REPAIRED_PROPERTY] == "id"
        request_row(client, "ok2")


def test_a_rejected_record_with_a_surrogate_id_is_named_in_valid_json(
    collector: RunningCollector,
) -> None:
    """A record refused for another fault, whose id holds a lone surrogate, is reported by
    its repaired id in an answer any client can read; the valid record is stored."""
    body = json.dumps(
        {"records": [{"id": "ok3", "session_id": "s"}, {"id": "x\udc00", "session_id": ""}]}
    )
    with collector.client() as client:
        answer = post(client, body)
        assert answer.status_code == 200, answer.text
        result = answer.json()
        assert result["accepted"] == 1
        assert [(r["index"], r["id"]) for r in result["rejected"]] == [(1, repair_id("x\udc00"))]
        assert "session_id" in result["rejected"][0]["message"]


def test_surrogates_and_nul_everywhere_in_one_record(collector: RunningCollector) -> None:
    """Every field that holds text, bodies nested included: stored, each repaired, NUL kept
    in the bodies (JSON holds it), and the mark lists the repaired fields."""
    record = {
        "id": "all",
        "session_id": "s-all\x00",
        "session_name": "name\ud800",
        "session_path": "/a\udc00/b",
        "parent_id": "p\ud800",
        "name": "tool\x00",
        "model": "m\ud800",
        "provider": "p\udfff",
        "user_id": "u\ud800",
        "branch_id": "b\x00",
        "properties": {"k\ud800": "v\x00"},
        "error": {"type": "E\ud800", "message": "m\x00"},
        "status": "error",
        "request": {"q\ud800": ["x\x00", {"deep": "\udfff"}]},
        "response": "r\ud800",
    }
    with collector.client() as client:
        answer = post(client, json.dumps({"records": [record]}))
        assert answer.json() == {"accepted": 1, "duplicates": 0, "rejected": []}
        row = request_row(client, "all")
    assert row["session_id"] == repair_id("s-all\x00")
    assert row["parent_id"] == repair_id("p\ud800")
    assert (row["session_name"], row["session_path"], row["name"]) == (
        "name\ufffd",
        "/a\ufffd/b",
        "tool\ufffd",
    )
    assert (row["model"], row["provider"], row["user_id"], row["branch_id"]) == (
        "m\ufffd",
        "p\ufffd",
        "u\ufffd",
        "b\ufffd",
    )
    assert row["error"] == {"type": "E\ufffd", "message": "m\ufffd"}
    assert row["request_body"] == {"q\ufffd": ["x\x00", {"deep": "\ufffd"}]}
    assert row["response_body"] == "r\ufffd"
    assert row["properties"]["k\ufffd"] == "v\ufffd"
    assert row["properties"][REPAIRED_PROPERTY] == (
        "branch_id,error,model,name,parent_id,properties,provider,request,response,"
        "session_id,session_name,session_path,user_id"
    )


def test_an_escaped_emoji_is_not_repaired(collector: RunningCollector) -> None:
    """A valid surrogate pair escape (what ensure_ascii JSON writers send) is the emoji,
    stored as it is and not marked."""
    with collector.client() as client:
        answer = post(
            client, '{"records":[{"id":"emoji","session_id":"s","name":"\\ud83d\\ude00"}]}'
        )
        assert answer.json()["accepted"] == 1
        row = request_row(client, "emoji")
    assert row["name"] == "\U0001f600"
    assert REPAIRED_PROPERTY not in row["properties"]
