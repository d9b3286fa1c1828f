"""httpx and tenacity load on the shipper's worker thread, never on the caller's, and a fork
while they load leaves a child that still ships."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from conftest import FakeCollector

SETUP = """
import json, os, sys, threading
from agenttrace._internal.config import Settings
from agenttrace._internal.shipping import Shipper
from agenttrace.records import Record

URL, SPOOL = sys.argv[1], sys.argv[2]
"""


def run_script(body: str, *args: str) -> dict[str, Any]:
    """Run SETUP + ``body`` in a fresh interpreter; its last line of output, as JSON."""
    code = textwrap.dedent(SETUP) + textwrap.dedent(body)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AGENTTRACE_", "PYTEST_"))}
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


def test_httpx_is_imported_by_the_worker_thread(
    fake_collector: FakeCollector, tmp_path: Path
) -> None:
    """The first emit starts the worker; httpx and tenacity are imported on its thread."""
    result = run_script(
        """
        importers = {}

        def audit(event, args):
            if event == "import" and args[0] in ("httpx", "tenacity"):
                importers.setdefault(args[0], threading.current_thread().name)

        sys.addaudithook(audit)
        shipper = Shipper(Settings.from_env(URL, spool_dir=SPOOL))
        record = Record(session_id="lazy")
        shipper.emit(record)
        delivered = shipper.flush(30.0) and shipper.shutdown(5.0)
        print(json.dumps({"importers": importers, "delivered": delivered, "id": record.id}))
        """,
        fake_collector.url,
        str(tmp_path / "spool"),
    )
    assert result["importers"] == {"httpx": "agenttrace-shipper", "tenacity": "agenttrace-shipper"}
    assert result["delivered"]
    assert fake_collector.stored_ids() == {result["id"]}


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_fork_while_the_worker_imports_leaves_a_child_that_ships(
    fake_collector: FakeCollector, tmp_path: Path
) -> None:
    """A fork waits for the worker's import to finish, so the child's worker is not stuck
    on an import lock held by a thread the child does not have."""
    result = run_script(
        """
        import importlib.abc

        parent = os.getpid()
        importing, release = threading.Event(), threading.Event()

        class HoldHttpx(importlib.abc.MetaPathFinder):
            # keeps the worker's import of httpx open until `release` is set
            def find_spec(self, name, path, target=None):
                if name == "httpx" and os.getpid() == parent:
                    importing.set()
                    release.wait(30.0)
                return None

        sys.meta_path.insert(0, HoldHttpx())
        shipper = Shipper(Settings.from_env(URL, spool_dir=SPOOL))
        shipper.emit(Record(session_id="parent"))
        assert importing.wait(30.0)
        threading.Timer(2.0, release.set).start()  # the fork must not happen before this
        child_record = Record(session_id="child")
        pid = os.fork()
        if pid == 0:
            code = 3
            try:
                shipper.emit(child_record)
                code = 0 if shipper.flush(15.0) else 1
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        parent_ok = shipper.flush(30.0) and shipper.shutdown(5.0)
        print(json.dumps({
            "child_exit": os.waitstatus_to_exitcode(status),
            "parent_ok": parent_ok,
            "child_id": child_record.id,
        }))
        """,
        fake_collector.url,
        str(tmp_path / "spool"),
    )
    assert result["child_exit"] == 0
    assert result["parent_ok"]
    assert result["child_id"] in fake_collector.stored_ids()


def test_opentelemetry_is_imported_by_the_export_thread(tmp_path: Path) -> None:
    """``configure(otlp_endpoint=...)`` and a record: the OpenTelemetry SDK and its OTLP
    exporter are imported on the export thread, not on the caller's."""
    result = run_script(
        """
        import agenttrace

        importers = {}

        def audit(event, args):
            if event == "import" and args[0] in (
                "opentelemetry.sdk.trace", "opentelemetry.exporter.otlp.proto.http"
            ):
                importers.setdefault(args[0], threading.current_thread().name)

        sys.addaudithook(audit)
        agenttrace.configure(
            otlp_endpoint="http://127.0.0.1:9", export_to="otlp", spool_dir=SPOOL,
            shutdown_timeout=0.5,
        )
        loaded_by_configure = sorted(
            name for name in sys.modules
            if name.startswith("opentelemetry.") and sys.modules[name].__file__
        )
        agenttrace.emit(Record(session_id="lazy"))
        agenttrace.flush(1.0)
        import time
        deadline = time.monotonic() + 60  # a loaded machine: the thread may still import
        while len(importers) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        print(json.dumps({"importers": importers, "configure": loaded_by_configure}))
        """,
        "http://127.0.0.1:9",
        str(tmp_path / "spool"),
    )
    assert result["importers"] == {
        "opentelemetry.sdk.trace": "agenttrace-otel",
        "opentelemetry.exporter.otlp.proto.http": "agenttrace-otel",
    }
    assert result["configure"] == []  # at most namespace packages, found by the extra's check
