"""API keys and the projects they open, kept in the collector's own database.

A key looks like ``agt_<key id>_<secret>``: ``agt_`` marks it as an agenttrace key, the key
id (10 lowercase letters and digits) is public (``agenttrace keys list`` shows it, and
``keys revoke`` takes it), the secret is 32 random bytes (base64url). Only the SHA-256 of the
whole key is stored: a 256-bit random secret needs no slow hash, and the database alone
never gives a working key. A presented key is looked up by its id and its hash compared in
constant time (`hmac.compare_digest`).

Every key belongs to one project; the collector scopes each request to the project of its
key. `SqlKeyStore` works on every SQL backend (the ``api_keys`` table comes with schema
migration 2).
"""

# ruff: noqa: S608 - SQL is assembled from fixed fragments; values are always bound

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from agenttrace.exceptions import UserError
from agenttrace.server.store._table_access import TableAccess
from agenttrace.server.store.dialect import from_us

__all__ = [
    "KEY_PREFIX",
    "ApiKey",
    "KeyStore",
    "NewKey",
    "SqlKeyStore",
    "UnknownKeyError",
    "check_project_name",
    "hash_key",
    "parse_key",
]

KEY_PREFIX = "agt_"
_ID_ALPHABET = string.ascii_lowercase + string.digits
_ID_LENGTH = 10
_SECRET_BYTES = 32
_KEY_FORM = re.compile(r"agt_([a-z0-9]{10})_([A-Za-z0-9_-]{43})")
_PROJECT_FORM = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_NAME_MAX = 200
_DUMMY_HASH = hashlib.sha256(b"agenttrace: no such key").hexdigest()
_COLUMNS = "key_id, project_id, name, key_hash, created_us, revoked_us"


class UnknownKeyError(UserError):
    """No key has that id."""


def check_project_name(project_id: str) -> str:
    """``project_id`` if it is a valid project name, else a `UserError` saying the form."""
    if not isinstance(project_id, str) or not _PROJECT_FORM.fullmatch(project_id):
        msg = (
            f"{project_id!r} is not a valid project name; use 1 to 64 letters, digits, '.', "
            "'_' or '-', starting with a letter or digit"
        )
        raise UserError(msg)
    return project_id


def hash_key(key: str) -> str:
    """The stored form of ``key``: its SHA-256, in hex."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def parse_key(key: str) -> str | None:
    """The key id of ``key`` when it has the form of an agenttrace key, else None."""
    match = _KEY_FORM.fullmatch(key)
    return match.group(1) if match else None


def _new_key() -> tuple[str, str]:
    key_id = "".join(secrets.choice(_ID_ALPHABET) for _ in range(_ID_LENGTH))
    return key_id, f"{KEY_PREFIX}{key_id}_{secrets.token_urlsafe(_SECRET_BYTES)}"


@dataclass(frozen=True, slots=True)
class ApiKey:
    """What is known about a key besides its secret."""

    key_id: str
    project_id: str
    name: str | None
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        """True until the key is revoked."""
        return self.revoked_at is None

    @property
    def display(self) -> str:
        """The key's public start, as shown in lists and messages: ``agt_<id>_...``."""
        return f"{KEY_PREFIX}{self.key_id}_..."


@dataclass(frozen=True, slots=True)
class NewKey:
    """A key just created: ``secret`` is the whole key, shown once and never stored."""

    key: ApiKey
    secret: str


class KeyStore(Protocol):
    """Where the collector looks API keys up. Implementations are thread-safe."""

    def create_key(self, project_id: str, name: str | None = None) -> NewKey:
        """A new active key for ``project_id``."""
        ...

    def list_keys(self, project_id: str | None = None) -> list[ApiKey]:
        """Every key (revoked ones too), of one project or of all, oldest first."""
        ...

    def revoke_key(self, key_id: str) -> ApiKey:
        """Revoke the key with this id (or this whole key); `UnknownKeyError` if none."""
        ...

    def lookup(self, key: str) -> ApiKey | None:
        """The key whose whole secret is ``key``, revoked or not (check `ApiKey.active`);
        None when it is not a key of this store."""
        ...

    def has_keys(self) -> bool:
        """Whether any key was ever created (a revoked key counts: once keys exist, the
        collector never goes back to running open)."""
        ...


