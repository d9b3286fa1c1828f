"""`QueryClient.export`: requests or sessions to a file, page by page, resumable.

Requests are walked by cursor (``GET /v1/requests``, oldest first), sessions by offset
(``GET /v1/sessions``, by creation, oldest first). After every page the output is flushed
and a state file beside it (``<output>.export-state.json``, replaced atomically) records
where the next page starts, how many rows are written and how far the output is complete
(`agenttrace.query._export_files`). ``resume=True`` reads that state, cuts off anything
written after it, and goes on; the state says which filters it was made with, and a resume
with other ones is refused. A finished export removes its state file. The exporter holds
one page at a time, so its memory does not grow with the export.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from agenttrace.exceptions import UserError
from agenttrace.query._base import Call
from agenttrace.query._export_files import ExportFormat, format_for, open_writer
from agenttrace.query._models import RequestRow, SessionRow
from agenttrace.query._params import Params, filter_params
from agenttrace.query_filters import RequestFilters, SessionFilters

__all__ = ["ExportSummary", "ExportWhat", "Exporter", "export_params", "state_path"]

ExportWhat = Literal["requests", "sessions"]
Progress = Callable[[int, int | None], None]
"""Called after each page with the rows written so far and the total to write."""

_STATE_VERSION = 1
_BODY_COLUMNS = ("request_body", "response_body")


@dataclass(frozen=True, slots=True)
class ExportSummary:
    """What an export wrote."""

    path: Path
    format: ExportFormat
    rows: int
    """Rows in the output (with those of the run it resumed)."""
    resumed_from: int
    """Rows already written by an earlier run (0 when it started afresh)."""


def export_params(what: str, filters: Mapping[str, Any]) -> Params:
    """The query parameters of the list endpoint of ``what`` for ``filters`` (those of
    `RequestFilters` or `SessionFilters`; ``path_filter`` is the requests' ``path``); a
    filter the endpoint does not take is refused by name."""
    model = RequestFilters if what == "requests" else SessionFilters
    given = {("path" if name == "path_filter" else name): v for name, v in filters.items()}
    for name, value in given.items():
        if value is not None and name not in model.model_fields:
            allowed = ", ".join(model.model_fields)
            msg = f"an export of {what} cannot filter by {name}; its filters are {allowed}"
            raise UserError(msg)
    return filter_params(model, given, what)


def state_path(path: Path) -> Path:
    """Where the export to ``path`` keeps its state while it runs."""
    return path.with_name(path.name + ".export-state.json")


def _columns(what: ExportWhat, include_bodies: bool) -> dict[str, Any]:
    model = RequestRow if what == "requests" else SessionRow
    columns = {name: field.annotation for name, field in model.model_fields.items()}
    if what == "requests" and not include_bodies:
        for name in _BODY_COLUMNS:
            columns.pop(name, None)
    return columns


def _write_state(path: Path, state: Mapping[str, Any]) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(state), encoding="utf-8")
    os.replace(temporary, path)


@dataclass(slots=True)
class Exporter:
    """One export: what to fetch, where to write it (see the module docstring)."""

    send: Callable[[Call[dict[str, Any]]], dict[str, Any]]
    path: Path
    what: ExportWhat
    params: Params
    format: ExportFormat
    include_bodies: bool
    page_size: int

    @classmethod
    def make(
        cls,
        send: Callable[[Call[dict[str, Any]]], dict[str, Any]],
        path: str | os.PathLike[str],
        *,
        what: str,
        params: Params,
        format: ExportFormat | str | None,
        include_bodies: bool,
        page_size: int,
    ) -> Exporter:
        """Check the settings and build the export."""
        if what not in {"requests", "sessions"}:
            msg = f"what={what!r}: export requests or sessions"
            raise UserError(msg)
        if not 1 <= page_size <= 1000:
            msg = f"page_size must be from 1 to 1000; got {page_size}"
            raise UserError(msg)
        target = Path(path)
        return cls(
            send=send,
            path=target,
            what="requests" if what == "requests" else "sessions",
            params=params,
            format=format_for(target, format),
            include_bodies=include_bodies,
            page_size=page_size,
        )

    def _identity(self) -> dict[str, Any]:
        return {
            "version": _STATE_VERSION,
            "what": self.what,
            "format": self.format.value,
            "params": [list(pair) for pair in self.params],
            "include_bodies": self.include_bodies,
        }

    def _start(self, resume: bool, overwrite: bool) -> dict[str, Any]:
        """The state to go on from (a fresh one unless resuming)."""
        state_file = state_path(self.path)
        fresh = {**self._identity(), "cursor": None, "offset": 0, "rows": 0, "mark": 0}
        if resume:
            if not state_file.exists():
                msg = (
                    f"there is no unfinished export to {str(self.path)!r} to resume (no "
                    f"{state_file.name}); run it without --resume to start one"
                )
                raise UserError(msg)
            state: dict[str, Any] = json.loads(state_file.read_text(encoding="utf-8"))
            if {key: state.get(key) for key in self._identity()} != self._identity():
                msg = (
                    f"the unfinished export to {str(self.path)!r} was started with other "
                    "settings (filters, format, bodies or what); resume it with the same ones "
                    "or start again with --overwrite"
                )
                raise UserError(msg)
            return state
        if self.path.exists() and not overwrite:
            hint = " or --resume to go on with it" if state_file.exists() else ""
            msg = f"{str(self.path)!r} exists; pass --overwrite to replace it{hint}"
            raise UserError(msg)
        if self.path.is_dir():
            for part in self.path.glob("part-*.parquet"):
                part.unlink()
        elif self.path.exists():
            self.path.unlink()
        return fresh

    def _call(self, state: Mapping[str, Any]) -> Call[dict[str, Any]]:
        params = list(self.params)
        params.append(("limit", str(self.page_size)))
        if self.what == "requests":
            params.append(("include_bodies", "true" if self.include_bodies else "false"))
            if state["cursor"] is None:
                params.append(("order", "asc"))
            else:
                params.append(("cursor", state["cursor"]))
            return Call("GET", "/v1/requests", tuple(params), _as_dict)
        params += [("sort", "start_time"), ("order", "asc"), ("offset", str(state["offset"]))]
        return Call("GET", "/v1/sessions", tuple(params), _as_dict)

    def run(
        self, *, resume: bool = False, overwrite: bool = False, progress: Progress | None = None
    ) -> ExportSummary:
        """Write every matching row; see the module docstring."""
        state = self._start(resume, overwrite)
        resumed_from = int(state["rows"])
        writer = open_writer(
            self.path, self.format, _columns(self.what, self.include_bodies), int(state["mark"])
        )
        state_file = state_path(self.path)
        done = False
        try:
            while not done:
                page = self.send(self._call(state))
                rows: list[dict[str, Any]] = page[self.what]
                if rows:
                    writer.write(rows)
                state["rows"] += len(rows)
                if self.what == "requests":
                    state["cursor"] = page.get("next_cursor")
                    done = state["cursor"] is None
                else:
                    state["offset"] += len(rows)
                    done = not rows or state["offset"] >= int(page["total"])
                mark = writer.commit()
                if mark is not None:
                    state["mark"] = mark
                    _write_state(state_file, state)
                if progress is not None:
                    progress(int(state["rows"]), _total(page))
        finally:
            if done:
                writer.close()
                state_file.unlink(missing_ok=True)
        return ExportSummary(self.path, self.format, int(state["rows"]), resumed_from)


def _total(page: Mapping[str, Any]) -> int | None:
    """How many rows match in all, as far as the collector knows."""
    total = page.get("total")
    return int(total) if isinstance(total, int) else None


def _as_dict(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        msg = "the collector answered an export page in an unexpected shape"
        raise UserError(msg)
    return body
