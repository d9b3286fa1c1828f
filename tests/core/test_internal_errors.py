"""Tracing's own failures: logged in production, raised under tests, never silent."""

from __future__ import annotations

import pytest

from agenttrace.core.internal_errors import raise_internal_errors, report_internal_error


def _fail_and_report() -> None:
    try:
        raise ValueError("boom")
    except ValueError as exc:
        report_internal_error("the place", exc)


@pytest.mark.parametrize(
    ("setting", "raises"),
    [("1", True), ("true", True), (" YES ", True), ("0", False), ("false", False)],
)
def test_the_environment_variable_decides(
    monkeypatch: pytest.MonkeyPatch, setting: str, raises: bool
) -> None:
    """AGENTTRACE_RAISE_INTERNAL_ERRORS forces either way."""
    monkeypatch.setenv("AGENTTRACE_RAISE_INTERNAL_ERRORS", setting)
    assert raise_internal_errors() is raises


def test_under_pytest_failures_surface(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the variable, a test run re-raises so that bugs are seen."""
    monkeypatch.delenv("AGENTTRACE_RAISE_INTERNAL_ERRORS", raising=False)
    assert raise_internal_errors()
    with pytest.raises(ValueError, match="boom"):
        _fail_and_report()


def test_in_production_failures_are_logged(
    log_mode: None, caplog: pytest.LogCaptureFixture
) -> None:
    """Outside tests the failure is one warning naming where it happened, not an exception."""
    _fail_and_report()
    assert "internal error in the place" in caplog.text
    assert "boom" in caplog.text
