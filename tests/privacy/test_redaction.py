"""The ready-made redaction hook: what it masks, what it leaves alone, and properties that
hold for any body (same shape, idempotent, never fails, planted secrets never survive)."""

from __future__ import annotations

import base64
import hashlib
import json
import string
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import agenttrace.redaction
from agenttrace.redaction import SecretRedactor, luhn_valid, redact_secrets

CASES = [
    ("key sk-proj-AbCdEf0123456789ghijKLMN ok", "key [REDACTED:api_key] ok"),
    ("anthropic sk-ant-api03-abcdefghijklmnopqrstuvwxyz", "anthropic [REDACTED:api_key]"),
    ("helicone sk-helicone-7aq2b3c4d5e6f7g8h9i0", "helicone [REDACTED:api_key]"),
    ("stripe sk_live_4eC39HqLyjWDarjtT1zdp7dc", "stripe [REDACTED:api_key]"),
    ("aws AKIAIOSFODNN7EXAMPLE", "aws [REDACTED:api_key]"),
    ("gh ghp_0123456789abcdefghijABCDEFGHIJklmnop", "gh [REDACTED:api_key]"),
    ("google AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q", "google [REDACTED:api_key]"),
    ("slack xoxb-123456789012-abcdefghij", "slack [REDACTED:api_key]"),
    ("ours agt_abcdefghij_" + "x" * 43, "ours [REDACTED:api_key]"),
    ("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9P",
     "jwt [REDACTED:api_key]"),
    ("Authorization: Bearer abc.def-ghi_12345", "Authorization: Bearer [REDACTED:token]"),
    ("password: hunter22, next", "password: [REDACTED:secret], next"),
    ('{"api_key": "abcd1234"}', '{"api_key": "[REDACTED:secret]"}'),
    ("AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG", "AWS_SECRET_ACCESS_KEY=[REDACTED:secret]"),
    ("postgresql://app:s3cret@db:5432/x", "postgresql://app:[REDACTED:password]@db:5432/x"),
    ("mail Dana.W+tag@mail.example.co.uk now", "mail [REDACTED:email] now"),
    ("visa 4111 1111 1111 1111.", "visa [REDACTED:card]."),
    ("mc 5500-0000-0000-0004", "mc [REDACTED:card]"),
    ("amex 378282246310005", "amex [REDACTED:card]"),
    ("hf hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567", "hf [REDACTED:api_key]"),
    ("groq gsk_" + "a1B2" * 13, "groq [REDACTED:api_key]"),
    ("helicone pk-helicone-eu-abc1234-def5678-ghi9012-jkl3456", "helicone [REDACTED:api_key]"),
    ("unsigned eyJhbGciOiJub25lIn0.eyJzdWIiOiIxMjM0NTY3ODkwIn0. ok",
     "unsigned [REDACTED:api_key] ok"),
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA+x/y\n-----END RSA PRIVATE KEY-----\nnext",
     "[REDACTED:private_key]\nnext"),
    ("cut -----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU=",
     "cut [REDACTED:private_key]"),
    ("Authorization: Basic dXNlcjpwYXNzd29yZA==", "Authorization: Basic [REDACTED:token]"),
    ('{"authorization": "Token 9944b09199c62bcf9418ad846dd0e4bb"}',
     '{"authorization": "Token [REDACTED:token]"}'),
    ("proxy-authorization=Digest abc123", "proxy-authorization=Digest [REDACTED:token]"),
    ("curl -u via Basic dXNlcjpwYXNz now", "curl -u via Basic [REDACTED:token] now"),
    ("aws wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY end", "aws [REDACTED:aws_secret] end"),
    ("AKIAZ7QXW3RTY6UIOP2L with wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY12",
     "[REDACTED:api_key] with [REDACTED:aws_secret]"),
    ("authToken=abc12345 clientSecret: s3cr3t-value", "authToken=[REDACTED:secret] "
     "clientSecret: [REDACTED:secret]"),
]  # fmt: skip
KEPT = [
    "max_tokens=256 temperature=0.2 tokens: 1234",
    "timestamp 1714567890123 and order 12345678901234",
    "not luhn 4111 1111 1111 1112",
    "phone +1 415 555 2671",
    "version 1.2.3, sk-short",
    "the token budget is spent",
    "user@localhost",
    "uuid 123e4567-e89b-12d3-a456-426614174000",
    "sha1 da39a3ee5e6b4b0d3255bfef95601890afd80709",
    "basic arithmetic and Basic training; authorization required",
    "the token generation took long",
    "no key id: wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY12",
    "path /usr/lib/python3.11/site-packages/agenttrace/redaction.py",
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_masks_secrets_in_text(text: str, expected: str) -> None:
    """Each kind of secret is replaced by a label saying what was there."""
    assert redact_secrets(text) == expected


@pytest.mark.parametrize("text", KEPT)
def test_leaves_ordinary_text_alone(text: str) -> None:
    """Token counts, timestamps, non-Luhn numbers, phone numbers and ids are not secrets."""
    assert redact_secrets(text) == text


def test_walks_bodies_and_masks_secret_named_entries() -> None:
    """Dicts, lists and tuples are walked (copied, never changed in place); entries named
    like secrets are masked whole; card numbers are found in integers too."""
    body = {
        "headers": {"Authorization": "anything", "X-Api-Key": 7, "Content-Type": "json"},
        "client_secret": {"nested": "value"},
        "openai_api_key": "plain",
        "max_tokens": 100,
        "usage": {"prompt_tokens": 3, "token": None},
        "card": 4111111111111111,
        "items": [("a@b.io", 1.5, True)],
        "bob@example.com": "key is an email",
    }
    before = json.dumps(body, default=str)
    assert redact_secrets(body) == {
        "headers": {
            "Authorization": "[REDACTED:secret]",
            "X-Api-Key": "[REDACTED:secret]",
            "Content-Type": "json",
        },
        "client_secret": "[REDACTED:secret]",
        "openai_api_key": "[REDACTED:secret]",
        "max_tokens": 100,
        "usage": {"prompt_tokens": 3, "token": None},
        "card": "[REDACTED:card]",
        "items": [("[REDACTED:email]", 1.5, True)],
        "[REDACTED:email]": "key is an email",
    }
    assert json.dumps(body, default=str) == before


def test_camel_case_names_pairs_and_bytes_are_redacted() -> None:
    """Secret names in camelCase, headers kept as lists of pairs (text or bytes) and bytes
    values are masked; bytes come back as the text the wire would carry."""
    body = {
        "authToken": "t0", "accessToken": "t1", "clientSecret": "t2", "privateKey": "t3",
        "apiKey": "t4", "maxTokens": 256, "inputTokens": 10,
        "headers": [["Authorization", "Basic dXNlcjpwYXNz"], ("Accept", "json"),
                    (b"x-api-key", b"k-123"), ("Cookie", None)],
        "raw": b"Authorization: Bearer sk-proj-Zq8TfV2mK9xLw4Rb7NcYh1Ps",
        "binary": bytearray(b"\xff ok"),
    }  # fmt: skip
    assert redact_secrets(body) == {
        "authToken": "[REDACTED:secret]", "accessToken": "[REDACTED:secret]",
        "clientSecret": "[REDACTED:secret]", "privateKey": "[REDACTED:secret]",
        "apiKey": "[REDACTED:secret]", "maxTokens": 256, "inputTokens": 10,
        "headers": [["Authorization", "[REDACTED:secret]"], ("Accept", "json"),
                    ("x-api-key", "[REDACTED:secret]"), ("Cookie", None)],
        "raw": "Authorization: Bearer [REDACTED:token]",
        "binary": "\ufffd ok",
    }  # fmt: skip


def test_kinds_can_be_chosen_and_patterns_added() -> None:
    """Emails or cards can be kept; extra patterns and keys are masked too."""
    only_keys = SecretRedactor(emails=False, cards=False, extra_patterns=[r"ACME-\d{6}"],
                               extra_keys=["X-Tenant"])  # fmt: skip
    text = "a@b.io 4111111111111111 ACME-123456 sk-abcdefghijklmnopqrstu"
    assert only_keys(text) == "a@b.io 4111111111111111 [REDACTED:custom] [REDACTED:api_key]"
    assert only_keys({"x-tenant": "t1"}) == {"x-tenant": "[REDACTED:secret]"}
    assert SecretRedactor(api_keys=False, emails=False, cards=False)(text) == text


def test_luhn() -> None:
    """The Luhn checksum accepts real test card numbers and rejects a changed digit."""
    assert luhn_valid("4539148803436467")
    assert luhn_valid("79927398713")
    assert not luhn_valid("4539148803436468")


def _aws_secret_shape(text: str) -> bool:
    return (
        any(c.isupper() for c in text)
        and any(c.islower() for c in text)
        and any(c.isdigit() for c in text)
    )


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                max_size=4),
    max_leaves=25,
)  # fmt: skip


