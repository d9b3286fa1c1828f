"""Secrets in a record's metadata (custom properties, session name, user id) masked before
the record leaves the process, as the ``redact`` hook masks them in bodies.

The ``redact_metadata`` setting (``agenttrace.configure(redact_metadata=...)`` or
``AGENTTRACE_REDACT_METADATA``) chooses:

* ``"secrets"`` (the default): a value that looks like a secret is masked: API keys and
  tokens by their form (``sk-...``, ``Bearer ...``, JWTs, private keys, AWS keys ...),
  ``key=value`` text naming a secret, and a property whose name names one (``api_key``,
  ``password``, ``authToken`` ...). Emails and numbers are left as they are: a user id is
  often an email. ``Helicone-Property-Api-Key: sk-proj-...`` arrives as
  ``[REDACTED:secret]`` (its name names a secret; ``sk-proj-...`` under any name would be
  ``[REDACTED:api_key]``).
* ``"all"`` (or ``True``): the ``redact`` hook given to ``configure`` (else
  `agenttrace.redaction.redact_secrets`) runs over them too: over each of the session
  name and the user id, and over the properties as one dict.
* ``"off"`` (or ``False``): they are sent as they are.

The default runs on the caller's thread for every record, so its answers are kept in
bounded caches (per value and per property name): the same few names, users and property
values recur record after record.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final

from agenttrace.exceptions import ConfigurationError
from agenttrace.records import Record

if TYPE_CHECKING:
    from agenttrace.redaction import SecretRedactor

__all__ = ["METADATA_MODES", "MetadataRedactor", "metadata_mode"]

METADATA_MODES: Final = ("secrets", "all", "off")
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no"})
_CACHE_SIZE = 4096
_MASKED = "[REDACTED:secret]"


def metadata_mode(value: object, source: str) -> str:
    """``value`` as one of `METADATA_MODES` (``True`` is ``"all"``, ``False`` ``"off"``);
    `ConfigurationError` naming ``source`` otherwise."""
    if isinstance(value, bool):
        return "all" if value else "off"
    text = str(value).strip().lower() if isinstance(value, str) else None
    if text in METADATA_MODES:
        return text
    if text in _TRUE:
        return "all"
    if text in _FALSE:
        return "off"
    msg = (
        f"{source}={value!r} is not a metadata redaction mode; use 'secrets' (mask values "
        "that look like secrets), 'all' (run the redact hook over them) or 'off'"
    )
    raise ConfigurationError(msg)


class MetadataRedactor:
    """Masks secrets in a record's properties, session name and user id (see the module)."""

    def __init__(self, mode: str, hook: Callable[[Any], Any] | None) -> None:
        self.mode = mode
        self._hook = hook
        self._secrets: SecretRedactor | None = None
        self._values: dict[str, str] = {}
        self._names: dict[str, tuple[str, bool]] = {}

    def apply(self, record: Record) -> Record:
        """``record`` with its metadata masked; the same object when nothing changes."""
        if self.mode == "off" or (
            not record.properties and record.session_name is None and record.user_id is None
        ):
            return record
        update = self._hooked(record) if self.mode == "all" else self._masked(record)
        return record.model_copy(update=update) if update else record

    # -- "secrets" ----------------------------------------------------------------------

    def _masked(self, record: Record) -> dict[str, Any]:
        # Runs for every record on the caller's thread: cache hits are looked up inline
        # (``values.get(v) or self._text(v)``), as a method call per value costs more.
        values, names = self._values, self._names
        update: dict[str, Any] = {}
        for field, value in (("session_name", record.session_name), ("user_id", record.user_id)):
            if value is not None and (values.get(value) or self._text(value)) != value:
                update[field] = self._text(value)
        properties = record.properties
        for key, value in properties.items():
            masked_key, secret = names.get(key) or self._name(key)
            if secret or masked_key != key or (values.get(value) or self._text(value)) != value:
                update["properties"] = {
                    self._name(k)[0]: _MASKED if self._name(k)[1] else self._text(v)
                    for k, v in properties.items()
                }
                break
        return update

    def _text(self, value: str) -> str:
        """``value`` with secrets masked (remembered in a bounded cache)."""
        masked = self._values.get(value)
        if masked is None:
            masked = self._redactor().text(value)
            if len(self._values) >= _CACHE_SIZE:
                self._values.clear()
            self._values[value] = masked
        return masked

    def _name(self, key: str) -> tuple[str, bool]:
        """A property name with secrets masked, and whether it names a secret (remembered)."""
        entry = self._names.get(key)
        if entry is None:
            masked, value = self._redactor().pair(key, "")
            entry = (masked, value == _MASKED)
            if len(self._names) >= _CACHE_SIZE:
                self._names.clear()
            self._names[key] = entry
        return entry

    def _redactor(self) -> SecretRedactor:
        redactor = self._secrets
        if redactor is None:
            from agenttrace.redaction import SecretRedactor

            redactor = self._secrets = SecretRedactor(emails=False, cards=False)
        return redactor

    # -- "all" --------------------------------------------------------------------------

    def _hooked(self, record: Record) -> dict[str, Any]:
        hook = self._hook
        if hook is None:
            from agenttrace.redaction import redact_secrets

            hook = redact_secrets
        update: dict[str, Any] = {}
        for field in ("session_name", "user_id"):
            value = getattr(record, field)
            if value is not None:
                update[field] = str(hook(value))
        if record.properties:
            redacted = hook(dict(record.properties))
            if not isinstance(redacted, Mapping):
                msg = (
                    "the redact hook must return a dict when given the properties (a dict); "
                    f"it returned {type(redacted).__name__}"
                )
                raise TypeError(msg)
            update["properties"] = {str(key): str(value) for key, value in redacted.items()}
        return update
