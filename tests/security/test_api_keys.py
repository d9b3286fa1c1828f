"""API keys: every ingest and query endpoint needs one once keys exist; wrong, missing and
revoked keys get 401 with a sentence; keys are stored only as hashes."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import httpx
import pytest

from agenttrace.exceptions import UserError
from agenttrace.server._access import presented_key
from agenttrace.server.store import SQLiteStore, database_url_for
from agenttrace.server.store.api_keys import UnknownKeyError, parse_key
from agenttrace.server.testing import running_collector

from .conftest import Keyed, MakeRecord, bearer, keys_of

HELICONE_PREFIXES = ("/custom/", "/oai/", "/anthropic/", "/googleapis/", "/v1/trace/")


def _operations(url: str) -> list[tuple[str, str]]:
    spec = httpx.get(f"{url}/openapi.json").json()
    return [
        (method.upper(), path.replace("{session_id}", "x").replace("{request_id}", "x"))
        for path, item in spec["paths"].items()
        for method in item
        if path != "/healthz"
    ]


def test_every_endpoint_refuses_a_request_without_a_key(keyed: Keyed) -> None:
    """All ingest and query operations of the OpenAPI document answer 401 without a key,
    with the sentence in the endpoint family's error shape; health and the spec stay open."""
    operations = _operations(keyed.url)
    assert len(operations) >= 19
    with keyed.client(None) as client:
        for method, path in operations:
            answer = client.request(method, path, json={})
            assert answer.status_code == 401, (method, path, answer.text)
            assert answer.headers["www-authenticate"].startswith("Bearer")
            body = answer.json()
            assert "Authorization: Bearer <key>" in body["error"]
            assert "agenttrace keys create" in body["error"]
            if path.startswith(("/v1/session/", "/v1/request/", *HELICONE_PREFIXES)):
                assert body["data"] is None, path
        assert client.get("/healthz").status_code == 200
        assert client.get("/openapi.json").status_code == 200
        assert client.get("/").status_code == 200  # the dashboard page, which then asks


def test_a_valid_key_is_accepted_in_either_header(keyed: Keyed, record: MakeRecord) -> None:
    """``Authorization: Bearer`` and ``Helicone-Auth: Bearer`` both carry a key; the bearer
    word is optional and case-insensitive."""
    batch = {"records": [record("a-1")]}
    for headers in (
        {"Authorization": f"Bearer {keyed.alpha}"},
        {"Helicone-Auth": f"Bearer {keyed.alpha}"},
        {"authorization": f"bearer   {keyed.alpha}"},
        {"Authorization": keyed.alpha},
        # Helicone users may still send a model provider's key in Authorization.
        {"Authorization": "Bearer sk-provider-key", "Helicone-Auth": f"Bearer {keyed.alpha}"},
    ):
        answer = httpx.post(f"{keyed.url}/v1/records", json=batch, headers=headers)
        assert answer.status_code == 200, (headers, answer.text)
    sessions = httpx.get(f"{keyed.url}/v1/sessions", headers=bearer(keyed.alpha)).json()
    assert [s["session_id"] for s in sessions["sessions"]] == ["s-1"]


@pytest.mark.parametrize(
    "sent",
    [
        "agt_aaaaaaaaaa_" + "A" * 43,  # the form of a key, but no such key
        "sk-helicone-abcdefghijklmnop",
        "",
        "Bearer",
        "agt_",
        "x" * 5000,
        "agt_\u00e9\u00e9\u00e9",
    ],
)
def test_a_wrong_key_is_refused_without_echoing_it(keyed: Keyed, sent: str) -> None:
    """Unknown, malformed, empty and oversized keys get 401; the answer never repeats the
    secret part of what was sent."""
    answer = httpx.get(
        f"{keyed.url}/v1/sessions",
        headers={"Authorization": f"Bearer {sent}".strip().encode()},
    )
    assert answer.status_code == 401
    message = answer.json()["error"]
    assert "A" * 43 not in message
    assert "abcdefghijklmnop" not in message
    assert "x" * 20 not in message


def test_a_key_of_another_store_with_the_same_id_is_refused(keyed: Keyed, tmp_path: Path) -> None:
    """A key is checked against its stored hash, not only by its public id: a key with a
    known id and another secret is refused."""
    key_id = parse_key(keyed.alpha)
    assert key_id is not None
    forged = f"agt_{key_id}_" + "B" * 43
    answer = httpx.get(f"{keyed.url}/v1/sessions", headers=bearer(forged))
    assert answer.status_code == 401
    assert "is not an API key of this collector" in answer.json()["error"]


