"""The layers import only downwards: core <- client / collector <- door <- integrations.

Read from the source (the AST of every module), so an import hidden in a function or under
``TYPE_CHECKING`` counts as much as one at the top.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "agenttrace"
INTEGRATIONS = ROOT / "integrations"

MAY_IMPORT_INTERNAL = {"agenttrace", "agenttrace.instrumentation"}
"""Besides the client's own modules: the package's public names and the door."""
CORE_MAY_IMPORT = ("agenttrace.records", "agenttrace.exceptions")
"""Besides ``agenttrace.core.*``: the wire contract and the error types."""
INTEGRATION_TESTS_MAY_NOT_IMPORT = ("agenttrace._internal", "agenttrace.core")


def _module_name(path: Path, source_root: Path) -> str:
    parts = list(path.relative_to(source_root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, module: str) -> Iterator[str]:
    """Every module ``path`` imports (``from a import b`` gives ``a`` and ``a.b``)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def _modules(source_root: Path, top: Path) -> Iterator[tuple[str, Path]]:
    for path in sorted(top.rglob("*.py")):
        yield _module_name(path, source_root), path


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def _agenttrace_imports(path: Path, module: str) -> set[str]:
    return {name for name in _imports(path, module) if _within(name, "agenttrace")}


def _integration_sources() -> list[Path]:
    return sorted(path for path in INTEGRATIONS.glob("*/src") if path.is_dir())


def test_there_is_something_to_check() -> None:
    """The walk finds the core, the client, the collector and an integration."""
    names = {name for name, _ in _modules(PACKAGE.parent, PACKAGE)}
    assert {"agenttrace.core.usage", "agenttrace._internal.tracer", "agenttrace.server"} <= names
    assert _integration_sources(), "no integrations/*/src found"


def test_only_the_client_the_package_and_the_door_import_internal() -> None:
    """No module outside the client imports agenttrace._internal: not the core, the
    collector, the query client, the CLI, records, nor any integration."""
    offenders = []
    roots = [(PACKAGE.parent, PACKAGE)] + [(src, src) for src in _integration_sources()]
    for source_root, top in roots:
        for module, path in _modules(source_root, top):
            if _within(module, "agenttrace._internal") or module in MAY_IMPORT_INTERNAL:
                continue
            found = sorted(
                name
                for name in _agenttrace_imports(path, module)
                if _within(name, "agenttrace._internal")
            )
            offenders.extend(f"{module} imports {name}" for name in found)
    assert offenders == []


def test_the_core_stands_on_nothing_but_itself_records_and_exceptions() -> None:
    """agenttrace.core imports no client, collector, door or package-level names."""
    offenders = []
    for module, path in _modules(PACKAGE.parent, PACKAGE / "core"):
        for name in sorted(_agenttrace_imports(path, module)):
            allowed = ("agenttrace.core", *CORE_MAY_IMPORT)
            if not any(_within(name, package) for package in allowed):
                offenders.append(f"{module} imports {name}")
    assert offenders == []


def _is_module(name: str) -> bool:
    relative = PACKAGE.joinpath(*name.split(".")[1:])
    return relative.with_suffix(".py").exists() or relative.is_dir()


def _door_or_public(name: str) -> bool:
    """``agenttrace``, the door, or a name imported from ``agenttrace`` (not a module)."""
    if name == "agenttrace" or _within(name, "agenttrace.instrumentation"):
        return True
    return name.count(".") == 1 and not _is_module(name)


@pytest.mark.parametrize("source", _integration_sources(), ids=lambda p: p.parent.name)
def test_integrations_use_only_the_door(source: Path) -> None:
    """An integration's code imports agenttrace's public names and its door, nothing else."""
    offenders = [
        f"{module} imports {name}"
        for module, path in _modules(source, source)
        for name in sorted(_agenttrace_imports(path, module))
        if not _door_or_public(name)
    ]
    assert offenders == []


@pytest.mark.parametrize("tests", sorted(INTEGRATIONS.glob("*/tests")), ids=lambda p: p.parent.name)
def test_integration_tests_stay_outside_the_private_layers(tests: Path) -> None:
    """An integration's tests, too, use agenttrace as its users can."""
    offenders = [
        f"{module} imports {name}"
        for module, path in _modules(tests.parent, tests)
        for name in sorted(_agenttrace_imports(path, module))
        if name.startswith(INTEGRATION_TESTS_MAY_NOT_IMPORT)
    ]
    assert offenders == []
