"""A Helicone manual-logger body plus its Helicone-* headers, turned into a `Record`.

The body is what ``helicone_helpers.HeliconeManualLogger`` (and Helicone's TypeScript,
Go and cURL loggers) post to ``/custom/v1/log``, ``/oai/v1/log``, ``/anthropic/v1/log``::

    {"providerRequest": {"url": str, "json": <request>, "meta": {header: value}},
     "providerResponse": {"json": <response>, "textBody": str | null, "status": int,
                          "headers": {...}, "cost": float (optional)},
     "timing": {"startTime": {"seconds": int, "milliseconds": int}, "endTime": {...},
                "timeToFirstToken": float | null},            (optional, see below)
     "provider": "OPENAI" | ... (optional)}

Helicone-* headers are read from ``providerRequest.meta`` and from the HTTP request, the
HTTP request winning, as Helicone merges them. As in Helicone, custom property names are
lower-cased (HTTP header names are case-insensitive and arrive lower-cased).

How the record is filled:

* ``kind``: the request json's ``_type`` when it is a record kind (``tool``,
  ``vector_db``, ``data``, ...); otherwise ``llm`` on the OpenAI, Anthropic and Google
  endpoints and ``custom`` on the custom one.
* ``name``: as agenttrace's ManualLogger names calls: the first of the request's
  ``toolName``, ``name``, ``databaseName``, ``operation``, ``model`` (``model``, ``name``,
  ``toolName`` for LLM calls), else the served model, else the kind.
* ``model`` and ``usage`` from the response (`usage_parsing`), the model falling back to
  the request's ``model``; ``cost_usd`` is ``providerResponse.cost`` when given, else
  priced from model, provider and usage.
* ``status``: 200-399 ``ok``; Helicone's -3 ``cancelled``; anything else ``error`` with the
  provider's error message. Helicone's Python ``HeliconeLogBuilder`` always sends status
  200, even after ``set_error``; a text body that starts with a Python traceback (which is
  what that builder sends after an error) is therefore recorded as ``error`` too.
* the session from ``Helicone-Session-Id`` / ``-Path`` / ``-Name``; a call logged without a
  session id forms a one-call session whose id is the request id.
* ``id`` from ``Helicone-Request-Id`` when given (so a retried log is stored once), else new.
* times: ``startTime`` and ``endTime`` as ``{seconds, milliseconds}`` (milliseconds 0 to
  999.999...), a string of up to 14 digits (Unix seconds, or milliseconds once past 2100)
  or an ISO-8601 date-time (no offset: UTC). Without ``timing`` (or ``timing: {}``, as
  Helicone takes it) the call ends when the log arrives and starts when it ends; with only
  one of the two, the other is the same moment. The body's JSON Schema
  (`body_schemas.LOG_BODY`) says the same.
* bodies kept unless ``Helicone-Omit-Request`` / ``Helicone-Omit-Response`` say otherwise
  (usage and model are read before a response body is dropped).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, cast

from pydantic import ValidationError

from agenttrace.core.headers import parse_headers
from agenttrace.core.ids import new_id
from agenttrace.core.pricing import compute_cost
from agenttrace.core.provider_names import provider_id
from agenttrace.core.usage import model_name
from agenttrace.records import ErrorInfo, Record, RecordKind, Status
from agenttrace.server.helicone.body_schemas import MAX_DIGITS, MAX_UNIX_SECONDS
from agenttrace.server.helicone.usage_parsing import read_response

__all__ = ["HeliconeLogError", "LogEndpoint", "record_from_log"]

CANCELLED_STATUS = -3  # Helicone's INTERNAL_ERRORS.Cancelled
_DIGITS_MEAN_MILLISECONDS = 4_102_444_800  # Helicone: larger all-digit strings are ms
_DIGITS = re.compile(f"^[0-9]{{1,{MAX_DIGITS}}}$")
_ISO_TIME = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?"
    r"(?:[Zz]|[+-][0-9]{2}:[0-9]{2})?$"
)
_TRACEBACK = "Traceback (most recent call last):"
_MAX_MODEL = 500  # Record's limits; a longer model name from a response is cut, not refused


class HeliconeLogError(ValueError):
    """The body is not a Helicone log; the message says which part is wrong and how."""


class LogEndpoint(StrEnum):
    """Which Helicone log endpoint received the body (it sets the provider)."""

    CUSTOM = "custom"
    OPENAI = "openai"
    ANTHROPIC = "anthropic"
    GOOGLE = "google"


_KINDS = {kind.value: kind for kind in RecordKind}
# The ManualLogger's naming rule (agenttrace._internal.call_record), so that a call is named
# alike whether it was logged by Helicone's helper or by agenttrace's.
_NAME_KEYS = ("toolName", "name", "databaseName", "operation", "model")
_LLM_NAME_KEYS = ("model", "name", "toolName")


def record_from_log(
    body: object,
    headers: Mapping[str, str],
    endpoint: LogEndpoint,
    *,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Record:
    """The record a Helicone log describes; raises `HeliconeLogError` for a bad body."""
    root = _object(body, "the body", "an object with providerRequest and providerResponse")
    request = _object(_required(root, "providerRequest", ""), "providerRequest", "an object")
    response = _object(_required(root, "providerResponse", ""), "providerResponse", "an object")
    _optional_str(request, "url", "providerRequest.")  # checked; agenttrace keeps no URL
    if "json" not in request:
        msg = "providerRequest.json is missing; send the body of the call you made (an object)"
        raise HeliconeLogError(msg)
    request_json = request["json"]
    meta = _string_map(request.get("meta"), "providerRequest.meta")
    status_code = _status(response)
    text_body = _optional_str(response, "textBody", "providerResponse.")
    response_json = response.get("json")
    _string_map(response.get("headers"), "providerResponse.headers")
    explicit_cost = _optional_number(response, "cost", "providerResponse.")
    start, end, ttft = _timing(root.get("timing"), now)
    body_provider = _optional_str(root, "provider", "")

    merged = {str(key).lower(): value for key, value in meta.items()}
    merged.update({str(key).lower(): str(value) for key, value in headers.items()})
    try:
        context = parse_headers(merged)
    except ValueError as exc:  # an unusable Helicone-Session-Path
        msg = f"the Helicone-* headers cannot be used: {exc}"
        raise HeliconeLogError(msg) from None

    request_fields = request_json if isinstance(request_json, Mapping) else {}
    kind = _kind(request_fields, endpoint)
    facts = read_response(response_json, text_body)
    model = (facts.model or _text(model_name(request_fields)) or "")[:_MAX_MODEL] or None
    provider = _provider(endpoint, body_provider)
    status, error = _status_and_error(status_code, response_json, text_body)
    record_id = context.request_id or new_id()
    try:
        return Record(
            id=record_id,
            kind=kind,
            session_id=context.session_id or record_id,
            session_name=context.session_name,
            session_path=context.session_path or "/",
            name=_name(kind, request_fields, model),
            model=model,
            provider=provider,
            user_id=context.user_id,
            properties=dict(context.properties),
            start_time=start,
            end_time=end,
            time_to_first_token_ms=ttft,
            status=status,
            error=error,
            usage=facts.usage,
            cost_usd=explicit_cost
            if explicit_cost is not None
            else compute_cost(model, provider, facts.usage, at=start),
            request=None if context.omit_request else request_json,
            response=None if context.omit_response else (text_body or response_json),
        )
    except ValidationError as exc:
        raise HeliconeLogError(_validation_message(exc)) from None


# --- reading the body ----------------------------------------------------------------


def _describe(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _object(value: object, where: str, expected: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        msg = f"{where} must be {expected}; got {_describe(value)}"
        raise HeliconeLogError(msg)
    return cast("Mapping[str, Any]", value)


def _required(parent: Mapping[str, Any], key: str, prefix: str) -> object:
    if key not in parent or parent[key] is None:
        msg = (
            f"{prefix}{key} is missing; a Helicone log needs providerRequest "
            "{url, json, meta} and providerResponse {json or textBody, status, headers}"
        )
        raise HeliconeLogError(msg)
    return parent[key]


def _optional_str(parent: Mapping[str, Any], key: str, prefix: str) -> str | None:
    value = parent.get(key)
    if value is None or isinstance(value, str):
        return value
    msg = f"{prefix}{key} must be a string; got {_describe(value)}"
    raise HeliconeLogError(msg)


def _number(value: object) -> float | None:
    """A finite number, or None (for booleans, strings, NaN, infinities and huge integers)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _optional_number(parent: Mapping[str, Any], key: str, prefix: str) -> float | None:
    value = parent.get(key)
    if value is None:
        return None
    number = _number(value)
    if number is None or number < 0:
        msg = f"{prefix}{key} must be a number of at least 0; got {value!r}"
        raise HeliconeLogError(msg)
    return number


