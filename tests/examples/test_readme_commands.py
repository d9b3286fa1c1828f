"""README.md's commands, pasted into a fresh shell as a newcomer would after the set-up."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
VENV = Path(sys.executable).parent.parent
ACTIVATE = VENV / "bin" / "activate"


def fenced_blocks(language: str) -> list[str]:
    """The README's fenced code blocks in ``language``, in order."""
    text = README.read_text(encoding="utf-8")
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.DOTALL)


def readme_commands(block: str) -> list[str]:
    """The commands of a bash block, without their trailing comments."""
    return [line.split("  #", 1)[0].strip() for line in block.splitlines() if line.strip()]


def fresh_shell(script: str, home: Path, port: int) -> subprocess.CompletedProcess[str]:
    """``script`` in a new bash with a minimal environment: no venv on PATH, nothing of ours.

    The collector's port is the only thing changed from the README: the tests may not take
    the default 8787 (``AGENTTRACE_ENDPOINT`` and ``--port`` say the same thing).
    """
    env = {
        "HOME": str(home),
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "AGENTTRACE_ENDPOINT": f"http://127.0.0.1:{port}",
        "AGENTTRACE_DATA_DIR": str(home / "data"),
        "AGENTTRACE_SPOOL_DIR": str(home / "spool"),
        "COLUMNS": "100",
    }
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.slow
@pytest.mark.skipif(not ACTIVATE.exists(), reason="needs the project's .venv (dev.py makes it)")
def test_quick_start_works_as_written_in_a_fresh_shell(tmp_path: Path, free_port: int) -> None:
    """Activate as the set-up says, then serve, the Python snippet and both queries work."""
    setup, quick_serve, snippet_queries = (
        fenced_blocks("bash")[1],
        fenced_blocks("bash")[3],
        fenced_blocks("bash")[4],
    )
    activate = readme_commands(setup)
    assert activate == ["source .venv/bin/activate"], activate
    serve = readme_commands(quick_serve)
    assert serve == ["agenttrace serve"], serve
    python_snippet = fenced_blocks("python")[0]
    queries = readme_commands(snippet_queries)
    assert queries[0] == "agenttrace sessions --property env=dev", queries
    assert queries[1].startswith("agenttrace session <SESSION_ID>"), queries
    (tmp_path / "quick_start.py").write_text(python_snippet, encoding="utf-8")

    url = f"http://127.0.0.1:{free_port}"
    answers = f"import httpx; httpx.get('{url}/healthz')"
    sessions = f"httpx.get('{url}/v1/sessions').json()['sessions']"
    newest = f"import httpx; print({sessions}[0]['session_id'])"
    script = f"""
set -e
{activate[0]}
{serve[0]} --port {free_port} > {tmp_path / "serve.log"} 2>&1 &
server=$!
trap 'kill $server' EXIT
for _ in $(seq 1 300); do python -c "{answers}" 2>/dev/null && break; sleep 0.1; done
python {tmp_path / "quick_start.py"}
{queries[0]}
id=$(python -c "{newest}")
agenttrace session "$id"
"""
    result = fresh_shell(script, tmp_path, free_port)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "command not found" not in result.stderr
    assert "trip-planner" in result.stdout
    assert re.search(r"── research\s", result.stdout), result.stdout  # the tree's segment
