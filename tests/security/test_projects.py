"""Two projects on one collector never see, count or overwrite each other's data: through
every native and Helicone-shaped query, filters, search, pagination, guessed ids, and the
same record id or session id used by both."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from .conftest import Keyed, MakeRecord

ALL_TIME = {"startTimeUnixMs": 0, "endTimeUnixMs": 4_102_444_800_000}


def _seed(keyed: Keyed, record: MakeRecord) -> None:
    """alpha and beta each write two sessions; both use session id "shared" and record
    id "dup-1", with different contents."""
    batches = {
        keyed.alpha: [
            record("a-1", "alpha-only", session_name="Alpha secret", model="gpt-a",
                   user_id="u-alpha", properties={"env": "alpha"}, session_path="/alpha/agent",
                   cost_usd=1.0, request={"q": "alpha question"}),
            record("a-2", "shared", start_s=5, session_name="Shared", model="gpt-a"),
            record("dup-1", "shared", start_s=6, model="gpt-a", request={"who": "alpha"}),
        ],
        keyed.beta: [
            record("b-1", "beta-only", session_name="Beta secret", model="gpt-b",
                   user_id="u-beta", properties={"env": "beta"}, session_path="/beta/agent",
                   cost_usd=2.0, request={"q": "beta question"}),
            record("b-2", "shared", start_s=1, session_name="Shared", model="gpt-b",
                   status="error", error={"type": "E", "message": "beta failed"}),
            record("b-3", "shared", start_s=2, model="gpt-b"),
            record("dup-1", "shared", start_s=3, model="gpt-b", request={"who": "beta"}),
        ],
    }  # fmt: skip
    for key, records in batches.items():
        with keyed.client(key) as client:
            answer = client.post("/v1/records", json={"records": records}).json()
            assert answer == {"accepted": len(records), "duplicates": 0, "rejected": []}


def _session_ids(client: httpx.Client, **params: Any) -> tuple[list[str], int]:
    page = client.get("/v1/sessions", params=params).raise_for_status().json()
    return [row["session_id"] for row in page["sessions"]], page["total"]


def _request_ids(client: httpx.Client, **params: Any) -> tuple[list[str], int]:
    page = client.get("/v1/requests", params=params).raise_for_status().json()
    return sorted(row["id"] for row in page["requests"]), page["total"]


def test_native_queries_see_only_the_keys_project(keyed: Keyed, record: MakeRecord) -> None:
    """Lists, totals, filters, search, pages and paths of alpha hold nothing of beta."""
    _seed(keyed, record)
    with keyed.client(keyed.alpha) as alpha:
        assert _session_ids(alpha) == (["shared", "alpha-only"], 2)
        assert _session_ids(alpha, search="secret") == (["alpha-only"], 1)
        assert _session_ids(alpha, search="beta") == ([], 0)
        assert _session_ids(alpha, name="Beta secret") == ([], 0)
        assert _session_ids(alpha, property="env=beta") == ([], 0)
        assert _session_ids(alpha, user_id="u-beta") == ([], 0)
        assert _session_ids(alpha, status="error") == ([], 0)
        assert _session_ids(alpha, min_cost=1.5) == ([], 0)
        assert _session_ids(alpha, limit=1, offset=1) == (["alpha-only"], 2)
        assert _session_ids(alpha, limit=1, offset=2) == ([], 2)
        assert _session_ids(alpha, sort="cost_usd", order="asc") == (
            ["alpha-only", "shared"],
            2,
        )

        assert _request_ids(alpha) == (["a-1", "a-2", "dup-1"], 3)
        assert _request_ids(alpha, session_id="beta-only") == ([], 0)
        assert _request_ids(alpha, model="gpt-b") == ([], 0)
        assert _request_ids(alpha, path="/beta/agent") == ([], 0)
        assert _request_ids(alpha, property="env=beta") == ([], 0)
        assert _request_ids(alpha, user_id="u-beta") == ([], 0)
        assert _request_ids(alpha, limit=1, offset=2)[1] == 3

        paths = alpha.get("/v1/paths").json()["paths"]
        assert sorted(p["path"] for p in paths) == ["/", "/alpha/agent"]
        assert sum(p["request_count"] for p in paths) == 3
        assert alpha.get("/v1/paths", params={"session_name": "Beta secret"}).json() == {
            "paths": []
        }


def test_ids_guessed_from_another_project_are_unknown(keyed: Keyed, record: MakeRecord) -> None:
    """beta's session and request ids answer 404 to alpha, exactly as ids that never
    existed; the ids both used answer with alpha's own data only."""
    _seed(keyed, record)
    with keyed.client(keyed.alpha) as alpha:
        for path in ("/v1/sessions/beta-only", "/v1/requests/b-1", "/v1/sessions/no-such"):
            answer = alpha.get(path)
            assert answer.status_code == 404, path
        assert alpha.get("/v1/request/b-1").status_code == 404
        assert "beta" not in alpha.get("/v1/sessions/beta-only").text.replace("beta-only", "")

        shared = alpha.get("/v1/sessions/shared", params={"include_bodies": True}).json()
        assert [r["id"] for r in shared["requests"]] == ["a-2", "dup-1"]
        assert shared["session"]["request_count"] == 2
        assert shared["session"]["error_count"] == 0
        assert shared["session"]["status"] == "ok"
        assert shared["session"]["start_time"] == "2025-06-01T09:00:05Z"
        assert [r["request_body"] for r in shared["requests"]] == [None, {"who": "alpha"}]

        dup = alpha.get("/v1/requests/dup-1").json()
        assert (dup["model"], dup["request_body"]) == ("gpt-a", {"who": "alpha"})
    with keyed.client(keyed.beta) as beta:
        dup = beta.get("/v1/requests/dup-1").json()
        assert (dup["model"], dup["request_body"]) == ("gpt-b", {"who": "beta"})
        shared = beta.get("/v1/sessions/shared").json()["session"]
        assert (shared["request_count"], shared["error_count"]) == (3, 1)


