"""One bad string never loses a batch: text UTF-8 cannot encode is repaired and the record
marked; a record that cannot be encoded at all is dropped alone, counted and reported.

Through the real ManualLogger and Shipper into the real collector (SQLite).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

import agenttrace
from agenttrace import ManualLogger
from agenttrace._internal.config import Settings
from agenttrace._internal.recorder import ResultRecorder
from agenttrace._internal.shipping import Shipper
from agenttrace.core.text_repair import REPAIRED_PROPERTY, repair_id
from agenttrace.records import ErrorInfo, Record, Status
from agenttrace.server.testing import RunningCollector
from agenttrace.testing import InMemoryExporter

if TYPE_CHECKING:
    from conftest import FakeCollector, ShipKit

LONE = json.loads('{"page":"\\ud83d"}')
"""What a tool returned: a JSON document cut inside an emoji's escape (a lone surrogate)."""


@pytest.fixture
def shipper(collector: RunningCollector, tmp_path: Path) -> Iterator[Shipper]:
    """The process tracer ships to the collector through this real Shipper."""
    settings = Settings.from_env(collector.url, spool_dir=tmp_path / "spool", flush_interval=0.05)
    shipper = Shipper(settings)
    agenttrace.configure(collector.url, exporter=shipper, spool_dir=tmp_path / "spool")
    try:
        yield shipper
    finally:
        agenttrace.configure(exporter=InMemoryExporter())


def stored(collector: RunningCollector, session_id: str) -> dict[str, dict[str, Any]]:
    """The collector's requests of ``session_id``, with bodies, by id."""
    with collector.client(timeout=10) as client:
        page = client.get(
            "/v1/requests",
            params={"session_id": session_id, "limit": 1000, "include_bodies": "true"},
        ).raise_for_status()
    return {row["id"]: row for row in page.json()["requests"]}


def tool(output: Any) -> Any:
    """A tool operation for ``log_request`` that returns ``output``."""

    def run(recorder: ResultRecorder) -> Any:
        recorder.append_results(output)
        return output

    return run


def test_a_lone_surrogate_in_tool_output_loses_no_record(
    collector: RunningCollector, shipper: Shipper
) -> None:
    """The issue's case: 30 tool calls, one whose output holds a lone surrogate, 30 more:
    flush succeeds, all 61 are stored, the bad one repaired (U+FFFD) and marked; a record
    of another session in the same batch is stored too."""
    logger = ManualLogger()
    with agenttrace.session(name="reader") as scope:
        for i in range(30):
            logger.log_request({"_type": "tool", "toolName": "read"}, tool({"page": f"p{i}"}))
        logger.log_request({"_type": "tool", "toolName": "read"}, tool(LONE))
        for i in range(30, 60):
            logger.log_request({"_type": "tool", "toolName": "read"}, tool({"page": f"p{i}"}))
    with agenttrace.session(name="other") as other:
        logger.log_request({"_type": "tool", "toolName": "read"}, tool({"page": "x"}))
    assert agenttrace.flush(30)

    rows = stored(collector, scope.id)
    assert len(rows) == 61
    repaired = [row for row in rows.values() if REPAIRED_PROPERTY in row["properties"]]
    assert [row["response_body"] for row in repaired] == [{"page": "\ufffd"}]
    assert repaired[0]["properties"][REPAIRED_PROPERTY] == "response"
    assert len(stored(collector, other.id)) == 1
    stats = shipper.stats
    assert (stats.sent, stats.repaired, stats.dropped, stats.spooled) == (62, 1, 0, 0)


def test_a_lone_surrogate_in_a_property_value_is_repaired(
    collector: RunningCollector, shipper: Shipper
) -> None:
    """A property value from an undecodable file name (os.fsdecode makes a lone surrogate)
    is stored as U+FFFD, beside the record's other properties and the mark."""
    logger = ManualLogger()
    name = b"report-\xff.pdf".decode("utf-8", "surrogateescape")
    with agenttrace.session(properties={"file": name, "team": "a"}) as scope:
        logger.log_request({"_type": "tool", "toolName": "open"}, tool({"ok": True}))
        logger.log_request({"_type": "tool", "toolName": "open"}, tool({"ok": True}))
    assert agenttrace.flush(30)

    rows = list(stored(collector, scope.id).values())
    assert [row["properties"]["file"] for row in rows] == ["report-\ufffd.pdf"] * 2
    assert {row["properties"]["team"] for row in rows} == {"a"}
    assert {row["properties"][REPAIRED_PROPERTY] for row in rows} == {"properties"}
    with collector.client(timeout=10) as client:
        found = client.get("/v1/sessions", params={"property": "file=report-\ufffd.pdf"})
    assert [s["session_id"] for s in found.json()["sessions"]] == [scope.id]


