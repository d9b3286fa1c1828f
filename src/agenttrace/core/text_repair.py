"""Text a record cannot carry or a store cannot hold, repaired by one rule at both ends.

Two characters break a record on its way from the caller to the database:

* a **lone UTF-16 surrogate** (U+D800 to U+DFFF). Python strings may hold them (undecodable
  file names through ``os.fsdecode``, a JSON ``"\\ud83d"`` escape, text cut in the middle
  of a pair), but UTF-8 cannot encode them: no JSON body and no database can take them;
* **NUL** (U+0000): PostgreSQL text cannot hold it, SQLite can. Bodies are stored as JSON,
  where it is the escape ``\\u0000`` and reads back on both stores, so only text stored in
  columns (ids, names, paths, properties, the error) is concerned.

The rule, the same in the client's encoder, in the collector's ingest and in the stores:

* a surrogate anywhere in a record (request and response bodies at any depth, their keys,
  property names and values, names, paths, the error, ids) becomes U+FFFD; a high and a
  low surrogate side by side become the character they encode;
* a NUL becomes U+FFFD everywhere but in ``request`` and ``response``;
* an id (``id``, ``parent_id``, ``session_id``) that changed also gets ``~`` and 16 hex
  digits of the SHA-256 of the original (its UTF-8, surrogates passed through), cut to fit
  200 characters. The same id is always repaired alike (a retried batch stays idempotent, a
  child's ``parent_id`` still names its parent) and two ids that differ only in what was
  replaced stay apart (``a\\x00`` and ``a\\ufffd`` are two records on both stores);
* the record gets the property `REPAIRED_PROPERTY` (``agenttrace.repaired``): the names of
  the repaired fields, sorted, joined by commas (``"properties,response"``). It may be a
  65th property.

Repairing is idempotent: repaired text holds neither character, so nothing changes twice.
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING, Any

from agenttrace.core.record_rules import REPAIRED_PROPERTY

if TYPE_CHECKING:
    from agenttrace.records import Record

__all__ = [
    "BODY_FIELDS",
    "ID_FIELDS",
    "REPAIRED_PROPERTY",
    "needs_repair",
    "record_needs_repair",
    "repair_data",
    "repair_id",
    "repair_record",
    "repair_record_data",
    "repair_text",
]

ID_FIELDS = ("id", "parent_id", "session_id")
"""Fields repaired by `repair_id` (keys the stores index and link by)."""
BODY_FIELDS = frozenset({"request", "response"})
"""Fields stored as JSON, where NUL is kept."""

_SURROGATE = re.compile("[\ud800-\udfff]")
_ID_MAX = 200
_DIGEST_CHARS = 16


def needs_repair(text: str, *, nul: bool = True) -> bool:
    """Whether ``text`` holds a surrogate (or, with ``nul``, a NUL)."""
    if nul and "\x00" in text:
        return True
    return not text.isascii() and _SURROGATE.search(text) is not None


def repair_text(text: str, *, nul: bool = True) -> str:
    """``text`` with surrogates (and, with ``nul``, NUL) as U+FFFD; a valid pair joined."""
    if not text.isascii() and _SURROGATE.search(text) is not None:
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    if nul and "\x00" in text:
        text = text.replace("\x00", "\ufffd")
    return text


def repair_id(text: str) -> str:
    """``text`` as an id the stores hold alike: unchanged when it needs no repair, else
    repaired and suffixed with a digest of the original (see the module docstring)."""
    if not needs_repair(text):
        return text
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    suffix = "~" + digest[:_DIGEST_CHARS]
    return repair_text(text)[: _ID_MAX - len(suffix)] + suffix


def repair_data(value: Any, *, nul: bool = True) -> Any:
    """``value`` (JSON-like data) with its strings repaired; the same object if none was."""
    if isinstance(value, str):
        return repair_text(value, nul=nul) if needs_repair(value, nul=nul) else value
    if isinstance(value, dict):
        mended: dict[Any, Any] = {}
        changed = False
        for key, item in value.items():
            new_key = repair_data(key, nul=nul) if isinstance(key, str) else key
            new_item = repair_data(item, nul=nul)
            changed = changed or new_key is not key or new_item is not item
            mended[new_key] = new_item
        return mended if changed else value
    if isinstance(value, list | tuple):
        items = [repair_data(item, nul=nul) for item in value]
        if any(new is not old for new, old in zip(items, value, strict=True)):
            return items
        return value
    return value


def repair_record_data(data: dict[str, Any]) -> list[str]:
    """Repair a record in its wire form (a dict of JSON-like values, valid or not) in
    place, marking it; the names of the repaired fields, sorted (empty: nothing to do)."""
    repaired: list[str] = []
    for name, value in list(data.items()):
        if isinstance(name, str) and needs_repair(name):
            del data[name]  # not a field: validation names it, in repaired text
            name = repair_text(name)  # noqa: PLW2901 - the key is replaced
            data[name] = value
            repaired.append(name)
        if name in ID_FIELDS and isinstance(value, str):
            fixed = repair_id(value)
        else:
            fixed = repair_data(value, nul=name not in BODY_FIELDS)
        if fixed is not value:
            data[name] = fixed
            repaired.append(name)
    if repaired:
        _mark(data, repaired)
    return sorted(set(repaired))


def _mark(data: dict[str, Any], fields: list[str]) -> None:
    properties = data.get("properties")
    if properties is None:
        properties = {}
    if not isinstance(properties, dict):
        return  # the record is refused for it anyway
    earlier = properties.get(REPAIRED_PROPERTY)
    names = set(fields)
    if isinstance(earlier, str):
        names.update(name for name in earlier.split(",") if name)
    data["properties"] = {**properties, REPAIRED_PROPERTY: ",".join(sorted(names))}


def record_needs_repair(record: Record, *, bodies: bool = True) -> bool:
    """Whether any text of ``record`` needs repair (its bodies looked at only with
    ``bodies``: that walks them; the rest is a few string searches)."""
    # one string to search: joining cannot make a NUL or a surrogate that was not there
    text = "".join(
        (
            record.id,
            record.session_id,
            record.session_path,
            record.name,
            record.session_name or "",
            record.parent_id or "",
            record.model or "",
            record.provider or "",
            record.user_id or "",
            record.branch_id or "",
        )
    )
    error, properties = record.error, record.properties
    if error is not None:
        text += error.type + error.message
    if properties:
        text += "".join(properties) + "".join(properties.values())
    if needs_repair(text):
        return True
    if not bodies:
        return False
    return any(
        body is not None and repair_data(body, nul=False) is not body
        for body in (record.request, record.response)
    )


def repair_record(record: Record, *, bodies: bool = True) -> Record:
    """``record`` itself when its text needs no repair (bodies checked only with
    ``bodies``), else a repaired, marked copy (every field repaired, bodies included)."""
    if not record_needs_repair(record, bodies=bodies):
        return record
    data = record.model_dump()
    repair_record_data(data)
    return type(record).model_validate(data)
