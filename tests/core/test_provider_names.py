"""Provider names as genai-prices knows them, whichever way a producer spells them."""

from __future__ import annotations

import pytest
from genai_prices import data_snapshot

from agenttrace.core.provider_names import provider_id


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("google_genai", "google"),  # LangChain's ls_provider values
        ("google_vertexai", "google"),
        ("amazon_bedrock", "aws"),
        ("mistralai", "mistral"),
        ("azure", "azure"),
        ("BEDROCK", "aws"),  # Helicone's provider names
        ("TOGETHERAI", "together"),
        ("X", "x-ai"),
        (" OpenAI ", "openai"),
        ("ollama", "ollama"),  # kept: genai-prices does not price it
        ("CUSTOM", None),
        ("  ", None),
        (None, None),
    ],
)
def test_provider_id(name: str | None, expected: str | None) -> None:
    assert provider_id(name) == expected


def test_every_alias_is_a_genai_prices_provider() -> None:
    """Each id the table maps to is one genai-prices prices under."""
    from agenttrace.core import provider_names

    known = {provider.id for provider in data_snapshot.get_snapshot().providers}
    assert set(provider_names._ALIASES.values()) <= known