def test_surrogates_in_ids_names_and_errors_are_repaired_and_links_kept(
    collector: RunningCollector, shipper: Shipper
) -> None:
    """Records built with lone surrogates in their id, session id, name, path and error are
    built (not refused) and stored repaired; the ids alike wherever they appear, so a child
    still names its parent, and two ids that differ only there stay two records."""
    session_id = "s-\udcff"
    parent = Record(
        id="p-\ud800", session_id=session_id, name="plan-\udc80", session_path="/a/\udcff"
    )
    twin = Record(id="p-\ud801", session_id=session_id)
    child = Record(
        session_id=session_id,
        parent_id=parent.id,
        status=Status.ERROR,
        error=ErrorInfo(type="OSError", message="cannot open \udcff"),
    )
    for record in (parent, twin, child):
        shipper.emit(record)
    assert shipper.flush(30)

    rows = stored(collector, repair_id(session_id))
    assert set(rows) == {repair_id(parent.id), repair_id(twin.id), child.id}
    stored_parent, stored_child = rows[repair_id(parent.id)], rows[child.id]
    assert stored_parent["session_id"] == repair_id(session_id)
    assert stored_parent["name"] == "plan-\ufffd"
    assert stored_parent["session_path"] == "/a/\ufffd"
    assert stored_parent["properties"][REPAIRED_PROPERTY] == "id,name,session_id,session_path"
    assert stored_child["parent_id"] == repair_id(parent.id)
    assert stored_child["error"] == {"type": "OSError", "message": "cannot open \ufffd"}
    assert stored_child["properties"][REPAIRED_PROPERTY] == "error,parent_id,session_id"
    assert shipper.stats.repaired == 3


class NoRepr:
    """An object a tool may return whose ``repr`` raises."""

    def __repr__(self) -> str:
        msg = "no repr"
        raise RuntimeError(msg)


def _self_containing() -> dict[str, Any]:
    loop: dict[str, Any] = {"name": "loop"}
    loop["self"] = loop
    return loop


@pytest.mark.parametrize(
    ("output", "reason"),
    [(NoRepr(), "RuntimeError: no repr"), (_self_containing(), "Circular reference")],
    ids=["repr-raises", "contains-itself"],
)
def test_a_record_that_cannot_be_encoded_is_dropped_alone(
    collector: RunningCollector,
    shipper: Shipper,
    caplog: pytest.LogCaptureFixture,
    output: Any,
    reason: str,
) -> None:
    """A tool output JSON cannot express even repaired costs only its own record: the 20
    others logged around it are stored, one record is counted dropped, a warning names it
    and says why, and the flush says that not everything was stored."""
    logger = ManualLogger()
    read = {"_type": "tool", "toolName": "read"}
    with agenttrace.session() as scope:
        for i in range(10):
            logger.log_request(read, tool({"i": i}))
        logger.log_request(
            read, tool({"value": output}), additional_headers={"Helicone-Request-Id": "bad-1"}
        )
        for i in range(10, 20):
            logger.log_request(read, tool({"i": i}))
    with caplog.at_level(logging.WARNING, logger="agenttrace.shipping"):
        assert not agenttrace.flush(30)

    rows = stored(collector, scope.id)
    assert len(rows) == 20
    assert "bad-1" not in rows
    stats = shipper.stats
    assert (stats.sent, stats.dropped, stats.repaired) == (20, 1, 0)
    warning = "\n".join(r.getMessage() for r in caplog.records)
    assert "dropped 1 record(s) that cannot be encoded" in warning
    assert "'bad-1'" in warning
    assert reason in warning


def test_a_repaired_batch_is_spooled_and_delivered_later(
    collector: RunningCollector, down_collector: FakeCollector, kit: ShipKit
) -> None:
    """While the collector is away the batch goes to the spool already repaired; a later
    shipper delivers it from there under the same repaired ids."""
    away = kit.shipper(down_collector.url, retry_deadline=0.2)
    bad = Record(id="spooled-\ud800", session_id="spooled", response=LONE)
    good = Record(session_id="spooled", response={"page": "fine"})
    away.emit(bad)
    away.emit(good)
    away.shutdown(5)
    assert (away.stats.spooled, away.stats.repaired) == (2, 1)

    back = kit.shipper(collector.url)
    assert back.flush(30)
    rows = stored(collector, "spooled")
    assert set(rows) == {repair_id(bad.id), good.id}
    assert rows[repair_id(bad.id)]["response_body"] == {"page": "\ufffd"}
    assert back.stats.delivered_from_spool == 2