def _string_map(value: object, where: str) -> dict[str, str]:
    if value is None:
        return {}
    mapping = _object(value, where, "an object of header names to strings")
    out: dict[str, str] = {}
    for key, item in mapping.items():
        if isinstance(item, str):
            out[str(key)] = item
        elif isinstance(item, int | float | bool):
            out[str(key)] = str(item).lower() if isinstance(item, bool) else str(item)
        elif item is not None:
            msg = f"{where}[{key!r}] must be a string; got {_describe(item)}"
            raise HeliconeLogError(msg)
    return out


def _status(response: Mapping[str, Any]) -> int:
    value = _required(response, "status", "providerResponse.")
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    number = _number(value)
    if number is None or not number.is_integer():
        msg = f"providerResponse.status must be a whole number (an HTTP status); got {value!r}"
        raise HeliconeLogError(msg)
    return int(number)


def _moment(value: object, where: str) -> datetime:
    """A Helicone time: ``{seconds, milliseconds}``, or a string of digits or ISO-8601."""
    if isinstance(value, str):
        return _moment_from_string(value, where)
    parts = _object(value, where, "an object {seconds, milliseconds}")
    seconds = _number(parts.get("seconds"))
    millis = _number(parts.get("milliseconds", 0))
    if seconds is None or millis is None or not 0 <= millis < 1000:
        msg = (
            f"{where} must be {{seconds, milliseconds}} with numbers, milliseconds from 0 to "
            f"999; got {dict(parts)!r}"
        )
        raise HeliconeLogError(msg)
    if seconds > MAX_UNIX_SECONDS:
        msg = f"{where} is after the year 9999; send Unix seconds, not milliseconds"
        raise HeliconeLogError(msg)
    return _from_unix(seconds + millis / 1000.0, where)


