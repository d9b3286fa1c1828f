"""The import surface of agenttrace.query and agenttrace.cli."""

from __future__ import annotations

import types

import pytest

import agenttrace.cli
import agenttrace.query


@pytest.mark.parametrize("package", [agenttrace.query, agenttrace.cli])
def test_all_lists_exactly_the_public_names(package: types.ModuleType) -> None:
    """__all__ is sorted and names exactly the package's public, non-module attributes."""
    public = {
        name
        for name, value in vars(package).items()
        if not name.startswith("_") and name != "annotations"
        if not isinstance(value, types.ModuleType)
    }
    assert package.__all__ == sorted(package.__all__)
    assert set(package.__all__) == public


def test_result_models_are_frozen_and_tolerate_new_fields() -> None:
    """Results cannot be mutated by accident, and fields added by a newer collector are ignored."""
    row = agenttrace.query.PathRow.model_validate(
        {"path": "/a", "request_count": 1, "added_in_a_later_version": True}
    )
    assert row.path == "/a"
    with pytest.raises(ValueError, match="frozen"):
        row.path = "/b"  # type: ignore[misc]
