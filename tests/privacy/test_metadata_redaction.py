"""Secrets in properties, session names and user ids (``redact_metadata``): masked by
default when they look like secrets, run through the redaction hook on request, or sent as
they are when turned off; end to end, they never reach the collector's database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import agenttrace
from agenttrace import ManualLogger
from agenttrace.exceptions import ConfigurationError
from agenttrace.records import Record
from agenttrace.server.testing import running_collector
from agenttrace.testing import InMemoryExporter

OPENAI_KEY = "sk-proj-Zq8TfV2mK9xLw4Rb7NcYh1Ps"
GITHUB_TOKEN = "ghp_0123456789abcdefghijABCDEFGHIJklmnop"
EMAIL = "dana.whitfield@example.org"


@pytest.fixture
def process_tracer() -> Iterator[None]:
    """Leave a harmless in-memory process tracer behind whatever the test configured."""
    yield
    agenttrace.configure(exporter=InMemoryExporter())


def _record(**fields: Any) -> Record:
    return Record(**{"id": "r1", "session_id": "s1", **fields})


def _emitted(record: Record, **options: Any) -> Record:
    exporter = InMemoryExporter()
    agenttrace.configure(exporter=exporter, **options)
    agenttrace.emit(record)
    (emitted,) = exporter.records
    return emitted


def test_helicone_property_holding_a_key_never_reaches_the_database(
    tmp_path: Path, process_tracer: None
) -> None:
    """The issue's case: ``Helicone-Property-Api-Key: sk-proj-...`` (and a token in the
    session name and user id) are masked with no hook configured; other metadata, an
    email user id among it, arrives unchanged, and the database holds no secret."""
    data_dir = tmp_path / "collector"
    with running_collector(data_dir=data_dir) as collector:
        agenttrace.configure(collector.url, spool_dir=tmp_path / "spool")
        logger = ManualLogger(
            headers={
                "Helicone-Session-Id": "meta",
                "Helicone-Session-Name": f"deploy with {GITHUB_TOKEN}",
                "Helicone-Property-Api-Key": OPENAI_KEY,
                "Helicone-Property-Note": f"key={OPENAI_KEY}",
                "Helicone-Property-Env": "prod",
            }
        )
        logger.log_request({"_type": "tool", "toolName": "deploy"}, lambda r: "ok")
        logger.log_request(
            {"_type": "tool", "toolName": "notify"},
            lambda r: "ok",
            additional_headers={"Helicone-User-Id": EMAIL},
        )
        agenttrace.emit(_record(session_id="meta", user_id=f"Bearer {GITHUB_TOKEN}"))
        assert agenttrace.flush(20.0)
        rows = httpx.get(f"{collector.url}/v1/requests", params={"session_id": "meta"}).json()
    agenttrace.shutdown(5.0)
    by_name = {row["name"]: row for row in rows["requests"]}
    properties = by_name["deploy"]["properties"]
    assert properties["Api-Key"] == "[REDACTED:secret]"
    assert properties["Note"] == "key=[REDACTED:api_key]"
    assert properties["Env"] == "prod"
    assert by_name["deploy"]["session_name"] == "deploy with [REDACTED:api_key]"
    assert by_name["notify"]["user_id"] == EMAIL
    assert by_name[""]["user_id"] == "Bearer [REDACTED:token]"
    stored = b"".join(p.read_bytes() for p in sorted(data_dir.rglob("*")) if p.is_file())
    assert b"prod" in stored
    assert OPENAI_KEY.encode() not in stored
    assert GITHUB_TOKEN.encode() not in stored


def test_secret_names_and_forms_are_masked_by_default(process_tracer: None) -> None:
    """Default "secrets": a property named like a secret (camelCase too) is masked whole,
    a value holding a key by its form is masked in place; the rest is the same object."""
    emitted = _emitted(
        _record(
            session_name="nightly",
            user_id="u-42",
            properties={"authToken": "abc", "env": "dev", "ticket": f"uses {OPENAI_KEY}"},
        )
    )
    assert emitted.properties == {
        "authToken": "[REDACTED:secret]",
        "env": "dev",
        "ticket": "uses [REDACTED:api_key]",
    }
    assert (emitted.session_name, emitted.user_id) == ("nightly", "u-42")
    plain = _record(session_name="nightly", user_id=EMAIL, properties={"env": "dev"})
    assert _emitted(plain) is plain


def test_all_runs_the_hook_and_off_sends_metadata_as_is(process_tracer: None) -> None:
    """``redact_metadata=True`` ("all") runs the configured hook over each name and user id
    and over the properties as a dict; ``False`` ("off") leaves even a key in place."""
    seen: list[Any] = []

    def hook(value: Any) -> Any:
        seen.append(value)
        if isinstance(value, dict):
            return {key: str(value[key]).upper() for key in value}
        return f"<{value}>"

    record = _record(session_name="n", user_id="u", properties={"k": "v"}, request={"q": 1})
    hooked = _emitted(record, redact=hook, redact_metadata=True)
    assert (hooked.session_name, hooked.user_id, hooked.properties) == ("<n>", "<u>", {"k": "V"})
    assert {"k": "v"} in seen
    secret = _record(properties={"api_key": OPENAI_KEY})
    assert _emitted(secret, redact_metadata=False).properties == {"api_key": OPENAI_KEY}
    assert _emitted(secret, redact_metadata="off").properties == {"api_key": OPENAI_KEY}
    emails = _record(user_id=EMAIL)
    assert _emitted(emails, redact_metadata="all").user_id == "[REDACTED:email]"


def test_the_environment_variable_sets_the_mode(
    monkeypatch: pytest.MonkeyPatch, process_tracer: None
) -> None:
    """``AGENTTRACE_REDACT_METADATA`` chooses the mode (arguments win); a wrong value is a
    `ConfigurationError` that lists the modes."""
    secret = _record(properties={"api_key": OPENAI_KEY})
    monkeypatch.setenv("AGENTTRACE_REDACT_METADATA", "off")
    assert _emitted(secret).properties == {"api_key": OPENAI_KEY}
    assert _emitted(secret, redact_metadata="secrets").properties == {
        "api_key": "[REDACTED:secret]"
    }
    monkeypatch.setenv("AGENTTRACE_REDACT_METADATA", "sometimes")
    with pytest.raises(ConfigurationError, match=r"'secrets'.*'all'.*'off'"):
        agenttrace.configure(exporter=InMemoryExporter())
    monkeypatch.delenv("AGENTTRACE_REDACT_METADATA")
