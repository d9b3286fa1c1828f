"""to_pandas() on pages: one row per result, typed columns; a clear error without pandas."""

from __future__ import annotations

import sys

import pandas as pd
import pytest

from agenttrace.exceptions import UserError
from agenttrace.query import QueryClient, RequestRow, SessionRow


def test_sessions_frame(collector_url: str) -> None:
    """A session page becomes a frame with every SessionRow field as a column."""
    with QueryClient(collector_url) as client:
        frame = client.sessions(name="planner", order="asc").to_pandas()
    assert list(frame.columns) == list(SessionRow.model_fields)
    assert list(frame["session_id"]) == ["sess-a", "sess-b"]
    assert list(frame["total_tokens"]) == [370, 50]
    assert frame["cost_usd"].sum() == pytest.approx(0.0047)
    assert str(frame["start_time"].dt.tz) == "UTC"
    assert frame.loc[0, "properties"] == {"env": "prod", "team": "red"}


def test_requests_frame_and_detail_frame(collector_url: str) -> None:
    """Requests (a page or a session's) become frames with plain-string enum columns."""
    with QueryClient(collector_url) as client:
        frame = client.requests(session_id="sess-b", order="asc").to_pandas()
        detail_frame = client.session("sess-a").to_pandas()
        paths_frame = client.paths(session_id="sess-a").to_pandas()
    assert list(frame.columns) == list(RequestRow.model_fields)
    assert list(frame["status"]) == ["error", "ok"]
    assert type(frame.loc[0, "kind"]) is str
    assert frame.loc[0, "error"] == {"type": "ValueError", "message": "boom"}
    assert frame["latency_ms"].tolist() == pytest.approx([500, 100])
    assert list(detail_frame["id"]) == ["a1", "a2", "a3"]
    assert detail_frame.groupby("session_path")["total_tokens"].sum().to_dict() == {
        "/agent": 370,
        "/tools/search": 0,
    }
    assert sorted(paths_frame["path"]) == ["/agent", "/tools/search"]


def test_empty_page_keeps_columns(collector_url: str) -> None:
    """An empty page gives an empty frame that still has the columns."""
    with QueryClient(collector_url) as client:
        frame = client.sessions(name="nobody").to_pandas()
    assert isinstance(frame, pd.DataFrame)
    assert frame.empty
    assert list(frame.columns) == list(SessionRow.model_fields)


def test_without_pandas_the_error_says_how_to_install_it(
    collector_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When pandas cannot be imported, to_pandas raises a UserError naming pip install pandas."""
    with QueryClient(collector_url) as client:
        page = client.sessions(limit=1)
    monkeypatch.setitem(sys.modules, "pandas", None)  # makes `import pandas` fail
    with pytest.raises(UserError, match="pip install pandas"):
        page.to_pandas()
