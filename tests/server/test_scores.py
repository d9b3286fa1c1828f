"""Scores and feedback over real HTTP, on SQLite and PostgreSQL: the native routes,
Helicone's score and feedback routes, and the session list filtered and sorted by score."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from agenttrace.server import create_app
from agenttrace.server.store.scores import MAX_SCORES_PER_TARGET
from agenttrace.server.testing import serve_in_thread


@pytest.fixture
def http(store_factory: Any, make_record: Any) -> Iterator[httpx.Client]:
    """A collector over each store backend holding three sessions: a (2 requests), b, c."""
    store = store_factory.open()
    records = [
        make_record("a1", "a", start_ms=0, end_ms=10, session_name="n"),
        make_record("a2", "a", start_ms=20, end_ms=30, session_name="n"),
        make_record("b1", "b", start_ms=100, end_ms=110, session_name="n"),
        make_record("c1", "c", start_ms=200, end_ms=210, session_name="n"),
    ]
    with serve_in_thread(create_app(store)) as url, httpx.Client(base_url=url, timeout=30) as c:
        assert c.post("/v1/records", json={"records": records}).is_success
        yield c


def _score(http: httpx.Client, **body: Any) -> httpx.Response:
    return http.post("/v1/scores", json=body)


def _ids(http: httpx.Client, query: str) -> list[str]:
    answer = http.get(f"/v1/sessions?{query}")
    assert answer.status_code == 200, answer.text
    return [row["session_id"] for row in answer.json()["sessions"]]


def test_scores_of_every_kind_are_kept_and_listed(http: httpx.Client) -> None:
    """Numeric, boolean and categorical scores come back with kind, source and comment; a
    session lists its own scores and its requests'."""
    first = _score(http, session_id="a", name="thumbs", value=True, source="dashboard")
    assert first.status_code == 201, first.text
    assert first.json()["kind"] == "boolean"
    assert first.json()["value"] is True
    assert _score(http, request_id="a2", name="quality", value=0.25, comment="meh").is_success
    assert _score(http, request_id="a1", name="label", value="off-topic").is_success
    scores = http.get("/v1/scores", params={"session_id": "a"}).json()["scores"]
    assert [(s["name"], s["kind"], s["value"]) for s in scores] == [
        ("thumbs", "boolean", True),
        ("quality", "numeric", 0.25),
        ("label", "categorical", "off-topic"),
    ]
    assert scores[1]["comment"] == "meh"
    assert scores[1]["target"] == "request"
    assert scores[1]["session_id"] == "a"
    own = http.get("/v1/scores", params={"request_id": "a2"}).json()["scores"]
    assert [s["name"] for s in own] == ["quality"]


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        ({"session_id": "nope", "name": "x", "value": 1}, 404, "no session 'nope'"),
        ({"request_id": "nope", "name": "x", "value": 1}, 404, "no request 'nope'"),
        ({"name": "x", "value": 1}, 400, "exactly one of session_id and request_id"),
        ({"session_id": "a", "request_id": "a1", "name": "x", "value": 1}, 400, "exactly one"),
        ({"session_id": "a", "name": "x", "value": "yes", "kind": "boolean"}, 400, "true or"),
        ({"session_id": "a", "name": "", "value": 1}, 422, "name"),
        ({"session_id": "a", "name": "x", "value": [1]}, 422, "value"),
        ({"session_id": "a", "name": "x", "value": 1, "extra": 1}, 422, "extra"),
    ],
)
def test_bad_scores_get_a_sentence(
    http: httpx.Client, body: dict[str, Any], status: int, says: str
) -> None:
    """An unknown target is 404; a body of the wrong shape says what was wrong."""
    answer = _score(http, **body)
    assert answer.status_code == status, answer.text
    assert says in answer.json()["error"]


