"""The schemathesis run of `test_openapi_fuzz`, against a collector on PostgreSQL (fewer
examples: ``AGENTTRACE_FUZZ_EXAMPLES_POSTGRES`` per endpoint, default 40). Skips without a
test server, and fails under ``CI=true``."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import pytest
import schemathesis
from tests.support.postgres_server import ENABLE_HINT, find_server, temporary_schema

from agenttrace.server import open_store

from .fuzz_app import CHECKS, fuzz_settings, seeded_app

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

_SERVER, _WHY = find_server()
if _SERVER is None:
    _MESSAGE = f"no PostgreSQL for the fuzz tests ({_WHY}); to run them, {ENABLE_HINT}"
    if os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}:
        pytest.fail(f"CI=true and {_MESSAGE}", pytrace=False)
    pytest.skip(_MESSAGE, allow_module_level=True)

_SCHEMA = contextlib.ExitStack()
_STORE = open_store(_SCHEMA.enter_context(temporary_schema(_SERVER)))
_SCHEMA.callback(_STORE.close)  # runs before the schema is dropped
_APP, _KEY = seeded_app(_STORE)
schema = schemathesis.openapi.from_asgi("/openapi.json", _APP)


@pytest.fixture(scope="module", autouse=True)
def _drop_schema() -> Iterator[None]:
    yield
    _SCHEMA.close()


@schema.parametrize()
@fuzz_settings("AGENTTRACE_FUZZ_EXAMPLES_POSTGRES", 40)
def test_no_server_error_and_every_answer_matches_the_document(case: schemathesis.Case) -> None:
    """Generated requests to this endpoint get no 5xx and answers the document describes."""
    case.call_and_validate(headers={"Authorization": f"Bearer {_KEY}"}, checks=CHECKS)
