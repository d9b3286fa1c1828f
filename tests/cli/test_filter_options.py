"""Each query command offers exactly the filters of its query's model
(`agenttrace.query_filters`), so a filter added there without its option fails here."""

from __future__ import annotations

from typing import Any

import pytest
import typer

from agenttrace.cli import app
from agenttrace.cli._filter_options import FILTER_NAMES, filter_arguments
from agenttrace.query_filters import MetricsFilters, PathFilters, RequestFilters, SessionFilters


def _options(command: str) -> set[str]:
    group: Any = typer.main.get_command(app)
    return {param.name for param in group.commands[command].params}


def test_every_filter_name_is_a_field_of_some_model() -> None:
    """The names `filter_arguments` picks are exactly the models' fields."""
    fields = set().union(
        *(m.model_fields for m in (SessionFilters, RequestFilters, PathFilters, MetricsFilters))
    )
    assert fields == FILTER_NAMES


@pytest.mark.parametrize(
    ("command", "fields"),
    [
        ("sessions", set(SessionFilters.model_fields)),
        ("requests", set(RequestFilters.model_fields)),
        ("paths", set(PathFilters.model_fields)),
        ("metrics", set(MetricsFilters.model_fields)),
        ("tail", set(MetricsFilters.model_fields)),
        ("export", set(RequestFilters.model_fields) | set(SessionFilters.model_fields)),
    ],
)
def test_each_command_offers_its_models_filters(command: str, fields: set[str]) -> None:
    """Every field of the model is an option of the command (named after the field), and
    the command has no filter option its query does not take."""
    assert _options(command) & FILTER_NAMES == fields


def test_filter_arguments_leaves_out_unset_options() -> None:
    """Unset options and options that are no filter are left out, --property texts become a
    dict, choices their values."""
    from agenttrace.cli._shared import SessionStatus

    params = {
        "name": None,
        "status": SessionStatus.ERROR,
        "properties": ("env=prod",),
        "min_cost": 0.0,
        "limit": 50,
    }
    given = filter_arguments(params)
    assert given == {"status": "error", "properties": {"env": "prod"}, "min_cost": 0.0}
