"""A provider's name as genai-prices knows it, from the names producers give it.

LangChain's chat models report ``ls_provider`` (``google_genai``, ``amazon_bedrock``,
``mistralai``, ...) and Helicone's logs name providers in capitals (``OPENAI``, ``BEDROCK``);
a record keeps the id genai-prices prices under (``google``, ``aws``, ``mistral``), so that
the same provider reads the same whichever way its calls arrived. A name not in the table
is kept, lower-cased (``ollama`` stays ``ollama``, which genai-prices does not price).
"""

from __future__ import annotations

__all__ = ["provider_id"]

_MAX_PROVIDER = 200

_ALIASES = {
    "google_genai": "google",
    "google_vertexai": "google",
    "google_anthropic_vertex": "google",
    "gemini": "google",
    "vertex": "google",
    "amazon_bedrock": "aws",
    "bedrock": "aws",
    "bedrock_converse": "aws",
    "mistralai": "mistral",
    "azure_openai": "azure",
    "togetherai": "together",
    "x": "x-ai",
    "xai": "x-ai",
}


def provider_id(name: str | None) -> str | None:
    """``name`` as genai-prices' provider id; None for no name or ``custom``."""
    if name is None:
        return None
    cleaned = name.strip().lower()
    if not cleaned or cleaned == "custom":
        return None
    return _ALIASES.get(cleaned, cleaned)[:_MAX_PROVIDER]
