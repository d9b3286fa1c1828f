"""Why a ``--property KEY=VALUE`` filter matched nothing, when the collector can tell:
a key no session has (the keys in use named, the nearest first) or a value the key never
takes (its values named). Asked of ``GET /v1/properties`` only after an empty answer."""

from __future__ import annotations

import difflib
from collections.abc import Mapping

from agenttrace.exceptions import AgentTraceError
from agenttrace.query import PropertyKey, PropertyList, QueryClient

__all__ = ["property_hints"]

_KEYS_LISTED = 8
_VALUES_LISTED = 8
_KEYS_ASKED = 1000


def _sessions(count: int) -> str:
    return f"{count:,} session{'' if count == 1 else 's'}"


def _unknown_key(key: str, value: str, known: PropertyList) -> str:
    if not len(known):
        return f"no session has a property {key!r}: no session has custom properties yet"
    names = known.keys()
    nearest = difflib.get_close_matches(key, names, n=3, cutoff=0.6)
    if not nearest:
        nearest = [name for name in names if name.lower() == key.lower()]
    by_key = {row.key: row for row in known}
    ordered = [*nearest, *(name for name in names if name not in nearest)]
    listed = ", ".join(
        f"{name} ({_sessions(by_key[name].session_count)})" for name in ordered[:_KEYS_LISTED]
    )
    more = len(ordered) - _KEYS_LISTED
    if more > 0:
        listed += f" and {more:,} more"
    guess = f" (did you mean --property {nearest[0]}={value}?)" if nearest else ""
    return f"no session has a property {key!r}{guess}; keys in use: {listed}"


def _unknown_value(row: PropertyKey, value: str) -> str | None:
    if any(known.value == value for known in row.values):
        return None
    if row.value_count > len(row.values):  # the value may be a rarer one not listed
        return None
    listed = ", ".join(
        f"{known.value} ({_sessions(known.session_count)})" for known in row.values[:_VALUES_LISTED]
    )
    return f"no session has {row.key}={value}; {row.key} is one of: {listed}"


def property_hints(query: QueryClient, wanted: Mapping[str, str] | None) -> list[str]:
    """A sentence for each ``wanted`` key=value pair that no session has (none when the
    collector cannot say, e.g. an older one without ``/v1/properties``)."""
    if not wanted:
        return []
    try:
        known = query.properties(limit=_KEYS_ASKED, values=_VALUES_LISTED)
    except AgentTraceError:
        return []
    by_key = {row.key: row for row in known}
    hints = []
    for key, value in wanted.items():
        row = by_key.get(key)
        hint = _unknown_key(key, value, known) if row is None else _unknown_value(row, value)
        if hint is not None:
            hints.append(hint)
    return hints
