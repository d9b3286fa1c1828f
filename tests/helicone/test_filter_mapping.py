"""Helicone FilterNode trees translated to agenttrace filters; bad trees refused by name."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from agenttrace.records import Status
from agenttrace.server.helicone import (
    HeliconeFilterError,
    filter_from_helicone,
    response_status_code,
)
from agenttrace.server.store.filters import And, Cmp, Field, Op, Or, Property

RMT = "request_response_rmt"
SESSIONS = "sessions_request_response_rmt"


def leaf(table: str, column: str, op: str, value: object) -> dict[str, Any]:
    """``{table: {column: {op: value}}}``."""
    return {table: {column: {op: value}}}


def test_all_and_empty_leaves_keep_everything() -> None:
    """ "all", {} and a table with no columns are no condition at all."""
    assert filter_from_helicone("all") is None
    assert filter_from_helicone({}) is None
    assert filter_from_helicone({RMT: {}}) is None


@pytest.mark.parametrize(
    ("table", "column", "field"),
    [
        (RMT, "model", Field.MODEL),
        (RMT, "user_id", Field.USER_ID),
        (RMT, "request_id", Field.REQUEST_ID),
        (SESSIONS, "session_session_id", Field.SESSION_ID),
        (SESSIONS, "session_session_name", Field.SESSION_NAME),
        ("request", "id", Field.REQUEST_ID),
        ("request", "user_id", Field.USER_ID),
        ("request", "model", Field.MODEL),
        ("response", "model", Field.MODEL),
        ("response", "body_model", Field.MODEL),
    ],
)
def test_text_columns(table: str, column: str, field: Field) -> None:
    """Text columns take equals, not-equals and contains."""
    assert filter_from_helicone(leaf(table, column, "equals", "v")) == Cmp(field, Op.EQ, "v")
    assert filter_from_helicone(leaf(table, column, "not-equals", "v")) == Cmp(field, Op.NEQ, "v")
    assert filter_from_helicone(leaf(table, column, "contains", "v")) == Cmp(
        field, Op.CONTAINS, "v"
    )


@pytest.mark.parametrize(
    ("table", "column", "field"),
    [
        (RMT, "cost", Field.COST),
        (RMT, "latency", Field.LATENCY_MS),
        (SESSIONS, "session_total_cost", Field.SESSION_TOTAL_COST),
        (SESSIONS, "session_total_requests", Field.SESSION_REQUEST_COUNT),
    ],
)
@pytest.mark.parametrize(
    ("op", "expected"),
    [
        ("equals", Op.EQ),
        ("not-equals", Op.NEQ),
        ("gt", Op.GT),
        ("gte", Op.GTE),
        ("lt", Op.LT),
        ("lte", Op.LTE),
    ],
)
def test_number_columns(table: str, column: str, field: Field, op: str, expected: Op) -> None:
    """Number columns take the six comparisons; whole numbers stay ints."""
    assert filter_from_helicone(leaf(table, column, op, 0.5)) == Cmp(field, expected, 0.5)
    assert filter_from_helicone(leaf(table, column, op, 3.0)) == Cmp(field, expected, 3)


@pytest.mark.parametrize(
    ("table", "column", "field"),
    [
        (RMT, "request_created_at", Field.CREATED_AT),
        ("request", "created_at", Field.CREATED_AT),
        (SESSIONS, "session_created_at", Field.SESSION_CREATED_AT),
        (SESSIONS, "session_latest_request_created_at", Field.SESSION_LATEST_AT),
    ],
)
def test_time_columns_parse_iso_times_as_utc(table: str, column: str, field: Field) -> None:
    """Time columns take ISO-8601 strings; offsets are converted and naive means UTC."""
    assert filter_from_helicone(leaf(table, column, "gte", "2024-05-01T12:00:00Z")) == Cmp(
        field, Op.GTE, datetime(2024, 5, 1, 12, tzinfo=UTC)
    )
    assert filter_from_helicone(leaf(table, column, "lt", "2024-05-01T14:00:00+02:00")) == Cmp(
        field, Op.LT, datetime(2024, 5, 1, 12, tzinfo=UTC)
    )
    assert filter_from_helicone(leaf(table, column, "equals", "2024-05-01 12:00:00")) == Cmp(
        field, Op.EQ, datetime(2024, 5, 1, 12, tzinfo=UTC)
    )


def test_whole_numbers_beyond_double_precision_stay_floats() -> None:
    """1e20 is compared as a float (stores' integers stop at 2**63)."""
    assert filter_from_helicone(leaf(RMT, "cost", "lt", 10**20)) == Cmp(
        Field.COST, Op.LT, float(10**20)
    )


def test_properties_in_rmt_and_the_legacy_table() -> None:
    """Custom properties, in request_response_rmt or the top-level legacy table."""
    expected = Cmp(Property("environment"), Op.EQ, "prod")
    nested = {RMT: {"properties": {"environment": {"equals": "prod"}}}}
    assert filter_from_helicone(nested) == expected
    assert filter_from_helicone({"properties": {"environment": {"equals": "prod"}}}) == expected


def test_session_properties_are_the_session_columns() -> None:
    """Helicone-Session-Id/-Name/-Path properties test agenttrace's session columns."""
    props = {
        "Helicone-Session-Id": {"equals": "s-1"},
        "helicone-session-name": {"contains": "trip"},
        "Helicone-Session-Path": {"equals": "agent/search/"},
    }
    assert filter_from_helicone({RMT: {"properties": props}}) == And(
        (
            Cmp(Field.SESSION_ID, Op.EQ, "s-1"),
            Cmp(Field.SESSION_NAME, Op.CONTAINS, "trip"),
            Cmp(Field.SESSION_PATH, Op.EQ, "/agent/search"),
        )
    )


def test_provider_equality_is_lower_cased() -> None:
    """Helicone writes OPENAI; agenttrace stores openai."""
    assert filter_from_helicone(leaf(RMT, "provider", "equals", "OPENAI")) == Cmp(
        Field.PROVIDER, Op.EQ, "openai"
    )


@pytest.mark.parametrize("op", ["like", "ilike"])
def test_like_patterns(op: str) -> None:
    """%text% is contains, a plain value is equality, other patterns are refused."""
    assert filter_from_helicone(leaf(RMT, "model", op, "%gpt%")) == Cmp(
        Field.MODEL, Op.CONTAINS, "gpt"
    )
    assert filter_from_helicone(leaf(RMT, "model", op, "gpt-4o")) == Cmp(
        Field.MODEL, Op.EQ, "gpt-4o"
    )
    for pattern in ("gpt%", "%a%b%", "%%", "%"):
        with pytest.raises(HeliconeFilterError, match=re.escape(f"the pattern {pattern!r}")):
            filter_from_helicone(leaf(RMT, "model", op, pattern))


@pytest.mark.parametrize(
    ("op", "code", "expected"),
    [
        ("equals", 200, Cmp(Field.STATUS, Op.IN, ("handoff", "ok"))),
        ("equals", 500, Cmp(Field.STATUS, Op.EQ, "error")),
        ("equals", 499, Cmp(Field.STATUS, Op.IN, ("cancelled", "interrupted"))),
        ("gte", 400, Cmp(Field.STATUS, Op.IN, ("cancelled", "error", "interrupted"))),
        ("not-equals", 200, Cmp(Field.STATUS, Op.IN, ("cancelled", "error", "interrupted"))),
        ("lt", 300, Cmp(Field.STATUS, Op.IN, ("handoff", "ok"))),
        ("gt", 100, None),
        ("equals", 404, Cmp(Field.STATUS, Op.IN, ())),
    ],
)
def test_status_codes_select_statuses(op: str, code: int, expected: Cmp | None) -> None:
    """Numeric status filters keep the statuses whose response code passes."""
    assert filter_from_helicone(leaf(RMT, "status", op, code)) == expected
    assert filter_from_helicone(leaf("response", "status", op, code)) == expected


def test_response_status_codes() -> None:
    """ok/handoff answer 200, error 500, cancelled/interrupted 499."""
    assert [response_status_code(s) for s in Status] == [200, 500, 499, 499, 200]


def test_branches_nest_and_or() -> None:
    """{left, operator, right} become And / Or, recursively."""
    tree = {
        "left": leaf(RMT, "model", "equals", "a"),
        "operator": "or",
        "right": {
            "left": leaf(RMT, "user_id", "equals", "u"),
            "operator": "and",
            "right": leaf(RMT, "cost", "gte", 1),
        },
    }
    assert filter_from_helicone(tree) == Or(
        (
            Cmp(Field.MODEL, Op.EQ, "a"),
            And((Cmp(Field.USER_ID, Op.EQ, "u"), Cmp(Field.COST, Op.GTE, 1))),
        )
    )


def test_all_inside_branches() -> None:
    """x AND all is x; x OR all is everything."""
    model = leaf(RMT, "model", "equals", "a")
    assert filter_from_helicone({"left": model, "operator": "and", "right": "all"}) == Cmp(
        Field.MODEL, Op.EQ, "a"
    )
    assert filter_from_helicone({"left": model, "operator": "or", "right": "all"}) is None


def test_several_columns_and_operators_in_one_leaf_all_hold() -> None:
    """A leaf with two columns (one with two operators) is their conjunction."""
    node = {RMT: {"model": {"equals": "m"}, "cost": {"gte": 1, "lt": 2}}}
    assert filter_from_helicone(node) == And(
        (Cmp(Field.MODEL, Op.EQ, "m"), Cmp(Field.COST, Op.GTE, 1), Cmp(Field.COST, Op.LT, 2))
    )


def _deep(levels: int) -> object:
    node: object = leaf(RMT, "model", "equals", "m")
    for _ in range(levels):
        node = {"left": node, "operator": "and", "right": "all"}
    return node


def test_deep_trees_are_fine_up_to_the_limit_and_refused_beyond() -> None:
    """100 levels work; deeper trees get a sentence rather than a recursion error."""
    assert filter_from_helicone(_deep(100)) == Cmp(Field.MODEL, Op.EQ, "m")
    with pytest.raises(HeliconeFilterError, match="nested more than 100 levels"):
        filter_from_helicone(_deep(101))


@pytest.mark.parametrize(
    ("node", "message"),
    [
        ("everything", "filter must be \"all\", a branch"),
        (["all"], "filter must be \"all\", a branch"),
        (None, "filter must be \"all\", a branch"),
        ({"feedback": {"rating": {"equals": True}}}, "filter.feedback: the table 'feedback'"),
        ({"values": {}}, "the table 'values' is not supported"),
        (leaf(RMT, "country_code", "equals", "US"), "the column 'country_code' is not supported"),
        (leaf(RMT, "prompt_tokens", "gte", 1), "request_response_rmt.prompt_tokens: the column"),
        (leaf(SESSIONS, "session_tag", "equals", "x"), "the column 'session_tag'"),
        (leaf(RMT, "model", "not-contains", "x"), "the operator 'not-contains' is not supported"),
        (leaf(RMT, "cost", "contains", "1"), "the operator 'contains' is not supported here"),
        (leaf(RMT, "request_created_at", "not-equals", "2024-01-01"), "operator 'not-equals'"),
        (leaf(RMT, "model", "equals", 4), "request_response_rmt.model.equals must be a string"),
        (leaf(RMT, "cost", "gte", "1"), "cost.gte must be a number"),
        (leaf(RMT, "cost", "gte", True), "cost.gte must be a number"),
        (leaf(RMT, "cost", "gte", 10**400), "cost.gte must be a number"),
        (leaf(RMT, "latency", "lt", float("nan")), "latency.lt must be a number"),
        (leaf(RMT, "status", "equals", "200"), "status.equals must be a number"),
        (leaf(RMT, "request_created_at", "gte", 1714564800000), "must be an ISO-8601 time"),
        (leaf(RMT, "request_created_at", "gte", "last tuesday"), "must be an ISO-8601 time"),
        ({RMT: {"model": {}}}, "model must be an object of operators to values"),
        ({RMT: {"model": "gpt-4o"}}, "model must be an object of operators to values"),
        ({RMT: "model"}, "request_response_rmt must be an object of columns"),
        ({RMT: {"properties": ["env"]}}, "properties must be an object of property names"),
        ({"properties": {"": {"equals": "x"}}}, "property names must be non-empty strings"),
        ({"left": "all", "operator": "and"}, "filter is a branch that lacks right"),
        ({"left": "all", "operator": "and", "right": "all", "not": 1}, "also has not"),
        ({"left": "all", "operator": "xor", "right": "all"}, 'filter.operator must be "and"'),
        ({"left": "all", "operator": "and", "right": {"bogus": {}}}, "filter.right.bogus: the"),
    ],
)  # fmt: skip
def test_bad_trees_name_the_unsupported_part(node: object, message: str) -> None:
    """Every unsupported or malformed part is refused with its place in the tree named."""
    with pytest.raises(HeliconeFilterError, match=re.escape(message)):
        filter_from_helicone(node)
