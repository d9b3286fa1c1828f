"""What importing agenttrace, and starting its command, costs a process.

    uv run python benchmarks/import_time.py               # 7 rounds
    uv run python benchmarks/import_time.py --rounds 15   # more samples

A tracing library is imported by every process of its users, most of which never query,
so ``import agenttrace`` must not load the HTTP client, the price data, the query client
or the collector. Each measure runs in a fresh interpreter (``python -X importtime``) and
is the sum of the import times printed after a marker, i.e. the cumulative time of what
the statement imported beyond what was loaded before it. Rounds interleave the measures
so that drift hits all alike; the medians are printed.

* ``agenttrace``: ``import agenttrace``; compared with ``import httpx`` in the same run;
* ``agenttrace.records``: what the first record costs on top (the pydantic models);
* ``ManualLogger, session``: what a ManualLogger user's ``from agenttrace import ...`` loads;
* ``agenttrace.langchain``: added on top of a LangGraph application's own imports
  (``import langchain_core, langgraph.graph``: the graph machinery a user builds with),
  and on top of the bare ``import langchain_core, langgraph`` (package roots only);
* ``agenttrace --help``: wall time of the command, and of ``python -c pass`` for scale.

Targets: ``import agenttrace`` <= 50 ms and under half of ``import httpx``;
``agenttrace.langchain`` adds <= 40 ms to a LangGraph application; ``--help`` <= 400 ms.
The modules ``import agenttrace`` leaves unloaded are listed at the end.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

MARK = "agenttrace-benchmark-mark"
IMPORT_TARGET_MS = 50.0
HTTPX_SHARE = 0.5
LANGCHAIN_TARGET_MS = 40.0
HELP_TARGET_MS = 400.0
BUSY_START_MS = 25.0
"""A ``python -c pass`` slower than this means a busy machine (it takes about 10 ms)."""
HEAVY = ("httpx", "genai_prices", "pydantic", "agenttrace.query", "agenttrace.server", "rich")

# name -> (imports done before the mark, the statement measured)
IMPORTS: dict[str, tuple[str, str]] = {
    "agenttrace": ("", "import agenttrace"),
    "httpx": ("", "import httpx"),
    "agenttrace.records": ("import agenttrace", "import agenttrace.records"),
    "ManualLogger, session": ("", "from agenttrace import ManualLogger, session"),
    "langgraph app": ("", "import langchain_core, langgraph.graph"),
    "+ agenttrace.langchain": (
        "import langchain_core, langgraph.graph",
        "import agenttrace.langchain",
    ),
    "langchain_core, langgraph": ("", "import langchain_core, langgraph"),
    "+ agenttrace.langchain (bare)": (
        "import langchain_core, langgraph",
        "import agenttrace.langchain",
    ),
}


def import_ms(before: str, statement: str) -> float:
    """Milliseconds ``statement`` spends importing, in a fresh interpreter where ``before``
    already ran (the sum of ``-X importtime`` self times printed after the mark)."""
    code = f"{before}\nimport sys\nsys.stderr.write('{MARK}\\n')\n{statement}"
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = done.stderr.splitlines()
    after = lines[lines.index(MARK) + 1 :]
    total_us = 0
    for line in after:
        if line.startswith("import time:") and "|" in line:
            self_us = line.split(":", 1)[1].split("|", 1)[0].strip()
            if self_us.isdigit():
                total_us += int(self_us)
    return total_us / 1000


def help_command() -> list[str]:
    """The installed ``agenttrace --help`` (the console script beside this Python)."""
    script = Path(sys.executable).parent / "agenttrace"
    if script.exists():
        return [str(script), "--help"]
    found = shutil.which("agenttrace")
    if found:
        return [found, "--help"]
    return [sys.executable, "-c", "from agenttrace.cli import main; main()", "--help"]


def wall_ms(command: list[str]) -> float:
    """Wall milliseconds from starting ``command`` to its exit (it must succeed)."""
    started = time.perf_counter()
    subprocess.run(command, capture_output=True, check=True)
    return (time.perf_counter() - started) * 1000


def left_unloaded() -> list[str]:
    """Which of the heavy modules ``import agenttrace`` leaves unloaded."""
    probe = f"import sys, agenttrace\nprint(' '.join(m for m in {HEAVY!r} if m not in sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return done.stdout.split()


def verdict(ok: bool) -> str:
    """The word printed beside a target."""
    return "met" if ok else "NOT MET"


def main() -> None:
    """Measure, print the medians, the ratios and the targets."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    help_cmd = help_command()
    samples: dict[str, list[float]] = {name: [] for name in IMPORTS}
    samples["agenttrace --help"] = []
    samples["python -c pass"] = []
    wall_ms(help_cmd)  # warm the file cache and any bytecode
    for _ in range(args.rounds):
        for name, (before, statement) in IMPORTS.items():
            samples[name].append(import_ms(before, statement))
        samples["agenttrace --help"].append(wall_ms(help_cmd))
        samples["python -c pass"].append(wall_ms([sys.executable, "-c", "pass"]))
    median = {name: statistics.median(values) for name, values in samples.items()}

    print(f"{args.rounds} rounds, medians (import: -X importtime cumulative; commands: wall)")
    for name, value in median.items():
        spread = f"{min(samples[name]):8.1f} .. {max(samples[name]):.1f}"
        print(f"  {name:32} {value:8.1f} ms   (range {spread})")
    ours, httpx = median["agenttrace"], median["httpx"]
    added = median["+ agenttrace.langchain"]
    help_ms = median["agenttrace --help"]
    print(f"import agenttrace / import httpx: {ours / httpx:.2f}")
    app = median["langgraph app"]
    print(f"agenttrace.langchain added / the LangGraph app's imports: {added / app:.3f}")
    print(f"agenttrace --help / python -c pass: {help_ms / median['python -c pass']:.1f}")
    if median["python -c pass"] > BUSY_START_MS:
        print(
            f"note: python -c pass took {median['python -c pass']:.0f} ms: this machine is busy, "
            "so every figure in ms is inflated alike; the ratios are the steadier figures"
        )
    print(
        f"import agenttrace: {ours:.1f} ms (target <= {IMPORT_TARGET_MS:.0f} ms): "
        f"{verdict(ours <= IMPORT_TARGET_MS)}; under {HTTPX_SHARE:.0%} of httpx: "
        f"{verdict(ours < HTTPX_SHARE * httpx)}"
    )
    print(
        f"agenttrace.langchain on a LangGraph app: +{added:.1f} ms "
        f"(target <= {LANGCHAIN_TARGET_MS:.0f} ms): {verdict(added <= LANGCHAIN_TARGET_MS)}"
    )
    print(
        f"agenttrace --help: {help_ms:.0f} ms (target <= {HELP_TARGET_MS:.0f} ms): "
        f"{verdict(help_ms <= HELP_TARGET_MS)}"
    )
    unloaded = left_unloaded()
    loaded = [m for m in HEAVY if m not in unloaded]
    print(f"after import agenttrace, not loaded: {', '.join(unloaded) or '(none)'}")
    print(f"after import agenttrace, loaded: {', '.join(loaded) or '(none)'}")


if __name__ == "__main__":
    main()
