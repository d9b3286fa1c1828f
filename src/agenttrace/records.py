"""The wire contract: one `Record` per LLM call, tool call, retriever call or custom operation.

This is the only module shared by both ends of the wire (client and collector). The kinds,
statuses, limits and path rule of a record live in `agenttrace.core.record_rules`
(which does not import pydantic) and are re-exported here.

Token accounting convention (the same as LangChain's ``UsageMetadata`` and OpenAI's
``prompt_tokens``):

* ``input_tokens`` **includes** ``cache_read_tokens`` and ``cache_write_tokens``;
* ``cache_write_tokens`` **includes** ``cache_write_1h_tokens`` (Anthropic's one-hour cache
  writes, priced above the five-minute ones; the rest of the writes are five-minute ones);
* ``output_tokens`` **includes** ``reasoning_tokens``;
* ``total_tokens`` is ``input_tokens + output_tokens`` (filled in when missing).

Times are timezone-aware UTC datetimes; naive datetimes are taken to be UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeFloat,
    NonNegativeInt,
    ValidationError,
    field_validator,
    model_validator,
)

from agenttrace.core.ids import new_id
from agenttrace.core.record_rules import (
    MAX_AMOUNT,
    MAX_ATTEMPT,
    MAX_ID_LENGTH,
    MAX_NAME_LENGTH,
    MAX_PATH_LENGTH,
    MAX_PATH_SEGMENTS,
    MAX_PROPERTIES,
    MAX_PROPERTY_NAME_LENGTH,
    MAX_PROPERTY_VALUE_LENGTH,
    MAX_TOKENS,
    REPAIRED_PROPERTY,
    RecordKind,
    Status,
    normalize_path,
)

__all__ = [
    "MAX_AMOUNT",
    "MAX_ATTEMPT",
    "MAX_ID_LENGTH",
    "MAX_NAME_LENGTH",
    "MAX_PATH_LENGTH",
    "MAX_PATH_SEGMENTS",
    "MAX_PROPERTIES",
    "MAX_PROPERTY_NAME_LENGTH",
    "MAX_PROPERTY_VALUE_LENGTH",
    "MAX_TOKENS",
    "ErrorInfo",
    "IngestError",
    "IngestResult",
    "Record",
    "RecordBatch",
    "RecordKind",
    "Status",
    "Usage",
    "normalize_path",
]


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+14:00 is before year 1 in UTC
        msg = f"{value.isoformat()} is out of range in UTC; send a time between years 1 and 9999"
        raise ValueError(msg) from None


UtcDatetime = Annotated[datetime, AfterValidator(_utc)]


def _unencodable_fields(exc: ValidationError, data: dict[str, Any]) -> list[str] | None:
    """The fields given in ``data`` whose only fault is text that UTF-8 cannot encode (a
    lone surrogate), or None when anything else is wrong."""
    names = []
    for error in exc.errors():
        loc = error["loc"]
        if error["type"] != "string_unicode" or not loc or loc[0] not in data:
            return None
        names.append(str(loc[0]))
    return names


def _mended(data: dict[str, Any], names: list[str]) -> dict[str, Any]:
    from agenttrace.core.text_repair import repair_data  # rare: loaded when text needs it

    return {**data, **{name: repair_data(data[name], nul=False) for name in names}}


class ErrorInfo(BaseModel):
    """The exception a failed call raised."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    type: str = Field(max_length=500)
    message: str = Field(default="", max_length=100_000)

    def __init__(self, /, **data: Any) -> None:
        """As pydantic's, except that a lone surrogate in the text does not fail: it is
        kept, and repaired with the record on the wire (`agenttrace.core.text_repair`)."""
        try:
            super().__init__(**data)
        except ValidationError as exc:
            names = _unencodable_fields(exc, data)
            if not names:
                raise
            super().__init__(**_mended(data, names))
            for name in names:
                object.__setattr__(self, name, data[name])

    # pydantic calls a model's own __init__ for every nested or JSON validation unless it
    # is marked as the base one (as pydantic's RootModel does); this one only serves calls.
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]


