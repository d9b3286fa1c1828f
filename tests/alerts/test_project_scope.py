"""Scores and alert rules belong to the project of the API key: another project can
neither see nor score them."""

from __future__ import annotations

from pathlib import Path

import httpx

from agenttrace.server import create_app
from agenttrace.server.store import SQLiteStore
from agenttrace.server.testing import serve_in_thread


def test_scores_and_alerts_are_scoped_by_project(tmp_path: Path) -> None:
    """Project b cannot score or list a's session, and sees none of a's rules or events."""
    store = SQLiteStore(tmp_path / "agenttrace.db")
    keys = store.key_store()
    key_a, key_b = keys.create_key("a").secret, keys.create_key("b").secret
    record = {"id": "r", "session_id": "s", "start_time": "2025-03-01T12:00:00Z"}
    try:
        with serve_in_thread(create_app(store, alert_interval=None)) as url:
            a = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key_a}"})
            b = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key_b}"})
            assert a.post("/v1/records", json={"records": [record]}).is_success
            score = {"session_id": "s", "name": "thumbs", "value": True}
            assert a.post("/v1/scores", json=score).status_code == 201
            assert b.post("/v1/scores", json=score).status_code == 404
            assert b.get("/v1/scores", params={"session_id": "s"}).status_code == 404
            assert b.post("/v1/request/r/feedback", json={"rating": True}).status_code == 404
            assert len(a.get("/v1/scores", params={"session_id": "s"}).json()["scores"]) == 1
            rule = {"name": "x", "metric": "requests", "threshold": 0, "window_s": 60}
            made = a.post("/v1/alerts/rules", json=rule).json()
            assert b.get("/v1/alerts/rules").json()["rules"] == []
            assert b.delete(f"/v1/alerts/rules/{made['rule_id']}").status_code == 404
            assert [r["name"] for r in a.get("/v1/alerts/rules").json()["rules"]] == ["x"]
            assert httpx.get(f"{url}/v1/alerts/rules").status_code == 401
            a.close()
            b.close()
    finally:
        store.close()
