"""The Helicone package's public names: sorted, importable, and the router is there."""

from __future__ import annotations

from fastapi import APIRouter

from agenttrace.server import helicone


def test_all_is_sorted_and_every_name_exists() -> None:
    """__all__ is sorted and lists only names the package has."""
    assert helicone.__all__ == sorted(helicone.__all__)
    for name in helicone.__all__:
        assert hasattr(helicone, name), name


def test_the_router_create_app_includes_is_an_api_router() -> None:
    """create_app picks up `router` by name; it must be an APIRouter with the log routes."""
    assert isinstance(helicone.router, APIRouter)
    paths = {getattr(route, "path", None) for route in helicone.router.routes}
    assert {"/custom/v1/log", "/v1/session/query", "/v1/request/query"} <= paths
