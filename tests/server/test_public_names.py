"""The collector's public modules export exactly their public names, sorted."""

from __future__ import annotations

import importlib
from types import ModuleType

import pytest

MODULES = [
    "agenttrace.server",
    "agenttrace.server.store",
    "agenttrace.server.store.api_keys",
    "agenttrace.server.store.base",
    "agenttrace.server.store.query_rows",
    "agenttrace.server.dependencies",
    "agenttrace.server.testing",
]


def _public(module: ModuleType) -> set[str]:
    """Names defined in the package (constants count as the package's own)."""
    return {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and not isinstance(value, ModuleType)
        and getattr(value, "__module__", module.__name__).startswith(module.__name__)
        and name != "annotations"
    }


def _isort_key(name: str) -> tuple[int, str]:
    """ruff's RUF022 order: CONSTANTS, then Classes, then functions."""
    if name.isupper():
        return 0, name
    return (1, name) if name[0].isupper() else (2, name)


@pytest.mark.parametrize("name", MODULES)
def test_all_is_sorted_and_importable(name: str) -> None:
    """``__all__`` is sorted (constants, classes, functions) and every name in it exists."""
    module = importlib.import_module(name)
    exported = list(module.__all__)
    assert exported == sorted(exported, key=_isort_key)
    for item in exported:
        assert hasattr(module, item), f"{name}.{item} is listed but missing"


@pytest.mark.parametrize("name", ["agenttrace.server", "agenttrace.server.store"])
def test_package_all_lists_what_it_imports(name: str) -> None:
    """A package re-exports exactly the agenttrace names it imports (no stray ones)."""
    module = importlib.import_module(name)
    assert set(module.__all__) == _public(module)
