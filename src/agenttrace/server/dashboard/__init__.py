"""The web dashboard: static files served by the collector at ``/``.

>>> from fastapi import FastAPI
>>> app = FastAPI()
>>> mount_dashboard(app)
"""

from __future__ import annotations

from agenttrace.server.dashboard._mount import (
    DASHBOARD_PREFIX,
    STATIC_DIR,
    dashboard_routes,
    mount_dashboard,
)

__all__ = ["DASHBOARD_PREFIX", "STATIC_DIR", "dashboard_routes", "mount_dashboard"]
