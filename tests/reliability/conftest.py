"""Fixtures of the reliability suite: real collector processes, proxies, shippers, databases.

Every collector is a real ``python -m agenttrace.server`` process on a free port (so a test
can ``kill -9`` it), every spool is under ``tmp_path``, and everything a test starts is
stopped at teardown even when the test fails. The helpers live in the ``faultkit`` package
next to this file (see its docstring).

PostgreSQL variants use a fresh schema per test on the test server
(`tests.support.postgres_server`); without a server they skip, except under
``CI=true`` where they fail.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from faultkit import CollectorProcess, TcpProxy, Workload  # noqa: E402
from faultkit.children import EmitterProcess  # noqa: E402
from tests.support.postgres_server import require_server, temporary_schema  # noqa: E402

from agenttrace._internal.config import Settings  # noqa: E402
from agenttrace._internal.shipping import Shipper  # noqa: E402

MakeCollector = Callable[[str], CollectorProcess]
MakeProxy = Callable[[int], TcpProxy]
MakeShipper = Callable[..., Shipper]
MakeEmitter = Callable[..., EmitterProcess]


def sqlite_url_in(directory: Path) -> str:
    """A SQLite database URL for a file in ``directory``."""
    return f"sqlite:///{(directory / 'collector.db').resolve()}"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite database file under ``tmp_path``."""
    return sqlite_url_in(tmp_path)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL on a fresh, empty PostgreSQL schema (dropped after the test)."""
    with temporary_schema(require_server(), prefix="agenttrace_reliability") as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database of each backend: a SQLite file, then a PostgreSQL schema."""
    if request.param == "sqlite":
        yield sqlite_url_in(tmp_path)
        return
    with temporary_schema(require_server(), prefix="agenttrace_reliability") as url:
        yield url


@pytest.fixture
def collectors(tmp_path: Path) -> Iterator[MakeCollector]:
    """``collectors(database_url)`` -> a (not yet started) collector process; all are
    killed at teardown."""
    made: list[CollectorProcess] = []

    def make(database_url: str) -> CollectorProcess:
        collector = CollectorProcess(database_url, tmp_path / "logs")
        made.append(collector)
        return collector

    yield make
    for collector in made:
        collector.close()


@pytest.fixture
def proxies() -> Iterator[MakeProxy]:
    """``proxies(upstream_port)`` -> a `TcpProxy` to 127.0.0.1:port; all closed at teardown."""
    made: list[TcpProxy] = []

    def make(upstream_port: int) -> TcpProxy:
        proxy = TcpProxy(upstream_port)
        made.append(proxy)
        return proxy

    yield make
    for proxy in made:
        proxy.close()


@pytest.fixture
def spool_dir(tmp_path: Path) -> Path:
    """The test's spool directory (never the user's cache)."""
    return tmp_path / "spool"


@pytest.fixture
def shippers(spool_dir: Path) -> Iterator[MakeShipper]:
    """``shippers(endpoint, transport=None, **settings)`` -> a `Shipper` spooling to
    ``spool_dir``; all shut down at teardown."""
    made: list[Shipper] = []

    def make(
        endpoint: str, transport: httpx.BaseTransport | None = None, **overrides: Any
    ) -> Shipper:
        values: dict[str, Any] = {
            "spool_dir": spool_dir,
            "flush_interval": 0.05,
            "request_timeout": 10.0,
            "shutdown_timeout": 10.0,
            **overrides,
        }
        shipper = Shipper(Settings.from_env(endpoint, **values), transport=transport)
        made.append(shipper)
        return shipper

    yield make
    for shipper in made:
        shipper.shutdown(10.0)


@pytest.fixture
def emitters(tmp_path: Path) -> Iterator[MakeEmitter]:
    """``emitters(*args)`` -> a running ``faultkit.emitter`` child; all killed at teardown."""
    made: list[EmitterProcess] = []

    def make(*args: str) -> EmitterProcess:
        child = EmitterProcess(list(args), tmp_path / f"emitter-{len(made)}.log")
        made.append(child)
        return child

    yield make
    for child in made:
        child.close()


@pytest.fixture
def workload() -> Workload:
    """A fresh `Workload` (its own run id, so its sessions are new)."""
    return Workload()
