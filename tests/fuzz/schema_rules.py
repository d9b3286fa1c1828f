"""Schemathesis hooks for `test_schema_conformance`: the collector's rules that JSON Schema
cannot state, declared so that a schema-valid request refused by one of them (400 naming
the rule) is not counted as a mismatch. Every other failure is.

Loaded by the schemathesis CLI through ``SCHEMATHESIS_HOOKS=schema_rules``.
"""

from __future__ import annotations

import json
from typing import Any

import schemathesis

RULES_BEYOND_SCHEMA = (
    # a start after its end: Helicone log timing, Helicone query timeFilter
    "timing.startTime is after timing.endTime",
    "startTimeUnixMs is after endTimeUnixMs",
    "startTimeUnixSeconds is after endTimeUnixSeconds",
    # the size of a Helicone filter tree (each operator of each column is one condition)
    "the filter has more than 100 conditions",
    # an ISO-8601 time with an offset that puts it outside the years 1 to 9999 in UTC
    "is out of range in UTC",
    # an opaque cursor only the collector makes (GET /v1/requests)
    "is not one this collector made",
    "pass either cursor or offset, not both",
    # GET /v1/metrics: a zone the tz database lacks, and the limits on groups
    "is not a time zone this collector knows",
    "more than 5000",
    "property keys at once",
    # scores: one target, a session list sorted or filtered by a named score, a value of
    # the kind given, the number of scores a target may hold
    "give exactly one of session_id and request_id",
    "needs the name of the score",
    "need the score's name",
    "score needs a",
    "scores, the most one may hold",
    # the export streams: where to go on is a start time and an id, or a time alone
    "after_id needs after_time",
    # alert rules: a window or a budget period, budgets on cost, rules per project
    "give exactly one of window_s",
    "a budget (period) watches cost",
    "alert rules, the most it may have",
)


def refused_by_a_rule(status_code: int, content: bytes) -> bool:
    """Whether an answer is a 400 naming one of `RULES_BEYOND_SCHEMA`."""
    if status_code != 400:
        return False
    try:
        error = json.loads(content).get("error")
    except (ValueError, AttributeError):
        return False
    return isinstance(error, str) and any(rule in error for rule in RULES_BEYOND_SCHEMA)


@schemathesis.hook
def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
    """Keep every failure but a schema-valid request refused by a declared rule."""
    del context, case
    if failure.code != "ST202":  # positive_data_acceptance
        return True
    return not refused_by_a_rule(response.status_code, response.content)