def test_a_revoked_key_is_refused_on_the_next_request(keyed: Keyed, record: MakeRecord) -> None:
    """Revoking a key (by id) takes effect at once on the running collector; the other
    project's key keeps working; revoking an unknown id says how to list keys."""
    with keyed.client(keyed.alpha) as alpha:
        assert alpha.post("/v1/records", json={"records": [record("a-1")]}).status_code == 200
        key_id = parse_key(keyed.alpha)
        assert key_id is not None
        revoked = keyed.keys.revoke_key(key_id)
        assert not revoked.active
        answer = alpha.get("/v1/sessions")
        assert answer.status_code == 401
        assert "was revoked" in answer.json()["error"]
        assert alpha.post("/v1/records", json={"records": [record("a-2")]}).status_code == 401
    with keyed.client(keyed.beta) as beta:
        assert beta.get("/v1/sessions").status_code == 200
    with pytest.raises(UnknownKeyError, match="agenttrace keys list"):
        keyed.keys.revoke_key("nosuchkey0")
    assert keyed.keys.revoke_key(keyed.alpha).revoked_at == revoked.revoked_at  # idempotent


def test_only_a_hash_of_the_key_is_stored(tmp_path: Path) -> None:
    """The database file holds the key's SHA-256 and its public id, never its secret."""
    store = SQLiteStore(tmp_path / "keys.db")
    try:
        new = store.key_store().create_key("alpha")
    finally:
        store.close()
    # The random part is base64url and may itself contain "_", so strip the known prefix.
    secret = new.secret.removeprefix(f"agt_{new.key.key_id}_")
    assert len(secret) == 43
    raw = b"".join(path.read_bytes() for path in tmp_path.iterdir() if path.is_file())
    assert secret.encode() not in raw
    assert hashlib.sha256(new.secret.encode()).hexdigest().encode() in raw
    assert new.key.key_id.encode() in raw
    assert re.fullmatch(r"agt_[a-z0-9]{10}_[A-Za-z0-9_-]{43}", new.secret)


def test_keys_list_by_project_and_names_are_checked(keyed: Keyed) -> None:
    """Keys are listed oldest first, per project or all; bad project names are refused."""
    third = keyed.keys.create_key("alpha", "ci")
    assert [k.project_id for k in keyed.keys.list_keys()] == ["alpha", "beta", "alpha"]
    assert [k.name for k in keyed.keys.list_keys("alpha")] == ["alpha's key", "ci"]
    assert keyed.keys.list_keys("alpha")[-1].key_id == third.key.key_id
    for bad in ("", "has space", "-leading", "x" * 65, "é"):
        with pytest.raises(UserError, match="not a valid project name"):
            keyed.keys.create_key(bad)


def test_open_until_the_first_key_then_closed(tmp_path: Path, record: MakeRecord) -> None:
    """Without keys the collector serves everyone (into project default, ignoring any key
    sent, as Helicone clients send theirs); creating a key on the running collector closes
    it at once, for the data written while open too."""
    with running_collector(data_dir=tmp_path) as collector:
        url = collector.url
        headers = {"Authorization": "Bearer sk-helicone-from-old-code"}
        answer = httpx.post(f"{url}/v1/records", json={"records": [record("o-1")]}, headers=headers)
        assert answer.json()["accepted"] == 1
        assert httpx.get(f"{url}/v1/requests/o-1").status_code == 200
        new = keys_of(collector).create_key("default")
        assert httpx.get(f"{url}/v1/requests/o-1").status_code == 401
        assert httpx.get(f"{url}/v1/requests/o-1", headers=bearer(new.secret)).status_code == 200


def test_an_app_that_may_not_run_open_refuses_until_a_key_exists(tmp_path: Path) -> None:
    """With allow_open=False and no key, requests get 401 saying to create a key first."""
    with running_collector(data_dir=tmp_path, allow_open=False) as collector:
        answer = httpx.get(f"{collector.url}/v1/sessions")
        assert answer.status_code == 401
        assert "none exists yet" in answer.json()["error"]
        new = keys_of(collector).create_key("team")
        assert httpx.get(f"{collector.url}/v1/sessions", headers=bearer(new.secret)).is_success


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, None),
        ({"authorization": "Bearer abc"}, "abc"),
        ({"authorization": "bearer abc "}, "abc"),
        ({"authorization": "abc"}, "abc"),
        ({"authorization": "Bearer "}, None),
        ({"helicone-auth": "Bearer h", "authorization": "Bearer a"}, "h"),
        ({"helicone-auth": "Bearer h", "authorization": "Bearer agt_abcdefghij_" + "x" * 43},
         "agt_abcdefghij_" + "x" * 43),
    ],
)  # fmt: skip
def test_presented_key_reads_both_headers(headers: dict[str, str], expected: str | None) -> None:
    """The key is taken from Helicone-Auth or Authorization; an agenttrace-shaped key wins."""
    assert presented_key(headers) == expected


def test_database_url_for_keys_matches_serve(tmp_path: Path) -> None:
    """Keys created on the default database URL of a data directory are the collector's."""
    url = database_url_for(tmp_path)
    store = SQLiteStore(url.removeprefix("sqlite:///"))
    try:
        new = store.key_store().create_key("alpha")
    finally:
        store.close()
    with running_collector(data_dir=tmp_path, rate_limit=None) as collector:
        assert httpx.get(f"{collector.url}/v1/sessions").status_code == 401
        assert httpx.get(f"{collector.url}/v1/sessions", headers=bearer(new.secret)).is_success
