"""Each query's filters are declared once (`agenttrace.query_filters`): the routes' OpenAPI
parameters, the clients' keyword arguments and their query strings all follow the models."""

from __future__ import annotations

import inspect
from typing import Any

import httpx
import pytest

from agenttrace.exceptions import UserError
from agenttrace.query import AsyncQueryClient, QueryClient
from agenttrace.query_filters import (
    MetricsFilterArgs,
    MetricsFilters,
    PathFilterArgs,
    PathFilters,
    RequestFilterArgs,
    RequestFilters,
    SessionFilterArgs,
    SessionFilters,
)
from agenttrace.server.app import create_app
from agenttrace.server.store.base import Store

# (model, the typed keyword arguments, the filter the client methods take positionally)
MIRRORS: list[tuple[type[Any], type[Any], str | None]] = [
    (SessionFilters, SessionFilterArgs, "name"),
    (RequestFilters, RequestFilterArgs, "session_id"),
    (PathFilters, PathFilterArgs, "session_name"),
    (MetricsFilters, MetricsFilterArgs, None),
]


@pytest.mark.parametrize(("model", "args", "positional"), MIRRORS)
def test_client_arguments_name_exactly_the_models_fields(
    model: type[Any], args: type[Any], positional: str | None
) -> None:
    """A filter added to a model and not to the clients' typed arguments (or the other way
    round) fails here."""
    assert set(args.__annotations__) | {positional} - {None} == set(model.model_fields)


@pytest.mark.parametrize(
    ("path", "model"),
    [
        ("/v1/sessions", SessionFilters),
        ("/v1/requests", RequestFilters),
        ("/v1/paths", PathFilters),
        ("/v1/metrics", MetricsFilters),
        ("/v1/feed", MetricsFilters),
    ],
)
def test_each_route_documents_every_filter_of_its_model(
    store: Store, path: str, model: type[Any]
) -> None:
    """The OpenAPI parameters of a list route include each field of its filter model, by
    its wire name, with the model's description."""
    document = create_app(store).openapi()
    parameters = {p["name"]: p for p in document["paths"][path]["get"]["parameters"]}
    for name, field in model.model_fields.items():
        wire = field.alias or name
        assert wire in parameters, (path, wire)
        if field.description:
            assert parameters[wire].get("description") == field.description


def _sent(call: Any) -> list[tuple[str, str]]:
    captured: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        captured.append(request)
        return httpx.Response(200, json={"sessions": [], "total": 0, "limit": 1, "offset": 0})

    with QueryClient(transport=httpx.MockTransport(answer)) as client:
        call(client)
    return list(captured[0].url.params.multi_items())


def test_client_sends_filters_by_their_wire_names() -> None:
    """Properties go out as repeated property=key=value, times as UTC ISO-8601, others as
    given; the positional filter too."""
    sent = _sent(
        lambda c: c.sessions(
            "nightly", properties={"env": "prod", "team": "a"}, since="2025-05-01", min_cost=0.5
        )
    )
    assert ("name", "nightly") in sent
    assert ("property", "env=prod") in sent
    assert ("property", "team=a") in sent
    assert ("since", "2025-05-01T00:00:00+00:00") in sent
    assert ("min_cost", "0.5") in sent


def test_a_filter_a_query_does_not_take_is_refused_by_name() -> None:
    """A keyword that is no filter of the query names itself and the query's filters."""
    with pytest.raises(UserError, match=r"sessions cannot be filtered by colour.*search"):
        _sent(lambda c: c.sessions(colour="red"))


def test_sync_and_async_methods_take_the_same_arguments() -> None:
    """The async twin's query methods have the sync ones' parameters."""
    names = ("sessions", "iter_sessions", "requests", "iter_requests", "paths", "metrics")
    for name in (*names, "feed", "follow_feed"):
        sync = inspect.signature(getattr(QueryClient, name)).parameters
        async_ = inspect.signature(getattr(AsyncQueryClient, name)).parameters
        assert list(sync) == list(async_), name
