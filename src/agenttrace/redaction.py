"""A ready-made redaction hook: API keys, tokens, passwords, emails and card numbers masked
in request and response bodies before they leave the process.

>>> import agenttrace
>>> from agenttrace.redaction import redact_secrets
>>> agenttrace.configure(redact=redact_secrets)                      # doctest: +SKIP
>>> redact_secrets({"Authorization": "Bearer sk-abc123def456ghi789jkl0"})
{'Authorization': '[REDACTED:secret]'}
>>> redact_secrets("mail bob@example.com, card 4111 1111 1111 1111, key sk-abc123def456ghi789jkl0")
'mail [REDACTED:email], card [REDACTED:card], key [REDACTED:api_key]'

What it masks, in every string of a body (dicts and lists are walked, keys included):

* API keys and tokens by their form: ``sk-...`` (OpenAI, Anthropic, Helicone and others),
  ``pk-helicone-...``, ``sk_live_...`` / ``pk_...`` / ``rk_...`` (Stripe), AWS access key
  ids (``AKIA...``), GitHub (``ghp_...``, ``github_pat_...``), Google (``AIza...``), Slack
  (``xox?-...``), Hugging Face (``hf_...``), Groq (``gsk_...``), agenttrace (``agt_...``),
  JSON Web Tokens (signed, or unsigned ``header.payload.``), PEM private keys (the whole
  ``-----BEGIN ... PRIVATE KEY-----`` block), the token of any ``Bearer ...``, the
  credentials of ``Authorization: <scheme> ...`` (``Basic``, ``Token``, ...) and of a
  ``Basic ...`` whose base64 decodes to ``user:password``;
* AWS secret access keys standing alone (see below);
* ``key=value`` and ``"key": "value"`` text where the key names a secret (``api_key``,
  ``password``, ``secret``, ``token``, ``authToken``, ``aws_secret_access_key`` ...), and
  passwords in URLs (``https://user:password@host``);
* the whole value of a dict entry whose key names a secret (``Authorization``,
  ``x-api-key``, ``password``, ``client_secret``, ``clientSecret``, ``authToken``,
  ``cookie`` ...; snake_case, kebab-case and camelCase alike), and the value of a
  ``[name, value]`` pair so named (headers kept as a list of pairs);
* email addresses;
* payment card numbers: 13 to 19 digits (spaces or dashes allowed) with a card network's
  prefix that pass the Luhn check, in text or as integers.

``bytes`` (and ``bytearray``) are decoded as UTF-8 (an undecodable byte becomes U+FFFD)
and redacted as text; the result is a ``str``, which is what the wire sends for bytes.

An AWS secret access key is 40 characters of ``A-Z a-z 0-9 / +`` with no name to tell it
apart from other text. Standing alone, such a run of exactly 40 characters (no longer, and
not followed by ``=``) is masked when it holds an upper-case letter, a lower-case letter, a
digit, and a ``/`` or ``+``; when the same text also holds an access key id (``AKIA...``,
``ASIA...``), the ``/`` or ``+`` is not needed. The trade-off: a random key lacks both
``/`` and ``+`` about one time in four, and such a key is masked only beside its key id or
under a secret's name; and a 40-character run of that alphabet with all four kinds of
character is masked even when it is something else, such as a stretch of a path between
two other characters (``.``, ``-``, ``_``, a space ...) that is exactly 40 characters long
and holds capitals, small letters, digits and a ``/``. Words, UUIDs, hex
digests, base64 digests and base64 of ASCII text without ``>``, ``?`` or ``~`` never match
(``tests/privacy/test_redaction.py`` checks each).

`SecretRedactor` chooses among these and adds patterns of your own. Redaction runs in the
client (`agenttrace.configure(redact=...)`), so a masked secret never reaches the
collector. It cannot know every secret format: add yours with ``extra_patterns``.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from typing import Any

__all__ = ["SecretRedactor", "luhn_valid", "redact_secrets"]

_MASK = "[REDACTED:{}]"

_TOKEN_FORMS = "|".join(
    [
        r"\bsk-[A-Za-z0-9][A-Za-z0-9_\-]{19,}",
        r"\b[spr]k_(?:live|test)_[A-Za-z0-9]{10,}",
        r"\b(?:AKIA|ASIA|AIDA|AROA|AGPA|ANPA)[A-Z0-9]{16}\b",
        r"\bgh[pousr]_[A-Za-z0-9]{30,}",
        r"\bgithub_pat_[A-Za-z0-9_]{22,}",
        r"\bAIza[0-9A-Za-z_\-]{35}",
        r"\bxox[abprs]-[A-Za-z0-9\-]{10,}",
        r"\bagt_[a-z0-9]{10}_[A-Za-z0-9_\-]{20,}",
        r"\bpk-helicone-[A-Za-z0-9][A-Za-z0-9\-]{7,}",
        r"\bhf_[A-Za-z0-9]{30,}",
        r"\bgsk_[A-Za-z0-9]{40,}",
        # a JWT, signed (header.payload.signature) or not (header.payload.)
        r"\beyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*",
    ]
)
_SENSITIVE_NAMES = (
    r"api[_\-]?key|apikey|secret(?:[_\-]?key)?|client[_\-]?secret|password|passwd|pwd"
    r"|access[_\-]?token|refresh[_\-]?token|auth[_\-]?token|token|private[_\-]?key"
    r"|access[_\-]?key(?:[_\-]?id)?|secret[_\-]?access[_\-]?key|session[_\-]?token"
)
# Every repetition that can start at many positions is bounded, so that a long run of
# similar characters (a base64 image, "a-a-a-...") costs linear time, not quadratic.
_PATTERNS = {
    "private_key": (
        r"-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY-----"
        r"(?:[\s\S]{0,20000}?-----END [A-Z0-9 ]{0,40}PRIVATE KEY-----|[A-Za-z0-9+/=\s\\]{0,20000})"
    ),
    "authorization": (
        r"(?i:\b(?:proxy[_\-]?)?authorization)(?P<sep>[\"']?\s*[:=]\s*[\"']?)"
        r"(?:(?P<scheme>[A-Za-z][A-Za-z0-9_\-]{0,30})[ \t]+)?(?P<value>[^\s\"'&,;}]{1,4000})"
    ),
    "bearer": r"(?i:\bbearer)\s+[A-Za-z0-9._~+/=\-]{8,}",
    "basic": r"(?i:\bbasic)\s+(?P<value>[A-Za-z0-9+/]{4,4000}={0,2})(?![A-Za-z0-9+/=])",
    "aws_secret": r"(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])",
    "api_key": _TOKEN_FORMS,
    "assignment": (
        r"(?i:" + _SENSITIVE_NAMES + r")"
        r"(?P<sep>[\"']?\s*[:=]\s*[\"']?)(?P<value>[^\s\"'&,;}]{4,})"
    ),
    "url_password": (
        r"(?P<scheme>\b[a-z][a-z0-9+.\-]{0,30}://[^\s:/@]{1,200}:)(?P<password>[^\s/@]{1,200})@"
    ),
    "email": (
        r"\b[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63}){0,8}"
        r"\.[A-Za-z]{2,24}\b"
    ),
    "card": r"(?<![0-9])[0-9](?:[ \-]?[0-9]){12,30}(?![0-9])",
}
# A kind's pattern runs only on text holding one of its triggers (a cheap substring test).
_TRIGGERS: dict[str, tuple[str, ...]] = {
    "url_password": ("://",),
    "private_key": ("PRIVATE KEY-----",),
    "authorization": ("uthorization", "UTHORIZATION"),
    "bearer": ("earer", "EARER"),
    "basic": ("asic", "ASIC"),
    "api_key": (
        "sk-", "k_live_", "k_test_", "AKIA", "ASIA", "AIDA", "AROA", "AGPA", "ANPA", "ghp_",
        "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "AIza", "xox", "agt_", "eyJ",
        "pk-helicone-", "hf_", "gsk_",
    ),
    # every secret key holds "/" or "+", or stands beside its key id (see the docstring)
    "aws_secret": ("/", "+", "AKIA", "ASIA"),
    "assignment": (":", "="),
    "email": ("@",),
    "card": ("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"),
}  # fmt: skip
_SECRET_KEYS = frozenset(
    {
        "authorization",
        "proxy_authorization",
        "helicone_auth",
        "x_api_key",
        "api_key",
        "apikey",
        "api_token",
        "access_token",
        "refresh_token",
        "id_token",
        "auth_token",
        "session_token",
        "token",
        "password",
        "passwd",
        "pwd",
        "secret",
        "secret_key",
        "client_secret",
        "private_key",
        "passphrase",
        "credentials",
        "cookie",
        "set_cookie",
    }
)
_SECRET_KEY_ENDINGS = (
    "_api_key", "_apikey", "_secret", "_password", "_secret_key", "_token", "_private_key",
)  # fmt: skip
_NOT_SECRET_KEYS = frozenset({"max_token", "next_token", "stop_token", "pad_token", "eos_token"})
_CAMEL_HUMP = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SEPARATORS = re.compile(r"([ \-])")
_ACCESS_KEY_ID = re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b")
_CARD_PREFIXES = re.compile(
    r"4|5[1-5]|2(?:2[2-9]|[3-6]\d|7[01]|720)|3[47]|3(?:0[0-5]|[68])|6(?:011|5|4[4-9]|2)|35"
)


def luhn_valid(digits: str) -> bool:
    """Whether ``digits`` (only digits) pass the Luhn checksum of card numbers.

    >>> luhn_valid("4111111111111111"), luhn_valid("4111111111111112")
    (True, False)
    """
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = ord(char) - 48
        if position % 2:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def _is_card(text: str) -> bool:
    digits = text.replace(" ", "").replace("-", "")
    return (
        13 <= len(digits) <= 19 and _CARD_PREFIXES.match(digits) is not None and luhn_valid(digits)
    )


def _card_end(groups: list[str], start: int) -> int | None:
    """The end of the longest run of ``groups`` from ``start`` that is a card number."""
    if _CARD_PREFIXES.match("".join(groups[start : start + 4])) is None:
        return None
    lengths = [0]
    for group in groups[start:]:
        lengths.append(lengths[-1] + len(group))
        if lengths[-1] > 19:
            break
    for count in range(len(lengths) - 1, 0, -1):
        if 13 <= lengths[count] <= 19 and _is_card("".join(groups[start : start + count])):
            return start + count
    return None


def _mask_cards(candidate: str) -> str:
    """``candidate`` (digit groups split by spaces or dashes) with each run of whole groups
    that is a card number masked, longest runs first ("4111 1111 1111 1111 123": the
    card, then a CVV left as it is)."""
    parts = _SEPARATORS.split(candidate)
    groups, separators = parts[0::2], parts[1::2]
    pieces: list[str] = []
    start = 0
    while start < len(groups):
        end = _card_end(groups, start)
        if end is None:
            pieces.append(groups[start])
            end = start + 1
        else:
            pieces.append(_MASK.format("card"))
        if end < len(groups):
            pieces.append(separators[end - 1])
        start = end
    return "".join(pieces)


def _key_name(key: str) -> str:
    """``key`` in snake_case: ``X-Api-Key``, ``x_api_key`` and ``xApiKey`` alike."""
    return _CAMEL_HUMP.sub("_", key.strip()).lower().replace("-", "_").replace(" ", "_")


def _secret_key(key: str) -> bool:
    name = _key_name(key)
    if name in _NOT_SECRET_KEYS:
        return False
    return name in _SECRET_KEYS or name.endswith(_SECRET_KEY_ENDINGS)


def _is_aws_secret(candidate: str, beside_key_id: bool) -> bool:
    """Whether a standalone 40-character run looks like an AWS secret access key."""
    kinds = (
        any(c.isupper() for c in candidate),
        any(c.islower() for c in candidate),
        any(c.isdigit() for c in candidate),
        beside_key_id or "/" in candidate or "+" in candidate,
    )
    return all(kinds)


def _is_basic_credentials(value: str) -> bool:
    """Whether ``value`` is base64 of ``user:password`` (HTTP Basic credentials)."""
    if len(value) % 4:
        return False
    try:
        decoded = base64.b64decode(value, validate=True)
    except ValueError:
        return False
    return b":" in decoded


def _value_masked(match: re.Match[str], label: str) -> str:
    """The match with its ``value`` group replaced by a mask (the name before it kept)."""
    whole, value = match.group(0), match.group("value")
    if value.startswith("[REDACTED:"):
        return whole
    return whole[: len(whole) - len(value)] + _MASK.format(label)


def _masked_basic(match: re.Match[str]) -> str:
    if not _is_basic_credentials(match.group("value")):
        return match.group(0)
    return _value_masked(match, "token")


def _masked_aws_secret(match: re.Match[str], original: str) -> str:
    beside_key_id = _ACCESS_KEY_ID.search(original) is not None
    if not _is_aws_secret(match.group(0), beside_key_id):
        return match.group(0)
    return _MASK.format("aws_secret")


_REPLACERS: dict[str, Callable[[re.Match[str], str], str]] = {
    "card": lambda match, _: _mask_cards(match.group(0)),
    "authorization": lambda match, _: _value_masked(match, "token"),
    "basic": lambda match, _: _masked_basic(match),
    "aws_secret": _masked_aws_secret,
    "bearer": lambda match, _: match.group(0).split(None, 1)[0] + " " + _MASK.format("token"),
    "assignment": lambda match, _: _value_masked(match, "secret"),
    "url_password": lambda match, _: match.group("scheme") + _MASK.format("password") + "@",
}


def _replace(kind: str, original: str, match: re.Match[str]) -> str:
    """What a match of ``kind`` becomes (``original``: the text before any pass)."""
    replacer = _REPLACERS.get(kind)
    return _MASK.format(kind) if replacer is None else replacer(match, original)


class SecretRedactor:
    """A redaction hook (``agenttrace.configure(redact=SecretRedactor(...))``).

    Each kind can be turned off: ``api_keys`` (key and token forms, ``Bearer`` tokens,
    ``key=value`` secrets, URL passwords and dict entries named like secrets), ``emails``,
    ``cards``. ``extra_patterns`` are regular expressions masked as ``[REDACTED:custom]``;
    ``extra_keys`` are more dict keys whose values are always masked (any case, ``-`` and
    ``_`` alike).
    """

    def __init__(
        self,
        *,
        api_keys: bool = True,
        emails: bool = True,
        cards: bool = True,
        extra_patterns: Iterable[str | re.Pattern[str]] = (),
        extra_keys: Iterable[str] = (),
    ) -> None:
        kinds = []
        if api_keys:
            kinds += ["url_password", "private_key", "authorization", "bearer", "basic"]
            kinds += ["api_key", "aws_secret", "assignment"]
        if emails:
            kinds.append("email")
        if cards:
            kinds.append("card")
        self._passes: list[tuple[str, re.Pattern[str], re.Pattern[str] | None]] = [
            (
                kind,
                re.compile(_PATTERNS[kind]),
                re.compile("|".join(re.escape(t) for t in _TRIGGERS[kind])),
            )
            for kind in kinds
        ]
        # one search for every trigger first: most text holds none, and is done at once
        triggers = sorted({t for kind in kinds for t in _TRIGGERS[kind]}, key=len, reverse=True)
        self._any_trigger = re.compile("|".join(re.escape(t) for t in triggers) or "(?!)")
        self._passes += [
            ("custom", pattern if isinstance(pattern, re.Pattern) else re.compile(pattern), None)
            for pattern in extra_patterns
        ]
        self._always = any(kind == "custom" for kind, _, _ in self._passes)
        self._keys = api_keys
        self._cards = cards
        self._extra_keys = frozenset(_key_name(key) for key in extra_keys)

    def __call__(self, value: Any) -> Any:
        """``value`` with secrets masked; containers are copied, never changed in place."""
        return self._walk(value, 0)

    def text(self, text: str) -> str:
        """``text`` with secrets masked."""
        if not self._always and not self._any_trigger.search(text):
            return text
        original = text
        for kind, pattern, trigger in self._passes:
            # the AWS pass looks for key ids in the original text: an earlier pass masks them
            seen = original if kind == "aws_secret" else text
            if text and (trigger is None or trigger.search(seen)):
                text = pattern.sub(partial(_replace, kind, original), text)
        return text

    def pair(self, name: str, value: str) -> tuple[str, str]:
        """A named text (a header, a property) with secrets masked: the value whole when
        ``name`` names a secret, as for a dict entry."""
        if value is not None and self._masks_key(name):
            return self.text(name), _MASK.format("secret")
        return self.text(name), self.text(value)

    def _masks_key(self, key: object) -> bool:
        if isinstance(key, bytes | bytearray):
            key = _decoded(key)
        if not isinstance(key, str):
            return False
        if self._keys and _secret_key(key):
            return True
        return _key_name(key) in self._extra_keys

    def _walk(self, value: Any, depth: int) -> Any:
        if isinstance(value, str | bytes | bytearray):
            return self.text(value if isinstance(value, str) else _decoded(value))
        if depth > 200:  # deeper than any real body: mask rather than recurse further
            return _MASK.format("too_deep")
        if isinstance(value, Mapping):
            return {
                self._walk(key, depth + 1) if isinstance(key, str | bytes) else key: (
                    _MASK.format("secret")
                    if self._masks_key(key) and item is not None
                    else self._walk(item, depth + 1)
                )
                for key, item in value.items()
            }
        if isinstance(value, list | tuple):
            if len(value) == 2 and value[1] is not None and self._masks_key(value[0]):
                # a named pair, as headers kept as [(name, value), ...]
                walked = [self._walk(value[0], depth + 1), _MASK.format("secret")]
            else:
                walked = [self._walk(item, depth + 1) for item in value]
            return walked if isinstance(value, list) else tuple(walked)
        if (
            self._cards
            and isinstance(value, int)
            and not isinstance(value, bool)
            and _is_card(str(value))
        ):
            return _MASK.format("card")
        return value


def _decoded(value: bytes | bytearray) -> str:
    """Bytes as the wire sends them: UTF-8 text (an undecodable byte becomes U+FFFD)."""
    return bytes(value).decode("utf-8", "replace")


_DEFAULT = SecretRedactor()


def redact_secrets(value: Any) -> Any:
    """``value`` (a body: dicts, lists, strings ...) with API keys, tokens, passwords,
    emails and card numbers masked; use as ``agenttrace.configure(redact=redact_secrets)``."""
    return _DEFAULT(value)
