"""The collector serves the dashboard's files: right types, safe headers, nothing external."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from agenttrace.server import create_app
from agenttrace.server.dashboard import DASHBOARD_PREFIX, STATIC_DIR, mount_dashboard
from agenttrace.server.store import database_url_for, open_store
from agenttrace.server.testing import serve_in_thread

JS_FILES = sorted(STATIC_DIR.rglob("*.js"))
TEXT_FILES = sorted(
    p for p in STATIC_DIR.rglob("*") if p.suffix in {".js", ".css", ".html", ".svg"}
)


def test_index_page_is_served_at_root_with_a_strict_policy(dashboard: Any) -> None:
    """GET / answers the page, with a CSP that allows only the collector's own files."""
    response = httpx.get(f"{dashboard.url}/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert 'src="dashboard/js/main.js"' in response.text
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "default-src 'none'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["x-content-type-options"] == "nosniff"


def test_assets_have_media_types_browsers_accept_for_modules(dashboard: Any) -> None:
    """Modules are text/javascript, the stylesheet text/css; a missing file is a 404."""
    base = f"{dashboard.url}{DASHBOARD_PREFIX}"
    with httpx.Client() as client:
        for js in JS_FILES:
            path = js.relative_to(STATIC_DIR).as_posix()
            response = client.get(f"{base}/{path}")
            assert response.status_code == 200, path
            assert response.headers["content-type"].startswith("text/javascript"), path
        for css in sorted(STATIC_DIR.glob("css/*.css")):
            answer = client.get(f"{base}/css/{css.name}")
            assert answer.headers["content-type"].startswith("text/css"), css.name
        assert client.get(f"{base}/icon.svg").headers["content-type"] == "image/svg+xml"
        assert client.get(f"{base}/js/nothing-here.js").status_code == 404


def test_api_routes_are_not_shadowed_and_the_spec_leaves_the_dashboard_out(
    dashboard: Any,
) -> None:
    """The native API still answers JSON, and /openapi.json lists no dashboard route."""
    url = dashboard.url
    sessions = httpx.get(f"{url}/v1/sessions")
    assert sessions.status_code == 200
    assert sessions.json()["total"] >= 1
    spec = httpx.get(f"{url}/openapi.json").json()
    assert "/" not in spec["paths"]
    assert not any(path.startswith(DASHBOARD_PREFIX) for path in spec["paths"])


def test_the_collector_mounts_the_dashboard_once(tmp_path: Path) -> None:
    """create_app serves the dashboard exactly once, and not at all when told not to."""
    store = open_store(database_url_for(tmp_path))
    try:
        names = [getattr(route, "name", None) for route in create_app(store).routes]
        assert names.count("dashboard") == 1
        assert names.count("dashboard-files") == 1
        bare = create_app(store, include_dashboard=False)
        assert "dashboard" not in [getattr(route, "name", None) for route in bare.routes]
    finally:
        store.close()


def test_mount_dashboard_works_on_any_fastapi_app() -> None:
    """mount_dashboard adds / and /dashboard/ to an app that has nothing else."""
    app = FastAPI()
    mount_dashboard(app)
    with serve_in_thread(app) as url:
        assert httpx.get(f"{url}/").status_code == 200
        assert httpx.get(f"{url}{DASHBOARD_PREFIX}/js/main.js").status_code == 200


def test_every_relative_import_and_asset_reference_resolves() -> None:
    """Each `import ... from "./x.js"` and each file index.html names exists in the package."""
    missing = [
        f"{js.name} -> {target}"
        for js in JS_FILES
        for target in re.findall(r'from "(\.[^"]+)"', js.read_text(encoding="utf-8"))
        if not (js.parent / target).resolve().is_file()
    ]
    index = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    missing += [
        f"index.html -> {target}"
        for target in re.findall(r'(?:src|href)="dashboard/([^"]+)"', index)
        if not (STATIC_DIR / target).is_file()
    ]
    assert missing == []
    assert len(JS_FILES) >= 10


def test_nothing_is_fetched_from_the_internet() -> None:
    """No static file names an http(s) URL (the SVG namespace aside)."""
    offenders = []
    for path in TEXT_FILES:
        text = path.read_text(encoding="utf-8").replace("http://www.w3.org/2000/svg", "")
        offenders += [f"{path.name}: {url}" for url in re.findall(r"https?://\S+", text)]
    assert offenders == []


def test_scripts_never_parse_strings_as_markup_or_code() -> None:
    """No innerHTML, outerHTML, insertAdjacentHTML, document.write, eval or new Function."""
    forbidden = re.compile(
        r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|"
        r"setAttribute\(\s*[\"']on"
    )
    offenders = [
        f"{js.relative_to(STATIC_DIR)}: {match.group(0)}"
        for js in JS_FILES
        for match in forbidden.finditer(js.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_the_stylesheet_has_a_dark_scheme() -> None:
    """The colours come from variables redefined under prefers-color-scheme: dark."""
    css = (STATIC_DIR / "css" / "base.css").read_text(encoding="utf-8")
    assert "@media (prefers-color-scheme: dark)" in css
    assert "--bg:" in css.split("@media (prefers-color-scheme: dark)")[1]