def _api_key(row: tuple[object, ...]) -> ApiKey:
    key_id, project_id, name, _, created_us, revoked_us = row
    return ApiKey(
        key_id=str(key_id),
        project_id=str(project_id),
        name=None if name is None else str(name),
        created_at=from_us(int(str(created_us))),
        revoked_at=None if revoked_us is None else from_us(int(str(revoked_us))),
    )


def _now_us() -> int:
    return time.time_ns() // 1000


class SqlKeyStore(TableAccess):
    """API keys in the ``api_keys`` table of a SQL store (`SqlStore.key_store`)."""

    def create_key(self, project_id: str, name: str | None = None) -> NewKey:
        """A new active key for ``project_id`` (its secret is in the answer only)."""
        check_project_name(project_id)
        if name is not None and len(name) > _NAME_MAX:
            msg = f"a key name has at most {_NAME_MAX} characters; got {len(name)}"
            raise UserError(msg)
        created_us = _now_us()
        with self._write() as conn:
            while True:  # a clash of random 10-character ids is all but impossible
                key_id, secret = _new_key()
                taken = self._rows(conn, "SELECT 1 FROM api_keys WHERE key_id = ?", [key_id])
                if not taken:
                    break
            conn.execute(
                self._dialect.sql(
                    f"INSERT INTO api_keys ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, NULL)"
                ),
                [key_id, project_id, name, hash_key(secret), created_us],
            )
        key = ApiKey(key_id, project_id, name, from_us(created_us))
        return NewKey(key=key, secret=secret)

    def list_keys(self, project_id: str | None = None) -> list[ApiKey]:
        """Every key, of ``project_id`` or of all projects, oldest first."""
        where, params = ("WHERE project_id = ? ", [project_id]) if project_id else ("", [])
        with self._read() as conn:
            rows = self._rows(
                conn,
                f"SELECT {_COLUMNS} FROM api_keys {where}ORDER BY created_us, key_id",
                list(params),
            )
        return [_api_key(row) for row in rows]

    def revoke_key(self, key_id: str) -> ApiKey:
        """Revoke a key, named by its id, its display form (``agt_<id>_...``) or the whole
        key. Revoking a revoked key changes nothing."""
        wanted = _key_id_from(key_id)
        with self._write() as conn:
            conn.execute(
                self._dialect.sql(
                    "UPDATE api_keys SET revoked_us = ? WHERE key_id = ? AND revoked_us IS NULL"
                ),
                [_now_us(), wanted],
            )
            rows = self._rows(conn, f"SELECT {_COLUMNS} FROM api_keys WHERE key_id = ?", [wanted])
        if not rows:
            msg = f"there is no API key {key_id!r}; see the keys with `agenttrace keys list`"
            raise UnknownKeyError(msg)
        return _api_key(rows[0])

    def lookup(self, key: str) -> ApiKey | None:
        """The key whose whole secret is ``key`` (revoked too), or None; the hashes are
        compared in constant time."""
        key_id = parse_key(key)
        row = None
        if key_id is not None:
            with self._read() as conn:
                found = self._rows(
                    conn, f"SELECT {_COLUMNS} FROM api_keys WHERE key_id = ?", [key_id]
                )
            row = found[0] if found else None
        stored = str(row[3]) if row is not None else _DUMMY_HASH
        matches = hmac.compare_digest(stored.encode(), hash_key(key).encode())
        return _api_key(row) if row is not None and matches else None

    def has_keys(self) -> bool:
        """Whether the table holds any key, revoked or not."""
        with self._read() as conn:
            return bool(self._rows(conn, "SELECT 1 FROM api_keys LIMIT 1", []))


def _key_id_from(text: str) -> str:
    """The key id in ``text``: a bare id, ``agt_<id>_...`` or a whole key."""
    candidate = text.strip()
    if candidate.startswith(KEY_PREFIX):
        candidate = candidate[len(KEY_PREFIX) :].split("_", 1)[0]
    return candidate
