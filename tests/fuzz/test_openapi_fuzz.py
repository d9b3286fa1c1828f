"""Schemathesis against the collector's own OpenAPI document (``/openapi.json``), SQLite
store: for every endpoint, generated requests (valid and invalid) never get a 5xx, and every
answer matches the document (status code, content type, headers, body schema).

The collector requires an API key (every call sends one, so the key check runs on each) and
holds a few records, so that query answers have rows to check. ``AGENTTRACE_FUZZ_EXAMPLES``
sets the examples per endpoint (default 150: about 3 000 requests over 20 endpoints).

Whether the collector takes exactly what the document says (schemathesis'
``negative_data_rejection`` and ``positive_data_acceptance``, with the rules beyond JSON
Schema declared) is `test_schema_conformance`'s run, over real HTTP.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis

from agenttrace.server import open_store
from agenttrace.server.store import database_url_for

from .fuzz_app import CHECKS, fuzz_settings, seeded_app

pytestmark = pytest.mark.slow  # ~150 generated requests per endpoint, a few seconds each

_DIR = tempfile.TemporaryDirectory(prefix="agenttrace-fuzz-")
_STORE = open_store(database_url_for(Path(_DIR.name)))
_APP, _KEY = seeded_app(_STORE)
schema = schemathesis.openapi.from_asgi("/openapi.json", _APP)


@pytest.fixture(scope="module", autouse=True)
def _close_store() -> Iterator[None]:
    yield
    _STORE.close()
    _DIR.cleanup()


@schema.parametrize()
@fuzz_settings("AGENTTRACE_FUZZ_EXAMPLES", 150)
def test_no_server_error_and_every_answer_matches_the_document(case: schemathesis.Case) -> None:
    """Generated requests to this endpoint get no 5xx and answers the document describes."""
    case.call_and_validate(headers={"Authorization": f"Bearer {_KEY}"}, checks=CHECKS)
