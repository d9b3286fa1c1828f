"""Signed webhooks: how the collector signs an alert and how a receiver checks it.

Every delivery is a ``POST`` of a JSON body with these headers::

    X-Agenttrace-Event-Id: <event id>          (the same on every retry of one event)
    X-Agenttrace-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>

where ``v1`` is ``HMAC-SHA256(secret, f"{t}." + body)`` over the raw body bytes, keyed with
the rule's ``webhook_secret`` (shown once, when the rule is created). A receiver:

1. recomputes the HMAC over the timestamp, a dot and the body exactly as received, and
   compares it in constant time (`hmac.compare_digest`);
2. rejects a timestamp more than five minutes from its clock (a replayed old delivery);
3. remembers the event ids it has handled for those five minutes and ignores a repeat
   (a retry after a lost answer, or a replay within the tolerance).

`verify_signature` does 1 and 2 (``python -c "from agenttrace.server.alerts import
verify_signature"``). Answer 2xx once the event is taken; any other answer, or none within
the timeout, makes the collector retry with backoff.
"""

from __future__ import annotations

import hashlib
import hmac
import time

__all__ = [
    "EVENT_HEADER",
    "SIGNATURE_HEADER",
    "TOLERANCE_S",
    "WebhookSignatureError",
    "sign",
    "verify_signature",
]

SIGNATURE_HEADER = "X-Agenttrace-Signature"
EVENT_HEADER = "X-Agenttrace-Event-Id"
TOLERANCE_S = 300
"""How far (seconds) a delivery's timestamp may be from the receiver's clock."""


class WebhookSignatureError(ValueError):
    """A delivery whose signature does not check out; the message says why."""


def _mac(secret: str, timestamp: int, body: bytes) -> str:
    signed = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The ``X-Agenttrace-Signature`` value of ``body`` sent at ``timestamp`` (now)."""
    when = int(time.time()) if timestamp is None else timestamp
    return f"t={when},v1={_mac(secret, when, body)}"


def verify_signature(
    secret: str,
    header: str | None,
    body: bytes,
    *,
    tolerance_s: float = TOLERANCE_S,
    now: float | None = None,
) -> int:
    """Check a delivery; return its timestamp. `WebhookSignatureError` when the header is
    missing or malformed, the HMAC differs, or the timestamp is outside ``tolerance_s``."""
    if not header:
        msg = f"no {SIGNATURE_HEADER} header"
        raise WebhookSignatureError(msg)
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    stamp, given = parts.get("t", ""), parts.get("v1", "")
    if not stamp.isdigit() or not given:
        msg = f"{SIGNATURE_HEADER} must read t=<unix seconds>,v1=<hex>; got {header!r}"
        raise WebhookSignatureError(msg)
    timestamp = int(stamp)
    if not hmac.compare_digest(_mac(secret, timestamp, body), given):
        msg = "the signature does not match the body (wrong secret, or the body was changed)"
        raise WebhookSignatureError(msg)
    clock = time.time() if now is None else now
    if abs(clock - timestamp) > tolerance_s:
        msg = f"the timestamp is {abs(clock - timestamp):.0f} s away (a replay?); refused"
        raise WebhookSignatureError(msg)
    return timestamp
