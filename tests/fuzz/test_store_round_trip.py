"""Whatever valid record goes in comes back out unchanged, on SQLite and on PostgreSQL:
generated records (any text, any JSON bodies within the limits) are ingested through the
collector's batch parser and limit checks, and read back field by field."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.support.postgres_server import require_server, temporary_schema

from agenttrace.records import Record
from agenttrace.server._ingest_route import parse_batch
from agenttrace.server._limits import Limits, record_problem
from agenttrace.server.store import Store, database_url_for, open_store

from .test_properties import valid_records

_numbers = itertools.count()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A fresh store of each backend."""
    if request.param == "sqlite":
        opened = open_store(database_url_for(tmp_path))
        yield opened
        opened.close()
        return
    with temporary_schema(require_server()) as url:
        opened = open_store(url)
        yield opened
        opened.close()


@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(valid_records, min_size=1, max_size=4))
def test_records_come_back_as_they_went_in(store: Store, records: list[Record]) -> None:
    """Each accepted record reads back with the same fields and bodies; a record the limits
    refuse (here: the stores' index budget) is refused before the store sees it."""
    number = next(_numbers)
    records = [
        record.model_copy(update={"id": f"{number}-{index}-{record.id}"})
        for index, record in enumerate(records)
    ]
    body = json.dumps({"records": [json.loads(r.model_dump_json()) for r in records]}).encode()
    valid, rejected = parse_batch(body, Limits())
    assert len(valid) + len(rejected) == len(records)
    for item in rejected:
        assert record_problem(records[item.index], Limits()) == item.message
    counts = store.ingest("fuzz", valid)
    assert counts.accepted == len(valid)
    for record in valid:
        row = store.get_request("fuzz", record.id)
        assert row is not None
        assert (row.session_id, row.session_path, row.name, row.user_id) == (
            record.session_id,
            record.session_path,
            record.name,
            record.user_id,
        )
        custom = {k: v for k, v in row.properties.items() if not k.startswith("Helicone-")}
        assert custom == {
            k: v for k, v in record.properties.items() if not k.startswith("Helicone-")
        }
        assert row.request_body == record.request
        assert row.response_body == record.response
        assert row.cost_usd == record.cost_usd
