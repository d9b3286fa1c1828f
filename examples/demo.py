"""agenttrace's main job in one command: trace example agents into the embedded collector,
then show their sessions.

    python3 dev.py demo                      # sets everything up first, then runs this
    python examples/demo.py [--port N] [--data-dir DIR]   # in the activated environment

1. Starts the collector in this process (in the background): SQLite in ``--data-dir``,
   else where ``agenttrace serve`` keeps it by default (``AGENTTRACE_DATA_DIR``, else the
   user data directory), kept between runs so sessions accumulate and so that a plain
   ``agenttrace serve`` afterwards shows them; on port 8787, or a free port when 8787 is taken.
2. Points the tracer at it (``agenttrace.configure(endpoint=...)``).
3. Runs the supervisor example (LangGraph sub-agents traced by the ``CallbackHandler``,
   with tool internals logged by ``ManualLogger``) and the ManualLogger-only research
   example, offline (see ``examples/agents/_models.py`` to use a real model).
4. Flushes, prints the sessions just made (newest first) and the supervisor's session tree
   with the CLI's renderers, and says how to look further.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "agents"))

import manual_research
import supervisor
from _main import command_name, shown
from rich.console import Console
from rich.text import Text

import agenttrace
from agenttrace import AgentTraceError
from agenttrace.cli._render import print_table, session_tree, sessions_table
from agenttrace.cli._shared import stdout
from agenttrace.core.defaults import DEFAULT_PORT, default_data_dir
from agenttrace.query import QueryClient, SessionDetail
from agenttrace.server import create_app, open_store
from agenttrace.server.store import database_url_for
from agenttrace.server.testing import serve_in_thread

FLUSH_TIMEOUT_S = 30.0


def data_dir_from(argument: Path | None) -> Path:
    """``--data-dir``, else the collector's default (``agenttrace serve``'s)."""
    return (argument or default_data_dir()).expanduser().resolve()


def start_collector(stack: ExitStack, data_dir: Path, port: int) -> str:
    """Serve the collector over SQLite in ``data_dir`` in a background thread; its URL.

    ``port`` first; when it is taken (say, by an ``agenttrace serve`` already running),
    any free port.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    store = open_store(database_url_for(data_dir))
    stack.callback(store.close)
    app = create_app(store)
    try:
        return stack.enter_context(serve_in_thread(app, port=port))
    except OSError:
        if port == 0:
            raise
        return stack.enter_context(serve_in_thread(app, port=0))


def run_examples() -> list[tuple[str, str]]:
    """Run the examples; (what ran, session id), in the order they ran."""
    return [
        ("supervisor (LangGraph + CallbackHandler + ManualLogger)", supervisor.run()),
        ("city research (ManualLogger only)", manual_research.run("lisbon")),
    ]


def explain_errors(console: Console, failed: list[SessionDetail]) -> None:
    """Say why each session marked as an error is one: the calls that raised, by path.

    The city-research example fails one database lookup on purpose and retries it, as real
    agents do; a session is an error when any of its calls was, even one a retry made good.
    """
    for detail in failed:
        name = detail.session.session_name or detail.session.session_id
        for request in detail.requests:
            if not request.failed:
                continue
            error = request.error
            why = f"{error.type}: {error.message}" if error else "an error"
            retried = any(
                later.session_path == request.session_path
                and not later.failed
                and later.start_time > request.start_time
                for later in detail.requests
            )
            outcome = " (on purpose; its retry succeeded)" if retried else ""
            console.print(
                f"{name} is ✗ error because {request.session_path} raised {why}{outcome}",
                soft_wrap=True,
            )


def show(url: str, sessions: list[tuple[str, str]], data_dir: Path, elapsed: float) -> None:
    """Print the sessions table, the supervisor's tree and how to look further."""
    console = stdout()
    with QueryClient(url) as client:
        details = {session_id: client.session(session_id) for _, session_id in sessions}
    rows = sorted(
        (detail.session for detail in details.values()),
        key=lambda row: row.start_time,
        reverse=True,
    )
    for label, session_id in sessions:
        console.print(Text.assemble("ran ", (label, "bold"), f" -> session {session_id}"))
    console.print(f"examples traced and stored in {elapsed:.1f} s\n", style="dim")
    console.print(Text("Sessions just recorded (newest first)", style="bold underline"))
    print_table(console, sessions_table(rows))
    explain_errors(console, [detail for detail in details.values() if detail.session.error_count])
    console.print()
    supervisor_id = sessions[0][1]
    console.print(Text("The supervisor's session as a tree of paths", style="bold underline"))
    console.print(session_tree(details[supervisor_id]))
    console.print()
    agenttrace_cmd = command_name()
    console.print(
        f"Look further: {agenttrace_cmd} serve --data-dir {shown(data_dir)} then open "
        f"http://127.0.0.1:{DEFAULT_PORT}/ for the dashboard, or (while it runs) "
        f"{agenttrace_cmd} sessions and {agenttrace_cmd} session {supervisor_id}",
        soft_wrap=True,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo; the exit status."""
    parser = argparse.ArgumentParser(
        description="Trace example agents into the embedded collector and show their sessions."
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}; 0: any free"
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="where the SQLite file lives (default: where `agenttrace serve` looks)",
    )
    args = parser.parse_args(argv)
    data_dir = data_dir_from(args.data_dir)
    started = time.perf_counter()
    with ExitStack() as stack:
        try:
            url = start_collector(stack, data_dir, args.port)
        except (OSError, AgentTraceError) as exc:
            print(
                f"demo: the collector could not start with its data in {data_dir}: {exc}; "
                "pass --data-dir DIR (or set AGENTTRACE_DATA_DIR) to a writable directory",
                file=sys.stderr,
            )
            return 2
        print(f"agenttrace demo: collector on {url}, data in {shown(data_dir)}/agenttrace.db")
        tracer = agenttrace.configure(endpoint=url, enabled=True, spool_dir=data_dir / "spool")
        stack.callback(tracer.shutdown, 5.0)
        sessions = run_examples()
        if not agenttrace.flush(FLUSH_TIMEOUT_S):
            print(
                f"demo: the records did not reach {url} within {FLUSH_TIMEOUT_S:.0f} s",
                file=sys.stderr,
            )
            return 1
        show(url, sessions, data_dir, time.perf_counter() - started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