def _shape(value: Any) -> Any:
    if isinstance(value, dict):
        return ("dict", len(value))
    if isinstance(value, list | tuple):
        return [_shape(item) for item in value]
    return "leaf"


@settings(max_examples=300, deadline=None, database=None)
@given(json_values)
def test_any_body_keeps_its_shape_and_redacting_twice_changes_nothing(value: Any) -> None:
    """For any JSON body: no exception, lists keep their length, and the result is a fixed
    point (redacting it again changes nothing)."""
    once = redact_secrets(value)
    assert redact_secrets(once) == once
    if isinstance(value, list):
        assert len(once) == len(value)


secrets = st.one_of(
    st.text(string.ascii_letters + string.digits, min_size=24, max_size=40).map(
        lambda s: f"sk-proj-{s}"
    ),
    st.text(string.ascii_lowercase, min_size=1, max_size=12).map(
        lambda s: f"{s}.{s[::-1]}@example.com"
    ),
    st.sampled_from(["4539148803436467", "4539 1488 0343 6467", "5500-0000-0000-0004"]),
    st.text(string.ascii_uppercase + string.digits, min_size=16, max_size=16).map(
        lambda s: f"AKIA{s}"
    ),
    st.text(string.ascii_letters + string.digits + "/+", min_size=40, max_size=40).filter(
        lambda s: _aws_secret_shape(s) and ("/" in s or "+" in s)
    ),
    st.text(string.ascii_letters + string.digits, min_size=40, max_size=40)
    .filter(_aws_secret_shape)
    .map(lambda s: f"AKIAZ7QXW3RTY6UIOP2L / {s}"),
    st.text(string.ascii_letters + string.digits + "/+=", min_size=20, max_size=300).map(
        lambda s: f"-----BEGIN EC PRIVATE KEY-----\n{s}\n-----END EC PRIVATE KEY-----"
    ),
)
surroundings = st.text(st.characters(exclude_categories=("Cs",)), max_size=30).map(
    lambda s: f" {s} "
)


