"""Helicone query bodies checked and turned into store queries."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from agenttrace.server.helicone import (
    HeliconeQueryError,
    name_query_from_body,
    request_query_from_body,
    session_query_from_body,
)
from agenttrace.server.helicone.query_mapping import (
    request_count_filter_from_body,
    request_ids_from_body,
)
from agenttrace.server.store.filters import And, Cmp, Field, Op, Or, Property, SortOrder

START_MS = 1_714_564_800_000  # 2024-05-01T12:00:00Z
END_MS = START_MS + 3_600_000


def session_body(**changes: Any) -> dict[str, Any]:
    """The body Helicone's dashboard sends for its sessions page."""
    body: dict[str, Any] = {
        "search": "",
        "timeFilter": {"startTimeUnixMs": START_MS, "endTimeUnixMs": END_MS},
        "timezoneDifference": 0,
        "filter": "all",
    }
    body.update(changes)
    return body


WINDOW = (
    Cmp(Field.CREATED_AT, Op.GT, datetime(2024, 5, 1, 12, tzinfo=UTC)),
    Cmp(Field.CREATED_AT, Op.LT, datetime(2024, 5, 1, 13, tzinfo=UTC)),
)


def test_session_body_defaults_to_the_time_window_and_first_page() -> None:
    """The minimal body: requests strictly inside the window, 50 sessions from offset 0."""
    query = session_query_from_body(session_body())
    assert query.filter == And(WINDOW)
    assert (query.limit, query.offset) == (50, 0)


def test_session_body_combines_filter_name_and_search() -> None:
    """filter, nameEquals and search (id or name, case-insensitive) all must hold."""
    body = session_body(
        search="trip",
        nameEquals="Planner",
        filter={"request_response_rmt": {"properties": {"env": {"equals": "prod"}}}},
        limit=10,
        offset=20,
    )
    query = session_query_from_body(body)
    assert query.filter == And(
        (
            Cmp(Field.SESSION_NAME, Op.EQ, "Planner"),
            Or(
                (
                    Cmp(Field.SESSION_NAME, Op.CONTAINS, "trip"),
                    Cmp(Field.SESSION_ID, Op.CONTAINS, "trip"),
                )
            ),
            Cmp(Property("env"), Op.EQ, "prod"),
            *WINDOW,
        )
    )
    assert (query.limit, query.offset) == (10, 20)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "the body must be a JSON object"),
        ({"search": ""}, "the body lacks timeFilter, timezoneDifference, filter"),
        (session_body(page=2), "unknown field page"),
        (session_body(search=3), "search must be a string"),
        (session_body(nameEquals=["a"]), "nameEquals must be a string"),
        (session_body(timezoneDifference="0"), "timezoneDifference must be a number"),
        (session_body(timezoneDifference=1441), "timezoneDifference must be minutes from -1440"),
        (session_body(timeFilter={"startTimeUnixMs": 1}), "timeFilter must be {startTimeUnixMs"),
        (session_body(timeFilter="today"), "timeFilter must be {startTimeUnixMs"),
        (
            session_body(timeFilter={"startTimeUnixMs": "x", "endTimeUnixMs": 1}),
            "timeFilter.startTimeUnixMs must be a number",
        ),
        (
            session_body(timeFilter={"startTimeUnixMs": END_MS, "endTimeUnixMs": START_MS}),
            "timeFilter.startTimeUnixMs is after endTimeUnixMs",
        ),
        (
            session_body(timeFilter={"startTimeUnixMs": 0, "endTimeUnixMs": 1e30}),
            "timeFilter.endTimeUnixMs must be Unix time in milliseconds",
        ),
        (session_body(limit=0), "limit must be a whole number from 1 to 1000"),
        (session_body(limit=5000), "limit must be a whole number from 1 to 1000"),
        (session_body(limit=2.5), "limit must be a whole number"),
        (session_body(offset=-1), "offset must be a whole number of at least 0"),
        (session_body(filter={"feedback": {}}), "filter.feedback: the table 'feedback'"),
    ],
)
def test_bad_session_bodies(body: object, message: str) -> None:
    """Each bad session body is refused with the field named."""
    with pytest.raises(HeliconeQueryError, match=re.escape(message)):
        session_query_from_body(body)


