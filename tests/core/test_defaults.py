"""Where the collector listens and keeps its data unless told otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from agenttrace._internal.config import Settings
from agenttrace.core.defaults import DEFAULT_ENDPOINT, DEFAULT_PORT, default_data_dir


def test_the_client_talks_to_the_port_the_collector_listens_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The client's default endpoint is the collector's default port on loopback."""
    monkeypatch.delenv("AGENTTRACE_ENDPOINT", raising=False)
    assert f"http://127.0.0.1:{DEFAULT_PORT}" == DEFAULT_ENDPOINT
    assert Settings.from_env().endpoint == DEFAULT_ENDPOINT


def test_data_directory_follows_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """AGENTTRACE_DATA_DIR wins (with ~ expanded); else the user's data directory."""
    monkeypatch.setenv("AGENTTRACE_DATA_DIR", str(tmp_path / "data"))
    assert default_data_dir() == tmp_path / "data"
    monkeypatch.setenv("AGENTTRACE_DATA_DIR", "~/traces")
    assert default_data_dir() == Path.home() / "traces"
    monkeypatch.delenv("AGENTTRACE_DATA_DIR")
    assert default_data_dir().name == "agenttrace"
