"""What importing agenttrace, and starting its command, costs a process.

    uv run python benchmarks/import_time.py               # 7 rounds
    uv run python benchmarks/import_time.py --rounds 15   # more samples
    uv run python benchmarks/import_time.py --before ../old-checkout   # and another tree

A tracing library is imported by every process of its users, most of which never query,
so ``import agenttrace`` must not load the HTTP client, the price data, the query client
or the collector. Each measure runs in a fresh interpreter (``python -X importtime``) and
is the sum of the import times printed after a marker, i.e. the cumulative time of what
the statement imported beyond what was loaded before it. Rounds interleave the measures
so that drift hits all alike; the medians are printed. Bytecode is cached as in a user's
install (a warm-up writes it, ``PYTHONDONTWRITEBYTECODE`` is dropped from the measured
interpreters' environment): without it every import compiles its source.

* ``agenttrace``: ``import agenttrace``; compared with ``import httpx`` in the same run;
* ``agenttrace.records``: what the first record costs on top (the pydantic models);
* ``ManualLogger, session``: what a ManualLogger user's ``from agenttrace import ...`` loads;
* ``agenttrace.langchain``: added on top of a LangGraph application's own imports
  (``import langchain_core, langgraph.graph``: the graph machinery a user builds with),
  and on top of the bare ``import langchain_core, langgraph`` (package roots only);
* ``agenttrace --help``: wall time of the command, and of ``python -c pass`` for scale.

Targets: ``import agenttrace`` <= 50 ms and under half of ``import httpx``;
``agenttrace.langchain`` adds <= 40 ms to a LangGraph application; ``--help`` <= 400 ms.
The modules ``import agenttrace`` leaves unloaded are listed at the end. ``--before TREE``
measures another checkout of this repository too (its ``src`` and the integration's ``src``
first on ``PYTHONPATH``), interleaved with this one, and prints this one's figures as
ratios to that one's.
"""

from __future__ import annotations

import argparse
import os
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


def import_ms(before: str, statement: str, env: dict[str, str]) -> float:
    """Milliseconds ``statement`` spends importing, in a fresh interpreter where ``before``
    already ran (the sum of ``-X importtime`` self times printed after the mark)."""
    code = f"{before}\nimport sys\nsys.stderr.write('{MARK}\\n')\n{statement}"
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env=env,
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


def wall_ms(command: list[str], env: dict[str, str]) -> float:
    """Wall milliseconds from starting ``command`` to its exit (it must succeed)."""
    started = time.perf_counter()
    subprocess.run(command, capture_output=True, check=True, env=env)
    return (time.perf_counter() - started) * 1000


def left_unloaded(env: dict[str, str]) -> list[str]:
    """Which of the heavy modules ``import agenttrace`` leaves unloaded."""
    probe = f"import sys, agenttrace\nprint(' '.join(m for m in {HEAVY!r} if m not in sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, env=env
    )
    return done.stdout.split()


def tree_env(tree: Path | None) -> dict[str, str]:
    """The environment that imports agenttrace from ``tree`` (None: the installed one)."""
    env = dict(os.environ)
    # As in a user's process: bytecode cached beside the sources (pip compiles it when it
    # installs a package; Python writes it on first import). With the variable set (some
    # CI images and containers set it), every import compiles its source again.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if tree is not None:
        paths = [str(tree / "src"), str(tree / "integrations" / "langchain" / "src")]
        env["PYTHONPATH"] = os.pathsep.join([*paths, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def measure(rounds: int, envs: dict[str, dict[str, str]]) -> dict[str, dict[str, list[float]]]:
    """Samples per tree and measure, rounds interleaving trees and measures."""
    help_cmd = help_command()
    samples: dict[str, dict[str, list[float]]] = {
        label: {name: [] for name in [*IMPORTS, "agenttrace --help", "python -c pass"]}
        for label in envs
    }
    for env in envs.values():
        wall_ms(help_cmd, env)  # warm the file cache and write the bytecode of each import
        for before, statement in IMPORTS.values():
            import_ms(before, statement, env)
    for _ in range(rounds):
        for label, env in envs.items():
            for name, (before, statement) in IMPORTS.items():
                samples[label][name].append(import_ms(before, statement, env))
            samples[label]["agenttrace --help"].append(wall_ms(help_cmd, env))
            samples[label]["python -c pass"].append(wall_ms([sys.executable, "-c", "pass"], env))
    return samples


def verdict(ok: bool) -> str:
    """The word printed beside a target."""
    return "met" if ok else "NOT MET"


def report(label: str, samples: dict[str, list[float]], env: dict[str, str]) -> dict[str, float]:
    """Print one tree's medians, ratios and targets; return the medians."""
    median = {name: statistics.median(values) for name, values in samples.items()}
    print(f"{label}: medians (import: -X importtime cumulative; commands: wall)")
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
    unloaded = left_unloaded(env)
    loaded = [m for m in HEAVY if m not in unloaded]
    print(f"after import agenttrace, not loaded: {', '.join(unloaded) or '(none)'}")
    print(f"after import agenttrace, loaded: {', '.join(loaded) or '(none)'}")
    return median


def main() -> None:
    """Measure, print the medians, the ratios and the targets."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--before", type=Path, help="another checkout to compare with")
    args = parser.parse_args()
    envs = {"this tree": tree_env(None)}
    if args.before is not None:
        envs = {f"before ({args.before})": tree_env(args.before.resolve()), **envs}
    samples = measure(args.rounds, envs)
    print(f"{args.rounds} rounds")
    medians = {label: report(label, samples[label], envs[label]) for label in envs}
    if args.before is not None:
        before, after = medians.values()
        print("this tree / before, same run:")
        for name in after:
            ratio = f"{after[name] / before[name]:8.3f}" if before[name] else "       -"
            print(f"  {name:32} {ratio}")


if __name__ == "__main__":
    main()
