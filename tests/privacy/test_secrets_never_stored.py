"""End to end: secrets masked by the client's redaction hook, bodies left out by
``send_bodies=False`` or by Helicone-Omit-*, never reach the collector's database. The
records go through the real background shipper to a real collector over SQLite, and the
bytes of every database file are searched afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import agenttrace
from agenttrace import ManualLogger
from agenttrace.records import Record
from agenttrace.redaction import redact_secrets
from agenttrace.server.testing import running_collector
from agenttrace.testing import InMemoryExporter

OPENAI_KEY = "sk-proj-Zq8TfV2mK9xLw4Rb7NcYh1Ps"
AWS_KEY = "AKIAZ7QXW3RTY6UIOP2L"
EMAIL = "dana.whitfield@example.org"
CARD = "4539 1488 0343 6467"
PASSWORD = "Tr0ub4dor&3"
MARKER = "visible-marker-3f9a"
SECRETS = (OPENAI_KEY, AWS_KEY, EMAIL, CARD, CARD.replace(" ", ""), PASSWORD)


def _database_bytes(data_dir: Path) -> bytes:
    """Every file the SQLite store wrote (database, WAL, shared memory), concatenated."""
    return b"".join(p.read_bytes() for p in sorted(data_dir.rglob("*")) if p.is_file())


def _leaks(data: bytes, secrets: tuple[str, ...] = SECRETS) -> list[str]:
    encodings = ("utf-8", "utf-16-le")
    return [s for s in secrets for e in encodings if s.encode(e) in data]


def _request_body() -> dict[str, Any]:
    return {
        "headers": {"Authorization": f"Bearer {OPENAI_KEY}"},
        "messages": [
            {"role": "system", "content": f"aws key {AWS_KEY}; db password={PASSWORD}"},
            {"role": "user", "content": f"Bill {EMAIL} on card {CARD}. {MARKER}"},
        ],
    }


@pytest.fixture
def process_tracer() -> Iterator[None]:
    """Leave a harmless in-memory process tracer behind whatever the test configured."""
    yield
    agenttrace.configure(exporter=InMemoryExporter())


def test_redacted_secrets_never_reach_the_database(tmp_path: Path, process_tracer: None) -> None:
    """ManualLogger and a direct emit, with ``redact=redact_secrets``: the records arrive
    (the marker is in the file) but no secret is anywhere in the database files."""
    data_dir = tmp_path / "collector"
    with running_collector(data_dir=data_dir) as collector:
        agenttrace.configure(collector.url, redact=redact_secrets, spool_dir=tmp_path / "spool")
        logger = ManualLogger(headers={"Helicone-Session-Id": "privacy"})

        def operation(recorder: Any) -> str:
            recorder.append_results({"reply": f"charged {CARD} for {EMAIL}", "key": OPENAI_KEY})
            return "done"

        assert logger.log_request(_request_body(), operation) == "done"

        def failing(recorder: Any) -> str:
            msg = f"401 from the provider: invalid key {OPENAI_KEY} for {EMAIL} ({MARKER})"
            raise PermissionError(msg)

        with pytest.raises(PermissionError, match="invalid key"):  # re-raised unredacted
            logger.log_request({"_type": "tool", "toolName": "pay"}, failing)
        agenttrace.emit(
            Record(
                id="direct",
                session_id="privacy",
                request=_request_body(),
                response={"set-cookie": f"session={PASSWORD}", "note": MARKER},
            )
        )
        assert agenttrace.flush(20.0)
        rows = httpx.get(
            f"{collector.url}/v1/requests", params={"session_id": "privacy", "include_bodies": True}
        ).json()["requests"]
        assert len(rows) == 3
        failed = next(r for r in rows if r["status"] == "error")
        assert failed["error"]["type"] == "PermissionError"
        assert "key [REDACTED:api_key] for [REDACTED:email]" in failed["error"]["message"]
        assert MARKER in failed["error"]["message"]
        direct = next(r for r in rows if r["id"] == "direct")
        headers = direct["request_body"]["headers"]
        assert headers == {"Authorization": "[REDACTED:secret]"}
        assert "[REDACTED:card]" in direct["request_body"]["messages"][1]["content"]
    agenttrace.shutdown(5.0)
    stored = _database_bytes(data_dir)
    assert MARKER.encode() in stored  # the search would find text that is there
    assert _leaks(stored) == []


def test_the_spool_holds_only_redacted_bodies(tmp_path: Path, process_tracer: None) -> None:
    """With the collector down, records wait in the disk spool: already redacted there."""
    with running_collector(data_dir=tmp_path / "gone") as collector:
        url = collector.url  # a port nobody listens on once the block ends
    spool = tmp_path / "spool"
    tracer = agenttrace.configure(
        url, redact=redact_secrets, spool_dir=spool, retry_deadline=0.2, request_timeout=0.5
    )
    tracer.emit(Record(id="queued", session_id="privacy", request=_request_body()))
    tracer.shutdown(10.0)
    spooled = _database_bytes(spool)
    assert MARKER.encode() in spooled
    assert _leaks(spooled) == []


def test_no_bodies_and_omitted_bodies_never_reach_the_database(
    tmp_path: Path, process_tracer: None
) -> None:
    """``send_bodies=False`` drops every body; Helicone-Omit-Request / -Response drop one
    call's; the rest of those records (ids, names, sessions) is stored."""
    data_dir = tmp_path / "collector"
    with running_collector(data_dir=data_dir) as collector:
        agenttrace.configure(collector.url, spool_dir=tmp_path / "spool")
        logger = ManualLogger(headers={"Helicone-Session-Id": "omit"})
        logger.log_request(
            {"prompt": f"omit-request {OPENAI_KEY}"},
            lambda r: r.append_results({"visible": MARKER}),
            additional_headers={"Helicone-Omit-Request": "true"},
        )
        logger.log_request(
            {"prompt": MARKER},
            lambda r: r.append_results({"answer": f"omit-response {EMAIL}"}),
            additional_headers={"Helicone-Omit-Response": "1"},
        )
        assert agenttrace.flush(20.0)
        agenttrace.configure(collector.url, send_bodies=False, spool_dir=tmp_path / "spool")
        agenttrace.emit(
            Record(id="no-bodies", session_id="omit", request={"k": PASSWORD}, response=CARD)
        )
        assert agenttrace.flush(20.0)
        total = httpx.get(f"{collector.url}/v1/requests", params={"session_id": "omit"})
        assert total.json()["total"] == 3
    agenttrace.shutdown(5.0)
    stored = _database_bytes(data_dir)
    assert MARKER.encode() in stored
    assert _leaks(stored, (OPENAI_KEY, EMAIL, PASSWORD, CARD)) == []
