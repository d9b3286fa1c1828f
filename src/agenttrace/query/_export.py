"""`QueryClient.export` / `AsyncQueryClient.export`: requests or sessions to a file,
streamed, resumable.

The rows come from the collector's export streams (``GET /v1/export/requests``,
``GET /v1/export/sessions``: every matching row, oldest first, one JSON object a line).
`ExportRun` is the part both clients share, without I/O: it is fed the stream's bytes as
they arrive and hands complete lines on in pages of ``page_size`` (JSON Lines writes them
through as they came, CSV and Parquet parse them). After every page the output is flushed
and a state file beside it (``<output>.export-state.json``, replaced atomically) records
the position of the last row written (its ``start_time`` and id, which the stream takes
back as ``after_time`` / ``after_id``), how many rows are written and how far the output
is complete (`agenttrace.query._export_files`). ``resume=True`` reads that state, cuts off
anything written after it, and goes on; the state says which filters it was made with,
and a resume with other ones is refused. A stream that breaks off leaves the state of its
last complete page. A finished export removes its state file. The exporter holds at most
a page and a network read of lines, so its memory does not grow with the export.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from agenttrace.exceptions import QueryError, UserError
from agenttrace.query._base import Call
from agenttrace.query._export_files import ExportFormat, ExportWriter, format_for, open_writer
from agenttrace.query._models import RequestRow, SessionRow
from agenttrace.query._params import Params, filter_params
from agenttrace.query_filters import RequestFilters, SessionFilters

__all__ = [
    "ExportRun",
    "ExportSummary",
    "ExportWhat",
    "Exporter",
    "Progress",
    "export_params",
    "start_export",
    "state_path",
]

ExportWhat = Literal["requests", "sessions"]
Progress = Callable[[int, int | None], None]
"""Called after each page with the rows written so far and the total to write (None when
not asked)."""

_STATE_VERSION = 2
_BODY_COLUMNS = ("request_body", "response_body")
_ID_FIELD = {"requests": "id", "sessions": "session_id"}


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


def _ignored(body: Any) -> None:
    del body


def _total(body: Any) -> int | None:
    total = body.get("total") if isinstance(body, dict) else None
    return total if isinstance(total, int) else None


@dataclass(slots=True)
class Exporter:
    """One export: what to fetch, where to write it (see the module docstring)."""

    path: Path
    what: ExportWhat
    params: Params
    format: ExportFormat
    include_bodies: bool
    page_size: int

    @classmethod
    def make(
        cls,
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

    def _state(self, resume: bool, overwrite: bool) -> dict[str, Any]:
        """The state to go on from (a fresh one unless resuming)."""
        state_file = state_path(self.path)
        fresh = {**self._identity(), "after": None, "rows": 0, "mark": 0}
        if resume:
            if not state_file.exists():
                msg = (
                    f"there is no unfinished export to {str(self.path)!r} to resume (no "
                    f"{state_file.name}); run it without --resume to start one"
                )
                raise UserError(msg)
            state: dict[str, Any] = json.loads(state_file.read_text(encoding="utf-8"))
            if state.get("version") != _STATE_VERSION:
                msg = (
                    f"the unfinished export to {str(self.path)!r} was started by another "
                    "version of agenttrace, which this one cannot go on with; start again "
                    "with --overwrite"
                )
                raise UserError(msg)
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

    def start(
        self, *, resume: bool = False, overwrite: bool = False, progress: Progress | None = None
    ) -> ExportRun:
        """Open the output (cut back to the state's mark when resuming) for a run."""
        state = self._state(resume, overwrite)
        writer = open_writer(
            self.path, self.format, _columns(self.what, self.include_bodies), int(state["mark"])
        )
        return ExportRun(self, state, writer, progress)


def start_export(
    path: str | os.PathLike[str],
    what: str,
    filters: Mapping[str, Any],
    *,
    format: ExportFormat | str | None,
    include_bodies: bool,
    resume: bool,
    overwrite: bool,
    page_size: int,
    progress: Progress | None,
) -> ExportRun:
    """Check an export's settings and open its output (the clients' ``export``)."""
    exporter = Exporter.make(
        path,
        what=what,
        params=export_params(what, filters),
        format=format,
        include_bodies=include_bodies,
        page_size=page_size,
    )
    return exporter.start(resume=resume, overwrite=overwrite, progress=progress)


@dataclass(slots=True)
class ExportRun:
    """One run of an export, fed the stream's bytes (`feed`), then `finish`ed (`stop`ped on a
    failure: the state of its last page stays)."""

    exporter: Exporter
    state: dict[str, Any]
    writer: ExportWriter
    progress: Progress | None
    total: int | None = None
    """The rows the export writes in all (with those written before), when counted."""
    resumed_from: int = 0
    _buffer: bytearray = field(default_factory=bytearray)
    _pending: list[bytes] = field(default_factory=list)
    _pages: int = 0

    def __post_init__(self) -> None:
        self.resumed_from = int(self.state["rows"])

    def stream_call(self) -> Call[None]:
        """The request of the stream, from the state's position."""
        exporter = self.exporter
        params = list(exporter.params)
        if exporter.what == "requests" and exporter.include_bodies:
            params.append(("include_bodies", "true"))
        after = self.state["after"]
        if after is not None:
            params += [("after_time", after[0]), ("after_id", after[1])]
        return Call("GET", f"/v1/export/{exporter.what}", tuple(params), _ignored)

    def total_call(self) -> Call[int | None] | None:
        """The query counting the rows to export, when a progress callback wants it."""
        if self.progress is None:
            return None
        params = (*self.exporter.params, ("limit", "1"))
        return Call("GET", f"/v1/{self.exporter.what}", params, _total)

    def feed(self, data: bytes) -> None:
        """Take the next bytes of the stream; write each page of complete lines."""
        if b"\n" not in data:
            self._buffer += data
            return
        end = data.rfind(b"\n")
        if self._buffer:
            self._buffer += data[:end]
            lines = bytes(self._buffer).split(b"\n")
            self._buffer.clear()
        else:
            lines = data[:end].split(b"\n")
        self._buffer += data[end + 1 :]
        pending = self._pending
        pending += lines
        size = self.exporter.page_size
        while len(pending) >= size:
            page = pending[:size]
            del pending[:size]  # before writing: a failure then never writes it twice
            self._page(page)

    def _page(self, lines: list[bytes]) -> None:
        """Write a page of lines and save the state after it."""
        self.writer.write_lines(lines)
        state = self.state
        state["rows"] += len(lines)
        try:
            last = json.loads(lines[-1])
            state["after"] = [last["start_time"], last[_ID_FIELD[self.exporter.what]]]
        except (ValueError, KeyError, TypeError):
            msg = (
                f"the export stream of {self.exporter.what} sent a line that is not a row: "
                f"{lines[-1][:200]!r}; is the endpoint an agenttrace collector of a matching "
                "version?"
            )
            raise QueryError(200, msg) from None
        mark = self.writer.commit()
        if mark is not None:
            state["mark"] = mark
            _write_state(state_path(self.exporter.path), state)
        self._pages += 1
        if self.progress is not None:
            self.progress(int(state["rows"]), self.total)

    def finish(self) -> ExportSummary:
        """The stream ended: write the last page, close the output, remove the state."""
        if self._buffer:
            msg = (
                f"the export stream of {self.exporter.what} ended inside a line; run the "
                "export again with --resume (resume=True) to go on"
            )
            raise QueryError(200, msg)
        if self._pending or not self._pages:
            lines, self._pending = self._pending, []
            if lines:
                self._page(lines)
            elif self.progress is not None:
                self.progress(int(self.state["rows"]), self.total)
        self.writer.close()
        state_path(self.exporter.path).unlink(missing_ok=True)
        exporter = self.exporter
        return ExportSummary(exporter.path, exporter.format, int(self.state["rows"]),
                             self.resumed_from)  # fmt: skip

    def stop(self) -> None:
        """The run failed: close the output. The state stays that of the last page written
        (lines received after it are dropped, and sent again to the run that resumes)."""
        with contextlib.suppress(Exception):  # the failure that stopped the run is raised
            self.writer.close()