@settings(max_examples=300, deadline=None, database=None)
@given(secrets, surroundings, surroundings)
def test_a_planted_secret_never_survives(secret: str, before: str, after: str) -> None:
    """A secret in any surrounding text (and in a JSON body) is gone after redaction."""
    text = before + secret + after
    assert secret not in redact_secrets(text)
    assert secret not in json.dumps(redact_secrets({"messages": [{"content": text}]}))


PLAIN_TEXT = string.ascii_letters + string.digits + " .,;:!'\"()-_\n"


@settings(max_examples=300, deadline=None, database=None)
@given(
    st.lists(st.text(string.ascii_letters, min_size=1, max_size=12), min_size=1, max_size=30),
    st.uuids(),
    st.binary(min_size=1, max_size=64),
    st.text(PLAIN_TEXT, min_size=30, max_size=30),
)
def test_no_false_aws_secrets(words: list[str], uid: Any, data: bytes, ascii_text: str) -> None:
    """The AWS secret rule masks none of: words (joined by spaces or '/'), UUIDs, hex and
    base64 digests (SHA-1,
    SHA-256), and base64 of 30 characters of ASCII text (40 characters of base64, the
    length of a key) without '>', '?' or '~', as the module's docstring claims."""
    only_aws = SecretRedactor(emails=False, cards=False)
    samples = [
        " ".join(words),
        "/".join(words),
        str(uid),
        uid.hex,
        hashlib.sha1(data).hexdigest(),
        hashlib.sha256(data).hexdigest(),
        base64.b64encode(hashlib.sha1(data).digest()).decode(),
        base64.b64encode(hashlib.sha256(data).digest()).decode(),
        base64.b64encode(ascii_text.encode()).decode(),
    ]
    for sample in samples:
        assert "[REDACTED:aws_secret]" not in only_aws(f"value {sample} end"), sample


def test_public_names() -> None:
    """The module exports the hook, its configurable class and the Luhn check, sorted."""
    assert agenttrace.redaction.__all__ == ["SecretRedactor", "luhn_valid", "redact_secrets"]