def _moment_from_string(text: str, where: str) -> datetime:
    if _DIGITS.match(text):
        number = int(text)
        seconds = number if number < _DIGITS_MEAN_MILLISECONDS else number / 1000.0
        return _from_unix(seconds, where)
    if _ISO_TIME.match(text):
        try:
            parsed = datetime.fromisoformat(text.upper())
        except ValueError as exc:
            msg = f"{where} is not a time ({exc}); send an ISO-8601 date-time"
            raise HeliconeLogError(msg) from None
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed
    msg = (
        f"{where} must be {{seconds, milliseconds}}, Unix seconds (at most {MAX_DIGITS} "
        f"digits) or an ISO-8601 date-time; got {text!r}"
    )
    raise HeliconeLogError(msg)


def _from_unix(seconds: float, where: str) -> datetime:
    if seconds < 0:
        msg = f"{where} is before 1970; startTime and endTime cannot be negative"
        raise HeliconeLogError(msg)
    if seconds >= MAX_UNIX_SECONDS + 1:
        msg = f"{where} is after the year 9999; send Unix seconds, not milliseconds"
        raise HeliconeLogError(msg)
    return datetime.fromtimestamp(seconds, UTC)


def _timing(value: object, now: Callable[[], datetime]) -> tuple[datetime, datetime, float | None]:
    """Start, end and time to first token; a missing end is the start, a missing start the
    end, and with neither both are when the log arrived (see the module docstring)."""
    if value is None:
        moment = now()
        return moment, moment, None
    timing = _object(value, "timing", "an object {startTime, endTime, timeToFirstToken}")
    raw_start, raw_end = timing.get("startTime"), timing.get("endTime")
    start = _moment(raw_start, "timing.startTime") if raw_start is not None else None
    end = _moment(raw_end, "timing.endTime") if raw_end is not None else None
    start = start or end or now()
    end = end or start
    if start > end:
        msg = "timing.startTime is after timing.endTime; send the start of the call first"
        raise HeliconeLogError(msg)
    ttft = _optional_number(timing, "timeToFirstToken", "timing.")
    return start, end, ttft