def test_helicone_queries_see_only_the_keys_project(keyed: Keyed, record: MakeRecord) -> None:
    """Helicone's session, name, request, count and by-id queries are scoped to the key."""
    _seed(keyed, record)
    session_body = {"search": "", "timeFilter": ALL_TIME, "timezoneDifference": 0,
                    "filter": "all"}  # fmt: skip
    with keyed.client(keyed.alpha) as alpha:
        sessions = alpha.post("/v1/session/query", json=session_body).json()["data"]
        assert sorted(s["session_id"] for s in sessions) == ["alpha-only", "shared"]
        searched = alpha.post("/v1/session/query", json={**session_body, "search": "Beta"})
        assert searched.json()["data"] == []
        names = alpha.post(
            "/v1/session/name/query", json={"nameContains": "", "timezoneDifference": 0}
        ).json()["data"]
        assert sorted(n["name"] for n in names) == ["Alpha secret", "Shared"]
        requests = alpha.post("/v1/request/query", json={"filter": "all", "limit": 100})
        assert sorted(r["request_id"] for r in requests.json()["data"]) == ["a-1", "a-2", "dup-1"]
        count = alpha.post("/v1/request/count/query", json={"filter": "all"}).json()
        assert count["data"] == 3
        by_model = {"request_response_rmt": {"model": {"equals": "gpt-b"}}}
        assert alpha.post("/v1/request/query", json={"filter": by_model}).json()["data"] == []
        by_ids = alpha.post("/v1/request/query-ids", json={"requestIds": ["b-1", "b-2", "a-1"]})
        assert [r["request_id"] for r in by_ids.json()["data"]] == ["a-1"]
        assert alpha.get("/v1/request/b-2").status_code == 404


def test_the_same_record_id_from_two_projects_is_stored_twice(
    keyed: Keyed, record: MakeRecord
) -> None:
    """A record id another project already used is new in this one (not a duplicate) and
    leaves the other project's record as it was; a repeat within a project is a duplicate."""
    _seed(keyed, record)
    with keyed.client(keyed.beta) as beta:
        again = beta.post(
            "/v1/records", json={"records": [record("a-1", "alpha-only", model="from-beta")]}
        ).json()
        assert (again["accepted"], again["duplicates"]) == (1, 0)
        assert beta.get("/v1/requests/a-1").json()["model"] == "from-beta"
        assert _session_ids(beta, search="alpha") == (["alpha-only"], 1)
        log = {
            "providerRequest": {"url": "https://x", "json": {"who": "beta"}, "meta": {}},
            "providerResponse": {"json": {}, "status": 200, "headers": {}},
        }
        answer = beta.post(
            "/custom/v1/log",
            json=log,
            headers={"Helicone-Request-Id": "a-2", "Helicone-Session-Id": "shared"},
        )
        assert answer.status_code == 200
        assert answer.headers["helicone-id"] == "a-2"
    with keyed.client(keyed.alpha) as alpha:
        assert alpha.get("/v1/requests/a-1").json()["model"] == "gpt-a"
        assert alpha.get("/v1/requests/a-2").json()["request_body"] is None
        assert _session_ids(alpha) == (["shared", "alpha-only"], 2)
        assert alpha.get("/v1/sessions/alpha-only").json()["session"]["request_count"] == 1
        repeat = alpha.post("/v1/records", json={"records": [record("a-1", "alpha-only")]})
        assert repeat.json() == {"accepted": 0, "duplicates": 1, "rejected": []}


@pytest.mark.parametrize("endpoint", ["/v1/records", "/custom/v1/log"])
def test_writes_go_to_the_keys_project(keyed: Keyed, record: MakeRecord, endpoint: str) -> None:
    """What a key writes, native or Helicone-shaped, only that key's project reads."""
    with keyed.client(keyed.beta) as beta:
        if endpoint == "/v1/records":
            beta.post(endpoint, json={"records": [record("w-1", "written")]}).raise_for_status()
        else:
            log = {
                "providerRequest": {"url": "https://x", "json": {}, "meta": {}},
                "providerResponse": {"json": {}, "status": 200, "headers": {}},
            }
            beta.post(
                endpoint,
                json=log,
                headers={"Helicone-Request-Id": "w-1", "Helicone-Session-Id": "written"},
            ).raise_for_status()
        assert beta.get("/v1/requests/w-1").status_code == 200
    with keyed.client(keyed.alpha) as alpha:
        assert alpha.get("/v1/requests/w-1").status_code == 404
        assert _session_ids(alpha) == ([], 0)
