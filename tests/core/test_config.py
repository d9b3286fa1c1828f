"""Client settings: arguments win over environment variables; bad values are explained."""

from __future__ import annotations

from pathlib import Path

import pytest

from agenttrace._internal.config import Settings
from agenttrace.core.defaults import DEFAULT_ENDPOINT
from agenttrace.exceptions import ConfigurationError


def test_defaults_without_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """With nothing set, the local default endpoint and no key are used."""
    for name in ("AGENTTRACE_ENDPOINT", "AGENTTRACE_API_KEY", "AGENTTRACE_DISABLED"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings.from_env()
    assert settings.endpoint == DEFAULT_ENDPOINT
    assert settings.api_key is None
    assert settings.enabled is True


def test_environment_then_arguments(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Environment variables configure; explicit arguments win over them."""
    monkeypatch.setenv("AGENTTRACE_ENDPOINT", "http://collector:9000/")
    monkeypatch.setenv("AGENTTRACE_API_KEY", "env-key")
    monkeypatch.setenv("AGENTTRACE_SPOOL_DIR", str(tmp_path))
    monkeypatch.setenv("AGENTTRACE_SEND_BODIES", "false")
    from_env = Settings.from_env()
    assert from_env.endpoint == "http://collector:9000"
    assert from_env.api_key == "env-key"
    assert from_env.spool_dir == tmp_path
    assert from_env.send_bodies is False
    explicit = Settings.from_env("https://other", "arg-key", batch_size=7)
    assert (explicit.endpoint, explicit.api_key, explicit.batch_size) == (
        "https://other",
        "arg-key",
        7,
    )


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("AGENTTRACE_ENDPOINT", "collector:9000", "not an http"),
        ("AGENTTRACE_BATCH_SIZE", "many", "AGENTTRACE_BATCH_SIZE='many' is not a whole number"),
        ("AGENTTRACE_FLUSH_INTERVAL", "soon", "is not a number"),
        ("AGENTTRACE_DISABLED", "maybe", "is not a boolean"),
    ],
)
def test_bad_values_name_the_setting(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    """A bad environment value is an error naming the variable and the fix."""
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match=message):
        Settings.from_env()


def test_unknown_setting_is_rejected() -> None:
    """A misspelt keyword setting is an error listing the known ones."""
    with pytest.raises(ConfigurationError, match="unknown setting"):
        Settings.from_env(batchsize=3)