def test_request_body_defaults_and_sort() -> None:
    """filter only: newest first, 10 rows (Helicone's default), bodies included."""
    plan = request_query_from_body({"filter": "all"})
    assert plan.query.filter is None
    assert (plan.query.order, plan.query.limit, plan.query.offset) == (SortOrder.DESC, 10, 0)
    assert plan.query.include_bodies
    assert not plan.selects_nothing
    plan = request_query_from_body(
        {
            "filter": {},
            "sort": {"created_at": "asc"},
            "limit": 3,
            "offset": 6,
            "includeInputs": True,
        }
    )
    assert (plan.query.order, plan.query.limit, plan.query.offset) == (SortOrder.ASC, 3, 6)


@pytest.mark.parametrize("flag", ["isCached", "isPartOfExperiment", "isScored"])
def test_flags_for_what_agenttrace_never_keeps_select_nothing(flag: str) -> None:
    """Cache hits, experiments and scores are never kept: true selects nothing, false all."""
    assert request_query_from_body({"filter": "all", flag: True}).selects_nothing
    assert not request_query_from_body({"filter": "all", flag: False}).selects_nothing
    assert request_count_filter_from_body({"filter": "all", flag: True}).selects_nothing


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("all", "the body must be a JSON object with filter"),
        ({}, "the body lacks filter"),
        ({"filter": "all", "where": 1}, "unknown field where"),
        ({"filter": "all", "sort": "desc"}, "sort must be an object"),
        ({"filter": "all", "sort": {"cost": "desc"}}, "sorting by cost is not supported"),
        (
            {"filter": "all", "sort": {"created_at": "up"}},
            'sort.created_at must be "asc" or "desc"',
        ),
        ({"filter": "all", "isCached": "yes"}, "isCached must be true or false"),
        ({"filter": "all", "includeInputs": 1}, "includeInputs must be true or false"),
        ({"filter": "all", "limit": "10"}, "limit must be a number"),
        ({"filter": "all", "limit": True}, "limit must be a number"),
        ({"filter": {"request": {"prompt": {"equals": "x"}}}}, "the column 'prompt'"),
    ],
)
def test_bad_request_bodies(body: object, message: str) -> None:
    """Each bad request-query body is refused with the field named."""
    with pytest.raises(HeliconeQueryError, match=re.escape(message)):
        request_query_from_body(body)


def test_count_body_takes_the_request_filter() -> None:
    """The count endpoint reads the same body and validates its sort too."""
    plan = request_count_filter_from_body({"filter": {"request": {"user_id": {"equals": "u"}}}})
    assert plan.query.filter == Cmp(Field.USER_ID, Op.EQ, "u")
    with pytest.raises(HeliconeQueryError, match="sorting by latency"):
        request_count_filter_from_body({"filter": "all", "sort": {"latency": "asc"}})


def test_request_ids_body() -> None:
    """requestIds: a list of strings (any), de-duplicated in order; anything else refused."""
    assert request_ids_from_body({"requestIds": ["b", "a", "b"]}) == ("b", "a")
    assert request_ids_from_body({"requestIds": []}) == ()
    assert request_ids_from_body({"requestIds": [""]}) == ("",)  # a string: matches nothing
    for bad in ({"requestIds": "a"}, {"requestIds": [1]}, {"requestIds": [None]}):
        with pytest.raises(HeliconeQueryError, match="requestIds must be a list of request id"):
            request_ids_from_body(bad)
    with pytest.raises(HeliconeQueryError, match="ask for at most 1000"):
        request_ids_from_body({"requestIds": [str(i) for i in range(1001)]})


def test_name_body() -> None:
    """nameContains is a substring of the name; timeFilter and filter are optional."""
    plan = name_query_from_body({"nameContains": "trip", "timezoneDifference": -60})
    assert plan.filter == Cmp(Field.SESSION_NAME, Op.CONTAINS, "trip")
    plan = name_query_from_body(
        {
            "nameContains": "",
            "timezoneDifference": 0,
            "pSize": "p95",
            "useInterquartile": False,
            "timeFilter": {"startTimeUnixMs": START_MS, "endTimeUnixMs": END_MS},
            "filter": {"request_response_rmt": {"user_id": {"equals": "u"}}},
        }
    )
    assert plan.filter == And((*WINDOW, Cmp(Field.USER_ID, Op.EQ, "u")))
    with pytest.raises(HeliconeQueryError, match="the body lacks timezoneDifference"):
        name_query_from_body({"nameContains": "x"})
    with pytest.raises(HeliconeQueryError, match="pSize must be one of"):
        name_query_from_body({"nameContains": "", "timezoneDifference": 0, "pSize": "p42"})
