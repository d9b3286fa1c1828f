"""Serve the dashboard's static files from the collector app.

The dashboard is a handful of plain files (HTML, CSS, ES modules) shipped inside this
package: no build step, nothing fetched from the internet. ``GET /`` answers the page;
its files live under ``/dashboard/``. The page talks to the collector's native query API
(``/v1/sessions``, ``/v1/requests``, ``/v1/paths``) with relative URLs, so it also works
behind a reverse proxy that serves the collector under a sub-path.
"""

from __future__ import annotations

import os
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from agenttrace.server._web_headers import CONTENT_SECURITY_POLICY

__all__ = ["DASHBOARD_PREFIX", "STATIC_DIR", "dashboard_routes", "mount_dashboard"]

DASHBOARD_PREFIX = "/dashboard"
"""Where the dashboard's CSS, JavaScript and icon are served."""

STATIC_DIR = Path(__file__).resolve().parent / "static"
"""The directory holding the dashboard's files."""

_COMMON_HEADERS = {
    # Revalidate every time (ETag / Last-Modified make that cheap) so an upgraded
    # collector never runs a mix of old and new modules.
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

_MEDIA_TYPES = {
    # Some platforms map .js to text/plain, which browsers refuse for module scripts.
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}


class _DashboardFiles(StaticFiles):
    """`StaticFiles` with explicit media types and the dashboard's headers."""

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        media_type = _MEDIA_TYPES.get(Path(full_path).suffix)
        if media_type is not None:
            response.headers["content-type"] = media_type
        response.headers.update(_COMMON_HEADERS)
        return response


async def _index(request: Request) -> Response:
    """The dashboard page (every view lives behind its ``#/...`` fragment)."""
    return FileResponse(
        STATIC_DIR / "index.html",
        media_type="text/html; charset=utf-8",
        headers={**_COMMON_HEADERS, "Content-Security-Policy": CONTENT_SECURITY_POLICY},
    )


def dashboard_routes() -> list[Route | Mount]:
    """The routes that serve the dashboard: ``GET /`` and the files under ``/dashboard/``."""
    return [
        Route("/", _index, methods=["GET", "HEAD"], name="dashboard", include_in_schema=False),
        Mount(
            DASHBOARD_PREFIX,
            app=_DashboardFiles(directory=STATIC_DIR),
            name="dashboard-files",
        ),
    ]


def mount_dashboard(app: Starlette) -> None:
    """Serve the dashboard from ``app`` (a FastAPI or Starlette application).

    Call it after the API routes are added; it claims only ``/`` and ``/dashboard/``.
    """
    app.router.routes.extend(dashboard_routes())
