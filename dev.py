#!/usr/bin/env python3
"""Set up and run agenttrace's jobs on a fresh machine that has only Python 3.11+ and pip.

    python3 dev.py demo      # the main job: example agent traced into the embedded collector
    python3 dev.py test      # lint, format and strict type checks, the whole test suite, then
                             # the LangChain integration's tests on the oldest versions
    python3 dev.py bench     # every benchmark under benchmarks/, one after another
    python3 dev.py oldest    # the LangChain integration's tests on the oldest supported versions

Each command installs what it needs first: uv (into .tools/ when it is not on the machine),
then the locked environment in .venv (``uv sync --frozen``). Extra arguments are passed on
(``python3 dev.py test -k shipper``).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent
TOOLS = ROOT / ".tools"
OLDEST = ("langchain-core==0.3.0", "langgraph==0.2.23")
"""The oldest releases the integration supports (see integrations/langchain/README.md)."""
OLDEST_TEST_TOOLS = ("pytest", "pytest-asyncio", "pytest-timeout")


def _uv() -> str:
    """Path of a uv binary, installing one under .tools/ when none is found."""
    found = shutil.which("uv")
    if found:
        return found
    local = TOOLS / "uv" / "bin" / "uv"
    if not local.exists():
        print("dev.py: installing uv into .tools/ (one time)", flush=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--target",
                str(TOOLS / "uv"),
                "uv",
            ],
            check=True,
        )
    return str(local)


def _run(*args: str, env: dict[str, str] | None = None) -> int:
    return subprocess.run(args, cwd=ROOT, env=env, check=False).returncode


EVERYTHING = ("--all-packages", "--all-extras")
"""The test environment: every package, every extra and the dev tools."""
DEMO_ONLY = (
    "--no-dev",
    "--extra",
    "server",
    "--extra",
    "langchain",
    "--group",
    "demo",
    "--inexact",
)
"""The main job's environment: the runtime, the collector, the LangChain integration and
LangGraph for the example agents; nothing else is installed (``--inexact`` leaves a test
environment that is already there as it is)."""


def _sync(uv: str, selection: tuple[str, ...] = EVERYTHING) -> None:
    code = _run(uv, "sync", "--frozen", *selection, "--quiet")
    if code:
        sys.exit(code)


def demo(uv: str, extra: list[str]) -> int:
    """The main job: run the example agent into the embedded collector and show its sessions."""
    _sync(uv, DEMO_ONLY)
    # The environment's own Python, not `uv run`: uv run would put .venv/bin on PATH for the
    # demo alone, and the demo would then print `agenttrace ...` commands that the shell it
    # returns to cannot find (it prints `.venv/bin/agenttrace ...` unless that shell has the
    # environment activated).
    scripts = "Scripts" if sys.platform == "win32" else "bin"
    return _run(str(ROOT / ".venv" / scripts / "python"), "examples/demo.py", *extra)


def test(uv: str, extra: list[str]) -> int:
    """Lint, format check, type check, then the whole test suite."""
    _sync(uv)
    checks = [
        ("ruff check", [uv, "run", "--frozen", "ruff", "check", "."]),
        ("ruff format", [uv, "run", "--frozen", "ruff", "format", "--check", "."]),
        ("mypy --strict", [uv, "run", "--frozen", "mypy"]),
    ]
    for label, command in checks:
        print(f"dev.py: {label}", flush=True)
        code = _run(*command)
        if code:
            print(f"dev.py: {label} failed", file=sys.stderr)
            return code
    print("dev.py: pytest", flush=True)
    code = _run(uv, "run", "--frozen", "pytest", *extra)
    if code or extra:  # a selection (-k ...) is about the main environment only
        return code
    print("dev.py: the integration's tests on the oldest supported versions", flush=True)
    return oldest(uv, [])


def bench(uv: str, extra: list[str]) -> int:
    """Every benchmark, one command each, in name order."""
    _sync(uv)
    worst = 0
    for script in sorted((ROOT / "benchmarks").glob("[!_]*.py")):  # _*.py: shared modules
        print(f"\n=== {script.relative_to(ROOT)}", flush=True)
        worst = max(worst, _run(uv, "run", "--frozen", "python", str(script), *extra))
    return worst


def _locked(*names: str) -> list[str]:
    """``name==version`` for each of ``names``, as uv.lock pins them."""
    lock = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
    versions = {p["name"]: p["version"] for p in lock["package"] if "version" in p}
    return [f"{name}=={versions[name]}" for name in names]


def oldest(uv: str, extra: list[str]) -> int:
    """The integration's tests against the oldest langchain-core and langgraph we support.

    A separate environment (.venv-oldest): agenttrace and the integration from this tree,
    the `OLDEST` releases, the test tools at their locked versions, and whatever else
    those releases ask for. Tests of features newer than these releases skip there.
    """
    venv = ROOT / ".venv-oldest"
    code = _run(uv, "venv", "--quiet", "--allow-existing", "--python", sys.executable, str(venv))
    if code:
        return code
    python = str(venv / "bin" / "python")
    code = _run(
        uv,
        "pip",
        "install",
        "--quiet",
        "--python",
        python,
        "-e",
        ".[server]",
        "-e",
        "integrations/langchain",
        *OLDEST,
        *_locked(*OLDEST_TEST_TOOLS),
    )
    if code:
        return code
    return _run(
        python, "-m", "pytest", "-p", "no:cacheprovider", "integrations/langchain/tests", *extra
    )


COMMANDS = {"demo": demo, "test": test, "bench": bench, "oldest": oldest}


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        print(__doc__)
        print(f"dev.py: say one of: {', '.join(COMMANDS)}", file=sys.stderr)
        return 2
    return COMMANDS[sys.argv[1]](_uv(), sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