# --- what the record says ------------------------------------------------------------


def _text(value: object) -> str | None:
    if isinstance(value, str) and value.strip() and value != "unknown":
        return value.strip()
    return None


def _kind(request: Mapping[str, Any], endpoint: LogEndpoint) -> RecordKind:
    declared = request.get("_type")
    if isinstance(declared, str) and declared in _KINDS:
        return _KINDS[declared]
    return RecordKind.CUSTOM if endpoint is LogEndpoint.CUSTOM else RecordKind.LLM


def _name(kind: RecordKind, request: Mapping[str, Any], model: str | None) -> str:
    keys = _LLM_NAME_KEYS if kind is RecordKind.LLM else _NAME_KEYS
    candidates = [request.get(key) for key in keys]
    return next(
        (name for name in map(_text, [*candidates, model]) if name is not None), kind.value
    )[:_MAX_MODEL]


def _provider(endpoint: LogEndpoint, declared: str | None) -> str | None:
    if endpoint is not LogEndpoint.CUSTOM:
        return endpoint.value
    return provider_id(declared)  # Helicone's OPENAI, BEDROCK, ... as genai-prices names them


def _status_and_error(
    code: int, response_json: object, text_body: str | None
) -> tuple[Status, ErrorInfo | None]:
    if code == CANCELLED_STATUS:
        return Status.CANCELLED, None
    if 200 <= code < 400:
        if text_body is not None and text_body.startswith(_TRACEBACK):
            return Status.ERROR, _traceback_error(text_body)
        return Status.OK, None
    return Status.ERROR, _http_error(code, response_json, text_body)


def _http_error(code: int, response_json: object, text_body: str | None) -> ErrorInfo:
    if text_body is not None and text_body.startswith(_TRACEBACK):
        return _traceback_error(text_body)
    kind = f"HTTP {code}"
    message = text_body or ""
    if isinstance(response_json, Mapping):
        detail = response_json.get("error")
        if isinstance(detail, Mapping):  # OpenAI and Anthropic error bodies
            kind = _text(detail.get("type")) or _text(detail.get("code")) or kind
            message = _text(detail.get("message")) or message
        elif isinstance(detail, str):
            message = detail
        else:
            message = message or _text(response_json.get("message")) or ""
    return ErrorInfo(type=kind[:500], message=message[:100_000])


def _traceback_error(text: str) -> ErrorInfo:
    """The last exception line of a Python traceback: ``ValueError: boom``."""
    last = ""
    in_traceback = False
    for line in text.splitlines():
        if line.startswith(_TRACEBACK):
            in_traceback = True
        elif in_traceback and line.strip() and not line.startswith(" "):
            last = line
            in_traceback = False
    kind, _, message = last.partition(":")
    return ErrorInfo(type=(kind.strip() or "Exception")[:500], message=message.strip()[:100_000])


def _validation_message(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"]) or "record"
        parts.append(f"{where}: {error['msg']}")
    sources = (
        "(from the Helicone-* headers: Request-Id, Session-Id, Session-Path, Session-Name, "
        "User-Id, Property-*)"
    )
    return "the log cannot be stored: " + "; ".join(parts) + " " + sources