def test_a_target_holds_a_bounded_number_of_scores(
    http: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the limit a score is refused with the limit named."""
    monkeypatch.setattr("agenttrace.server.store.scores.MAX_SCORES_PER_TARGET", 2)
    assert _score(http, session_id="b", name="x", value=1).is_success
    assert _score(http, session_id="b", name="x", value=2).is_success
    refused = _score(http, session_id="b", name="x", value=3)
    assert refused.status_code == 400
    assert "2 scores" in refused.json()["error"]
    assert MAX_SCORES_PER_TARGET >= 100


def test_sessions_filter_and_sort_by_score(http: httpx.Client) -> None:
    """A session's score is the average over it and its requests; sessions filter on it,
    sort by it (unscored last) and match categorical values."""
    for target, value in [("a", 1.0), ("a1", 0.0), ("b", 0.75)]:
        key = "session_id" if len(target) == 1 else "request_id"
        assert _score(http, **{key: target, "name": "quality", "value": value}).is_success
    assert _score(http, session_id="c", name="label", value="great").is_success
    assert _ids(http, "score=quality&sort=score&order=desc") == ["b", "a"]
    assert _ids(http, "sort=score&score=quality&order=asc") == ["a", "b"]
    assert _ids(http, "score=quality&min_score=0.6") == ["b"]
    assert _ids(http, "score=quality&max_score=0.5") == ["a"]
    assert _ids(http, "score=label&score_value=great") == ["c"]
    answer = http.get("/v1/sessions?min_score=1")
    assert answer.status_code == 400
    assert "score=NAME" in answer.json()["error"]
    unsorted = http.get("/v1/sessions?sort=score")
    assert unsorted.status_code == 400
    assert "score_name" in unsorted.json()["error"] or "score" in unsorted.json()["error"]


def test_helicone_score_and_feedback_routes(http: httpx.Client) -> None:
    """Helicone's ``POST /v1/request/{id}/score`` and ``/feedback`` answer its envelope and
    keep the scores with source ``helicone``; an unknown request is a 404 envelope."""
    scored = http.post("/v1/request/b1/score", json={"scores": {"accuracy": 0.9, "ok": True}})
    assert scored.status_code == 200, scored.text
    assert scored.json() == {"data": None, "error": None}
    liked = http.post("/v1/request/b1/feedback", json={"rating": False})
    assert liked.json() == {"data": None, "error": None}
    scores = http.get("/v1/scores", params={"request_id": "b1"}).json()["scores"]
    assert [(s["name"], s["value"], s["source"]) for s in scores] == [
        ("accuracy", 0.9, "helicone"),
        ("ok", True, "helicone"),
        ("feedback", False, "helicone"),
    ]
    missing = http.post("/v1/request/zz/feedback", json={"rating": True})
    assert missing.status_code == 404
    assert missing.json()["data"] is None
    assert "no request 'zz'" in missing.json()["error"]
    bad = http.post("/v1/request/b1/score", json={"scores": {"x": "text"}})
    assert bad.status_code == 400
    assert "number or a boolean" in bad.json()["error"]


def test_metrics_groups_average_their_requests_and_sessions_scores(http: httpx.Client) -> None:
    """``GET /v1/metrics`` gives each group the average of every numeric or boolean score
    on its requests and its sessions (true = 1); categorical scores are not averaged."""
    for target, name, value in [("a1", "quality", 1.0), ("a2", "quality", 0.5),
                                ("b1", "thumbs", True), ("c1", "label", "x")]:  # fmt: skip
        assert _score(http, request_id=target, name=name, value=value).is_success
    assert _score(http, session_id="c", name="quality", value=0.0).is_success
    whole = http.get("/v1/metrics").json()["groups"]
    assert [group["scores"] for group in whole] == [{"quality": 0.5, "thumbs": 1.0}]
    only_a = http.get("/v1/metrics", params={"session_id": "a"}).json()["groups"]
    assert only_a[0]["scores"] == {"quality": 0.75}
    only_c = http.get("/v1/metrics", params={"session_id": "c"}).json()["groups"]
    assert only_c[0]["scores"] == {"quality": 0.0}


def test_pruning_a_session_deletes_its_scores(store_factory: Any, make_record: Any) -> None:
    """Retention removes a pruned session's scores with it: a session stored again under
    the same id starts with none."""
    from datetime import UTC, datetime

    from agenttrace.records import Record
    from agenttrace.server.store.scores import ScoreIn

    store = store_factory.open()
    old = Record.model_validate(make_record("o1", "old", start_ms=0, end_ms=10))
    store.ingest("default", [old])
    scores = store.score_store()
    assert scores.add("default", "session", "old", ScoreIn(name="thumbs", value=True))
    assert scores.add("default", "request", "o1", ScoreIn(name="q", value=0.5))
    assert store.prune(datetime(2100, 1, 1, tzinfo=UTC)).sessions == 1
    assert scores.list("default", "session", "old") is None
    store.ingest("default", [Record.model_validate(make_record("o2", "old", start_ms=0))])
    assert scores.list("default", "session", "old") == []
