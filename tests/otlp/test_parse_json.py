"""`parse_json` reads message JSON in Rust first; wherever that parser and ``json`` differ
(lone surrogates, nesting past its limit, text after the value, what is not JSON), the
answer is still the one ``json`` gives, as before."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from agenttrace.server.otlp.reading import parse_json

_SPACE = " \t\n\r"


def _by_json(text: str) -> Any:
    """What `parse_json` answered when ``json`` alone read the text."""
    try:
        value, end = json.JSONDecoder().raw_decode(text)
    except (ValueError, RecursionError):
        return text
    return value if not text[end:].strip(_SPACE) else text


def _same(got: Any, expected: Any) -> bool:
    if isinstance(expected, float) and math.isnan(expected):
        return isinstance(got, float) and math.isnan(got)
    if isinstance(expected, dict):
        return (
            isinstance(got, dict)
            and list(got) == list(expected)
            and all(_same(got[key], value) for key, value in expected.items())
        )
    if isinstance(expected, list):
        return (
            isinstance(got, list)
            and len(got) == len(expected)
            and all(_same(a, b) for a, b in zip(got, expected, strict=True))
        )
    return type(got) is type(expected) and got == expected


@pytest.mark.parametrize(
    "text",
    [
        '[{"role": "user", "parts": [{"type": "text", "content": "Hi"}]}]',
        '{"a": 1, "b": 2, "a": 3}',  # a repeated key: the last value, the first place
        '["\\ud800", "\\udc00\\ud800"]',  # lone surrogates: json keeps them
        '["\ud800"]',  # a lone surrogate in the text itself
        '["\\u0000", "\\ud83d\\ude00", "\\u00e9"]',
        "[NaN, Infinity, -Infinity, 1e400, -0, -0.0, 5e-324]",
        "[" + "1" * 4000 + "]",
        "[" + "1" * 5000 + "]",  # past Python's digit limit: not read
        "[" * 300 + "]" * 300,  # deeper than the Rust parser goes
        '{"a": 1}  \n',
        "[1]\x0c",  # not JSON whitespace after the value
        "[1] x",
        '{"a": "x\ny"}',  # a raw control character in a string
        "[1,]",
        "{'a': 1}",
        "[",
    ],
)
def test_parse_json_answers_what_json_does(text: str) -> None:
    assert _same(parse_json(text), _by_json(text))


@pytest.mark.parametrize("value", [None, 3, "plain text", "", " [1]", "1", b"[1]"])
def test_parse_json_leaves_other_values_alone(value: Any) -> None:
    assert parse_json(value) is value
