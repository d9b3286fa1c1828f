"""Who a request is: the project of its API key, within the key's rate limit.

* While no API key was ever created (and the collector may run open, see `serve`), every
  request acts on the open project (``"default"``) and credentials are ignored, so that
  code written for Helicone, which sends its own key, runs unchanged.
* Once a key exists, every query and ingest request needs one: ``Authorization: Bearer
  <key>`` or ``Helicone-Auth: Bearer <key>``. A missing, unknown or revoked key gets 401
  with a sentence saying what to do; a key over its rate limit gets 429 with
  ``Retry-After``. The request then sees only its key's project.
* The rate limit is counted in records (`agenttrace.server._rate_limit`): an ingest batch
  costs its number of records (an OTLP export its number of spans), anything else one.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from dataclasses import dataclass

from fastapi import HTTPException

from agenttrace.server._rate_limit import RateLimiter
from agenttrace.server.store.api_keys import KEY_PREFIX, ApiKey, KeyStore, parse_key

__all__ = ["AUTH_HEADERS", "Access", "Grant", "presented_key"]

AUTH_HEADERS = ("helicone-auth", "authorization")
"""Where a key is looked for: Helicone's own header first, then the standard one."""

_BEARER = "bearer"
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="agenttrace"'}
_CREATE = "create one with `agenttrace keys create --project NAME`"


def presented_key(headers: Mapping[str, str]) -> str | None:
    """The API key a request carries, or None.

    ``Bearer`` (any case) is optional. When both headers hold a key, the one that has the
    form of an agenttrace key wins (``Authorization`` may hold a model provider's key).
    """
    candidates = []
    for name in AUTH_HEADERS:
        value = headers.get(name)
        if value is None:
            continue
        value = value.strip()
        scheme, _, rest = value.partition(" ")
        if scheme.lower() == _BEARER:
            value = rest.strip()
        if value:
            candidates.append(value)
    for candidate in candidates:
        if parse_key(candidate) is not None:
            return candidate
    return candidates[0] if candidates else None


def _shown(key: str) -> str:
    """A key as it may appear in a message or a log: its public id only."""
    key_id = parse_key(key)
    if key_id is not None:
        return f"{KEY_PREFIX}{key_id}_..."
    return "the key sent" if not key.startswith(KEY_PREFIX) else f"{key[:8]}..."


@dataclass(frozen=True, slots=True)
class Grant:
    """What a request may do: act on ``project_id``, as ``key`` (None when running open)."""

    project_id: str
    key: ApiKey | None = None


def _denied(message: str) -> HTTPException:
    return HTTPException(status_code=401, detail=message, headers=_CHALLENGE)


class Access:
    """Resolves requests to projects (`Grant`); thread-safe."""

    def __init__(
        self,
        keys: KeyStore | None,
        *,
        open_project: str,
        allow_open: bool = True,
        limiter: RateLimiter | None = None,
    ) -> None:
        """``keys``: where keys are looked up (None: no keys, ever). ``allow_open``: serve
        requests without a key while no key exists. ``limiter``: per-key rate limit."""
        self.keys = keys
        self.open_project = open_project
        self.allow_open = allow_open
        self.limiter = limiter
        self._keys_exist = False
        self._lock = threading.Lock()

    @property
    def keys_seen(self) -> bool:
        """Whether a key was seen to exist (keys are then required for good); no store call."""
        return self._keys_exist

    def keys_required(self) -> bool:
        """Whether requests need a key: once one key exists, for good."""
        if self._keys_exist:
            return True
        if self.keys is not None and self.keys.has_keys():
            with self._lock:
                self._keys_exist = True
            return True
        return not self.allow_open

    def grant(self, headers: Mapping[str, str], *, charge: bool = True) -> Grant:
        """The grant of a request with these headers; HTTPException 401 or 429 if none.

        The request costs one token of its key's rate limit; with ``charge=False`` (an
        ingest batch, which `charge` bills per record once parsed) it takes none but is
        refused when the bucket does not hold one.
        """
        if not self.keys_required():
            return Grant(self.open_project)
        key = presented_key(headers)
        if self.keys is None or not self._keys_exist:
            raise _denied(
                "this collector accepts requests with an API key only, and none exists "
                f"yet; {_CREATE}, then send it as `Authorization: Bearer <key>`"
            )
        if key is None:
            raise _denied(
                "this collector needs an API key: send `Authorization: Bearer <key>` (or "
                f"`Helicone-Auth: Bearer <key>`); set AGENTTRACE_API_KEY, or {_CREATE}"
            )
        found = self.keys.lookup(key)
        if found is None:
            raise _denied(
                f"{_shown(key)} is not an API key of this collector; check AGENTTRACE_API_KEY "
                f"or {_CREATE}"
            )
        if not found.active:
            raise _denied(
                f"the API key {found.display} was revoked; use another key of project "
                f"{found.project_id!r} or {_CREATE}"
            )
        if self.limiter is not None:
            key_id = found.key_id
            wait = self.limiter.acquire(key_id) if charge else self.limiter.available_in(key_id)
            if wait > 0:
                raise self._over_limit(found, wait)
        return Grant(found.project_id, found)

    def charge(
        self, grant: Grant, records: int, *, refuse: bool = True, unit: str = "records"
    ) -> None:
        """Take ``records`` tokens (at least one) from the bucket of ``grant``'s key: an
        ingest batch, counted once it is parsed (an OTLP export by its spans: ``unit``
        names what is counted, for the 429's sentence). HTTPException 429 with Retry-After
        when the bucket does not hold them (nothing is taken then); with ``refuse=False``
        (a batch that could not be parsed: the work is done) they are taken all the same.
        Nothing to do when running open."""
        if self.limiter is None or grant.key is None:
            return
        cost = max(records, 1)
        if not refuse:
            self.limiter.take(grant.key.key_id, cost)
            return
        wait = self.limiter.acquire(grant.key.key_id, cost)
        if wait > 0:
            raise self._over_limit(grant.key, wait, f"{records} {unit}")

    def _over_limit(self, key: ApiKey, wait: float, batch_size: str | None = None) -> HTTPException:
        assert self.limiter is not None
        seconds = max(1, math.ceil(wait))
        batch = ""
        if batch_size is not None:
            batch = f" (this batch holds {batch_size}; smaller batches pass sooner)"
        return HTTPException(
            status_code=429,
            detail=(
                f"the API key {key.display} is over its rate limit of "
                f"{self.limiter.describe()}{batch}; retry in {seconds} s"
            ),
            headers={"Retry-After": str(seconds)},
        )
