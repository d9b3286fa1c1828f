"""``GET /docs``: the collector's API as one plain HTML page, built from its OpenAPI spec.

FastAPI's own ``/docs`` and ``/redoc`` load Swagger UI and ReDoc from a CDN, unpinned,
onto the dashboard's origin, where the dashboard keeps the API key in ``localStorage``. This
page instead is rendered on the server: no script at all, nothing from another origin,
served under the dashboard's Content-Security-Policy. Each operation is a ``<details>``
element (method, path, summary; then its description, parameters, body and answers), and
the page links ``openapi.json`` for tools that read the spec. ``/redoc`` redirects here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from html import escape
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from agenttrace.server._web_headers import CONTENT_SECURITY_POLICY

__all__ = ["DOCS_HEADERS", "docs_routes", "render_docs"]

DOCS_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Cache-Control": "no-cache",
    "Referrer-Policy": "no-referrer",
}
"""The headers of the page (``nosniff`` is added to every response by the app)."""

_METHODS = ("get", "post", "put", "patch", "delete")


def _items(title: str, rows: Iterable[str]) -> str:
    listed = "".join(f"<li>{row}</li>" for row in rows)
    return f"<h4>{title}</h4><ul>{listed}</ul>" if listed else ""


def _parameter(parameter: dict[str, Any]) -> str:
    where = escape(str(parameter.get("in", "")))
    required = ", required" if parameter.get("required") else ""
    name = escape(str(parameter.get("name", "")))
    description = escape(str(parameter.get("description", "")))
    return f"<code>{name}</code> ({where}{required}) {description}"


def _operation(path: str, method: str, operation: dict[str, Any]) -> str:
    summary = escape(str(operation.get("summary", "")))
    parts = [
        f"<details><summary><code>{method.upper()} {escape(path)}</code> {summary}</summary>",
    ]
    description = str(operation.get("description", "")).strip()
    if description:
        parts.extend(f"<p>{escape(paragraph)}</p>" for paragraph in description.split("\n\n"))
    parts.append(_items("Parameters", map(_parameter, operation.get("parameters", []))))
    body = operation.get("requestBody")
    if body:
        types = ", ".join(escape(str(name)) for name in body.get("content", {}))
        parts.append(f"<h4>Body</h4><p>{types}</p>")
    answers = operation.get("responses", {})
    parts.append(
        _items(
            "Answers",
            (
                f"<code>{escape(str(status))}</code> {escape(str(entry.get('description', '')))}"
                for status, entry in answers.items()
            ),
        )
    )
    parts.append("</details>")
    return "".join(parts)


def render_docs(spec: dict[str, Any]) -> str:
    """The page for an OpenAPI document: operations grouped by their first tag."""
    info = spec.get("info", {})
    title = escape(str(info.get("title", "API")))
    groups: dict[str, list[str]] = {}
    for path, operations in spec.get("paths", {}).items():
        for method in _METHODS:
            operation = operations.get(method)
            if operation is None:
                continue
            tag = str((operation.get("tags") or ["other"])[0])
            groups.setdefault(tag, []).append(_operation(path, method, operation))
    sections = "".join(
        f"<section><h2>{escape(tag)}</h2>{''.join(entries)}</section>"
        for tag, entries in groups.items()
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title></head><body>"
        f"<h1>{title} {escape(str(info.get('version', '')))}</h1>"
        f"<p>{escape(str(info.get('description', '')))}</p>"
        '<p>The machine-readable spec is <a href="openapi.json">openapi.json</a>; load it into '
        "any OpenAPI tool to try the endpoints.</p>"
        f"{sections}</body></html>"
    )


def docs_routes(spec: Callable[[], dict[str, Any]]) -> list[Route]:
    """``GET /docs`` (the page for ``spec()``) and ``GET /redoc`` (a redirect to it)."""

    async def docs(request: Request) -> Response:
        return HTMLResponse(render_docs(spec()), headers=DOCS_HEADERS)

    async def redoc(request: Request) -> Response:
        return RedirectResponse("docs", status_code=308)

    return [
        Route("/docs", docs, methods=["GET", "HEAD"], name="docs", include_in_schema=False),
        Route("/redoc", redoc, methods=["GET", "HEAD"], name="redoc", include_in_schema=False),
    ]
