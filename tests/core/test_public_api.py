"""The public import surface."""

from __future__ import annotations

import subprocess
import sys

import pytest

import agenttrace

HEAVY_MODULES = ("httpx", "genai_prices", "agenttrace.query", "agenttrace.server", "rich")


def _modules_loaded_by(code: str) -> set[str]:
    """Which of `HEAVY_MODULES` a fresh interpreter has loaded after running ``code``."""
    probe = f"{code}\nimport sys\nprint(' '.join(m for m in {HEAVY_MODULES!r} if m in sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    return set(done.stdout.split())


def test_all_lists_exactly_the_public_names() -> None:
    """__all__ is sorted and names exactly the public names dir() shows, each one loadable."""
    public = {
        name for name in dir(agenttrace) if not name.startswith("_") and name != "annotations"
    }
    modules = {name for name in public if type(getattr(agenttrace, name)).__name__ == "module"}
    assert agenttrace.__all__ == sorted(agenttrace.__all__)
    assert set(agenttrace.__all__) - {"__version__"} == public - modules
    for name in agenttrace.__all__:
        assert getattr(agenttrace, name) is not None


def test_public_names_are_the_objects_of_their_modules() -> None:
    """A name loaded on first use is the very object its module defines."""
    from agenttrace._internal.manual_logger import ManualLogger
    from agenttrace.query import QueryClient
    from agenttrace.records import Record

    assert agenttrace.ManualLogger is ManualLogger
    assert agenttrace.QueryClient is QueryClient
    assert agenttrace.Record is Record


def test_an_unknown_name_is_an_attribute_error() -> None:
    """A name agenttrace does not have raises AttributeError, as for any module."""
    with pytest.raises(AttributeError, match="no attribute 'QueryClients'"):
        _ = agenttrace.QueryClients  # type: ignore[attr-defined]


def test_import_loads_no_http_client_prices_query_client_or_server() -> None:
    """`import agenttrace` loads neither httpx, genai-prices, the query client nor the server."""
    assert _modules_loaded_by("import agenttrace") == set()


def test_tracing_names_load_no_http_client_prices_or_query_client() -> None:
    """Using the tracing API loads neither httpx nor genai-prices nor the query client."""
    code = (
        "import agenttrace\n"
        "from agenttrace import ManualLogger, LogBuilder, configure, session, parse_headers\n"
        "from agenttrace.testing import InMemoryExporter\n"
        "configure(exporter=InMemoryExporter())\n"
        "with session(name='s'):\n"
        "    ManualLogger().log_request({'_type': 'tool', 'toolName': 't'}, lambda r: 1)\n"
    )
    assert _modules_loaded_by(code) == set()


def test_the_query_client_loads_on_first_use() -> None:
    """Naming QueryClient loads the query client (and httpx) then, not before."""
    assert {"agenttrace.query", "httpx"} <= _modules_loaded_by(
        "import agenttrace\nagenttrace.QueryClient"
    )