class Usage(BaseModel):
    """Token counts. See the module docstring for what includes what."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    input_tokens: NonNegativeInt | None = Field(default=None, le=MAX_TOKENS)
    output_tokens: NonNegativeInt | None = Field(default=None, le=MAX_TOKENS)
    total_tokens: NonNegativeInt | None = Field(default=None, le=2 * MAX_TOKENS)
    cache_read_tokens: NonNegativeInt | None = Field(default=None, le=MAX_TOKENS)
    cache_write_tokens: NonNegativeInt | None = Field(default=None, le=MAX_TOKENS)
    cache_write_1h_tokens: NonNegativeInt | None = Field(default=None, le=MAX_TOKENS)
    reasoning_tokens: NonNegativeInt | None = Field(default=None, le=MAX_TOKENS)

    @model_validator(mode="after")
    def _fill_total(self) -> Usage:
        if self.total_tokens is None and (
            self.input_tokens is not None or self.output_tokens is not None
        ):
            object.__setattr__(
                self, "total_tokens", (self.input_tokens or 0) + (self.output_tokens or 0)
            )
        return self


def _now() -> datetime:
    return datetime.now(UTC)


class Record(BaseModel):
    """One traced call. ``id`` is client-generated and is the idempotency key."""

    model_config = ConfigDict(extra="forbid", validate_assignment=False, defer_build=True)

    id: str = Field(default_factory=new_id, min_length=1, max_length=MAX_ID_LENGTH)
    kind: RecordKind = RecordKind.CUSTOM
    session_id: str = Field(min_length=1, max_length=MAX_ID_LENGTH)
    session_name: str | None = Field(default=None, max_length=MAX_NAME_LENGTH)
    session_path: str = Field(default="/", max_length=MAX_PATH_LENGTH)
    parent_id: str | None = Field(default=None, max_length=MAX_ID_LENGTH)
    name: str = Field(default="", max_length=MAX_NAME_LENGTH)
    model: str | None = Field(default=None, max_length=MAX_NAME_LENGTH)
    provider: str | None = Field(default=None, max_length=MAX_ID_LENGTH)
    user_id: str | None = Field(default=None, max_length=MAX_NAME_LENGTH)
    properties: dict[str, str] = Field(default_factory=dict)
    start_time: UtcDatetime = Field(default_factory=_now)
    end_time: UtcDatetime | None = None
    time_to_first_token_ms: NonNegativeFloat | None = Field(default=None, le=MAX_AMOUNT)
    status: Status = Status.OK
    error: ErrorInfo | None = None
    usage: Usage | None = None
    cost_usd: NonNegativeFloat | None = Field(default=None, le=MAX_AMOUNT)
    attempt: int = Field(default=1, ge=1, le=MAX_ATTEMPT)
    """1 for a first try; LangGraph retries and resumed interrupts count up."""
    branch_id: str | None = Field(default=None, max_length=MAX_NAME_LENGTH)
    """Tells parallel branches on the same path apart (LangGraph task id)."""
    request: Any = None
    response: Any = None

    @field_validator("session_path", mode="before")
    @classmethod
    def _normalize_path(cls, value: object) -> object:
        if value is None:
            return "/"
        if isinstance(value, str):
            return normalize_path(value)
        return value

    @field_validator("properties")
    @classmethod
    def _check_properties(cls, value: dict[str, str]) -> dict[str, str]:
        if len(value) - (REPAIRED_PROPERTY in value) > MAX_PROPERTIES:
            msg = f"{len(value)} properties; at most {MAX_PROPERTIES} are allowed per record"
            raise ValueError(msg)
        for key, item in value.items():
            if not key or len(key) > MAX_PROPERTY_NAME_LENGTH:
                msg = (
                    f"property names must be 1 to {MAX_PROPERTY_NAME_LENGTH} characters; "
                    f"got {key!r}"
                )
                raise ValueError(msg)
            if len(item) > MAX_PROPERTY_VALUE_LENGTH:
                msg = (
                    f"property {key!r} has a value of {len(item)} characters; at most "
                    f"{MAX_PROPERTY_VALUE_LENGTH} are allowed"
                )
                raise ValueError(msg)
        return value

    def __init__(self, /, **data: Any) -> None:
        """As pydantic's, except that a lone surrogate in a text field does not fail: the
        text is kept as given, and the shipper repairs it and marks the record
        (`agenttrace.core.text_repair`). ``Record.model_validate`` stays strict."""
        try:
            super().__init__(**data)
        except ValidationError as exc:
            names = _unencodable_fields(exc, data)
            if not names:
                raise
            super().__init__(**_mended(data, names))
            for name in set(names):
                object.__setattr__(self, name, _as_given(name, data[name]))

    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined] # see ErrorInfo

    @model_validator(mode="after")
    def _check_times(self) -> Record:
        if self.end_time is not None and self.end_time < self.start_time:
            msg = "end_time is before start_time; pass times in UTC or timezone-aware datetimes"
            raise ValueError(msg)
        return self

    @property
    def latency_ms(self) -> float | None:
        """Milliseconds from start to end, or None while the end is unknown."""
        if self.end_time is None:
            return None
        return (self.end_time - self.start_time).total_seconds() * 1000.0


def _as_given(name: str, value: Any) -> Any:
    """A field's value as given, in the form validation gives it."""
    if name == "session_path":
        return normalize_path(value)
    if name == "error" and isinstance(value, dict):
        return ErrorInfo(**value)
    return value


class RecordBatch(BaseModel):
    """The body of ``POST /v1/records``: ``{"records": [...]}`` and nothing else."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    records: list[Record]


class IngestError(BaseModel):
    """Why one record of a batch was rejected."""

    model_config = ConfigDict(defer_build=True)

    index: int
    id: str | None = None
    message: str


class IngestResult(BaseModel):
    """The answer to a batch: counts, and the rejected records by index."""

    model_config = ConfigDict(defer_build=True)

    accepted: int
    duplicates: int = 0
    rejected: list[IngestError] = Field(default_factory=list)
