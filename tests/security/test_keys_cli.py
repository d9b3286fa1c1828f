"""``agenttrace keys create | list | revoke`` on the collector's database (SQLite and
PostgreSQL): the key is printed once, lists never show secrets, revocation is immediate."""

from __future__ import annotations

import json
import re

import httpx
from typer.testing import CliRunner

from agenttrace.cli import app
from agenttrace.server.testing import running_collector

from .conftest import bearer

KEY_FORM = re.compile(r"agt_[a-z0-9]{10}_[A-Za-z0-9_-]{43}")


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_create_list_revoke(database_url: str) -> None:
    """create prints only the key on stdout (a note on stderr); list shows ids, projects and
    status, never a secret; the key works on a collector over that database until revoked."""
    code, out, err = _run("keys", "create", "--project", "alpha", "--name", "ci",
                          "--database", database_url)  # fmt: skip
    assert code == 0, err
    key = out.strip()
    assert KEY_FORM.fullmatch(key)
    assert "not shown again" in err
    key_id = key.split("_")[1]

    code, out, _ = _run("keys", "list", "--database", database_url)
    assert code == 0
    assert f"agt_{key_id}_..." in out
    assert "alpha" in out
    assert "active" in out
    assert key.split("_", 2)[2] not in out

    with running_collector(database_url, rate_limit=None) as collector:
        url = f"{collector.url}/v1/sessions"
        assert httpx.get(url).status_code == 401
        assert httpx.get(url, headers=bearer(key)).status_code == 200
        code, out, _ = _run("keys", "revoke", key_id, "--database", database_url)
        assert code == 0
        assert f"revoked agt_{key_id}_..." in out
        assert httpx.get(url, headers=bearer(key)).status_code == 401

    code, out, _ = _run("keys", "list", "--project", "alpha", "--json", "--database", database_url)
    listed = json.loads(out)
    assert [(k["key_id"], k["project"], k["name"]) for k in listed] == [(key_id, "alpha", "ci")]
    assert listed[0]["revoked_at"] is not None


def test_mistakes_get_one_line_each(database_url: str) -> None:
    """A bad project name or an unknown key id: exit status 1 and a sentence saying what
    to do; an empty database says it runs open."""
    code, out, _ = _run("keys", "list", "--database", database_url)
    assert code == 0
    assert "no API keys" in out
    code, _, err = _run("keys", "create", "--project", "bad name", "--database", database_url)
    assert code == 1
    assert "not a valid project name" in err
    code, _, err = _run("keys", "revoke", "nosuchkey0", "--database", database_url)
    assert code == 1
    assert "agenttrace keys list" in err
