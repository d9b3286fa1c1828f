"""Schemathesis' command line against a real collector (uvicorn on 127.0.0.1, SQLite,
keyed, seeded with records) over its whole OpenAPI document, with every check and both
valid and invalid data.

Among the checks, ``positive_data_acceptance`` fails when a request valid by the document
is refused, and ``negative_data_rejection`` when an invalid one is taken: the document and
the collector must say the same thing. The rules JSON Schema cannot state are
declared in `schema_rules`. Deterministic (fixed seed, one worker) and bounded:
``AGENTTRACE_SCHEMA_EXAMPLES`` examples per operation (default 15). Two runs: the
examples, fuzzing and stateful phases over every operation, and the coverage phase (which
walks every keyword of a schema, not bounded by the examples) over every operation but the
five Helicone queries whose filter-tree schema would take it minutes.

The same runs by hand, against any collector::

    st run http://127.0.0.1:8787/openapi.json -H "Authorization: Bearer $KEY" \\
        --checks all --seed 1 -n 15 -w 1 --phases examples,fuzzing,stateful
    st run ... --phases coverage --exclude-path-regex '<FILTER_QUERIES below>'
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from agenttrace.server import open_store
from agenttrace.server.store import database_url_for
from agenttrace.server.testing import serve_in_thread

from .fuzz_app import seeded_app

pytestmark = pytest.mark.slow

_HERE = Path(__file__).resolve().parent
_SEED = "1"
FILTER_QUERIES = (
    r"^/v1/(session/query|session/name/query|request/query|request/count/query"
    r"|request/query-clickhouse)$"
)
RUNS = {
    "examples-fuzzing-stateful": ["--phases", "examples,fuzzing,stateful"],
    "coverage": ["--phases", "coverage", "--exclude-path-regex", FILTER_QUERIES],
}


@pytest.mark.timeout(900)
@pytest.mark.parametrize("run", sorted(RUNS))
def test_the_collector_and_its_document_agree(run: str) -> None:
    """Schemathesis finds no request the collector treats unlike its OpenAPI document says
    (and no 5xx, no undocumented status, header or body)."""
    examples = os.environ.get("AGENTTRACE_SCHEMA_EXAMPLES", "15")
    with tempfile.TemporaryDirectory(prefix="agenttrace-schema-") as data_dir:
        store = open_store(database_url_for(Path(data_dir)))
        try:
            app, key = seeded_app(store)
            with serve_in_thread(app) as url:
                command = [
                    sys.executable, "-m", "schemathesis.cli", "run", f"{url}/openapi.json",
                    "--header", f"Authorization: Bearer {key}", "--checks", "all",
                    "--seed", _SEED, "--max-examples", examples, "--workers", "1",
                    "--no-color", *RUNS[run],
                ]  # fmt: skip
                paths = [str(_HERE), *filter(None, [os.environ.get("PYTHONPATH")])]
                environment = {
                    **os.environ,
                    "SCHEMATHESIS_HOOKS": "schema_rules",
                    "PYTHONPATH": os.pathsep.join(paths),
                }
                done = subprocess.run(  # in the temporary directory: st leaves files
                    command,
                    check=False,
                    capture_output=True,
                    text=True,
                    env=environment,
                    cwd=data_dir,
                )
        finally:
            store.close()
    report = done.stdout[-20_000:] + done.stderr[-5_000:]
    assert done.returncode == 0, report
