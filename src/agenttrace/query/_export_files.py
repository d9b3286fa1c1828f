"""The files an export writes: JSON Lines, CSV, or Parquet parts, each resumable.

A writer is told, page after page, the rows to add (the lines of the collector's export
stream, each a JSON object: JSON Lines writes them as they are, CSV and Parquet parse
them), and
`commit` says how far the file is complete: the byte size of a JSONL / CSV file, the
number of finished part files of a Parquet export. Resuming truncates the file to that
size (or deletes the parts after that number), which drops whatever a killed run wrote
after its last recorded page.

Parquet needs pyarrow (``pip install 'agenttrace[parquet]'``). A Parquet export is a
directory of ``part-NNNNN.parquet`` files (a file is complete only once closed, so each
part is closed every `PARQUET_PART_PAGES` pages); nested values (properties, bodies, the
error) are JSON text, times are UTC timestamps.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import IO, Any, Protocol

from agenttrace.exceptions import UserError

__all__ = [
    "PARQUET_PART_PAGES",
    "ExportFormat",
    "ExportWriter",
    "format_for",
    "open_writer",
]

PARQUET_PART_PAGES = 50
"""Pages per Parquet part file (a part is readable only once closed)."""


class ExportFormat(StrEnum):
    """What an export writes."""

    JSONL = "jsonl"
    CSV = "csv"
    PARQUET = "parquet"


_SUFFIXES = {".jsonl": ExportFormat.JSONL, ".ndjson": ExportFormat.JSONL, ".csv": ExportFormat.CSV,
             ".parquet": ExportFormat.PARQUET}  # fmt: skip


def format_for(path: Path, given: ExportFormat | str | None) -> ExportFormat:
    """``given``, else the format the file name's suffix says."""
    if given is not None:
        try:
            return ExportFormat(given)
        except ValueError:
            msg = f"format {given!r} is not one of jsonl, csv, parquet"
            raise UserError(msg) from None
    found = _SUFFIXES.get(path.suffix.lower())
    if found is None:
        msg = (
            f"cannot tell the format of {str(path)!r} from its name; name it .jsonl, .csv or "
            ".parquet, or pass format= (--format)"
        )
        raise UserError(msg)
    return found


class ExportWriter(Protocol):
    """Adds pages of rows to an export's output."""

    def write_lines(self, lines: list[bytes]) -> None:
        """Add the rows of one page, each a line of JSON (without its newline)."""
        ...

    def commit(self) -> int | None:
        """Make what was written safe to resume from; its mark (bytes or parts), or None
        when nothing new is complete yet (a Parquet part still open)."""
        ...

    def close(self) -> int:
        """Finish the output; the final mark."""
        ...


def _cell(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return value


class _TextWriter:
    """JSONL or CSV, appended to one file (written as UTF-8 bytes, so marks are sizes)."""

    def __init__(self, path: Path, fmt: ExportFormat, columns: list[str], mark: int) -> None:
        self._format = fmt
        self._columns = columns
        self._file: IO[bytes] = path.open("r+b" if path.exists() else "wb")
        self._file.truncate(mark)
        self._file.seek(mark)
        if fmt is ExportFormat.CSV and mark == 0:
            self._write_csv([dict(zip(columns, columns, strict=True))])

    def _write_csv(self, rows: list[dict[str, Any]]) -> None:
        text = io.StringIO()
        writer = csv.DictWriter(
            text, fieldnames=self._columns, lineterminator="\n", extrasaction="ignore"
        )
        writer.writerows({key: _cell(value) for key, value in row.items()} for row in rows)
        self._file.write(text.getvalue().encode("utf-8"))

    def write_lines(self, lines: list[bytes]) -> None:
        if self._format is ExportFormat.CSV:
            self._write_csv([json.loads(line) for line in lines])
            return
        self._file.write(b"\n".join(lines) + b"\n")

    def commit(self) -> int:
        self._file.flush()
        return self._file.tell()

    def close(self) -> int:
        mark = self.commit()
        self._file.close()
        return mark


def _arrow_type(pa: Any, annotation: Any) -> Any:
    text = str(annotation)
    if "datetime" in text:
        return pa.timestamp("us", tz="UTC")
    if "dict" in text or "list" in text or "Any" in text or "ErrorInfo" in text:
        return pa.string()
    if "float" in text:
        return pa.float64()
    if "int" in text:
        return pa.int64()
    if "bool" in text:
        return pa.bool_()
    return pa.string()


class _ParquetWriter:
    """Part files of a directory, each closed after `PARQUET_PART_PAGES` pages."""

    def __init__(self, path: Path, columns: dict[str, Any], parts: int) -> None:
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            msg = (
                "a Parquet export needs pyarrow, which is not installed; install it with "
                "`pip install 'agenttrace[parquet]'`, or export to .jsonl or .csv"
            )
            raise UserError(msg) from None
        self._pa, self._pq = pa, pq
        self._schema = pa.schema([(name, _arrow_type(pa, kind)) for name, kind in columns.items()])
        self._dir = path
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("part-*.parquet"):
            if int(stale.stem.removeprefix("part-")) >= parts:
                stale.unlink()
        self._parts = parts
        self._pages = 0
        self._writer: Any = None

    def _value(self, name: str, value: Any) -> Any:
        kind = self._schema.field(name).type
        if value is None:
            return None
        if kind == self._pa.string():
            return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        if isinstance(kind, self._pa.TimestampType):
            return datetime.fromisoformat(value)
        return value

    def write_lines(self, lines: list[bytes]) -> None:
        rows = [json.loads(line) for line in lines]
        if self._writer is None:
            target = self._dir / f"part-{self._parts:05d}.parquet"
            self._writer = self._pq.ParquetWriter(target, self._schema)
        arrays = {
            name: [self._value(name, row.get(name)) for row in rows] for name in self._schema.names
        }
        self._writer.write_table(self._pa.table(arrays, schema=self._schema))
        self._pages += 1

    def commit(self) -> int | None:
        if self._writer is None or self._pages < PARQUET_PART_PAGES:
            return None
        return self._finish_part()

    def _finish_part(self) -> int:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
            self._parts += 1
            self._pages = 0
        return self._parts

    def close(self) -> int:
        return self._finish_part()


def open_writer(path: Path, fmt: ExportFormat, columns: dict[str, Any], mark: int) -> ExportWriter:
    """A writer continuing ``path`` from ``mark`` (0: from the start); ``columns`` maps
    each column to its Python type."""
    if fmt is ExportFormat.PARQUET:
        return _ParquetWriter(path, columns, mark)
    return _TextWriter(path, fmt, list(columns), mark)
