"""What a database URL (``--database``, ``AGENTTRACE_DATABASE_URL``) names.

Two forms are accepted, and nothing else is guessed at:

* SQLite: ``sqlite:///relative/path.db``, ``sqlite:////absolute/path.db``, or a value that
  looks like a file path (it has a ``/``, starts with ``~`` or ``.``, or ends in ``.db``,
  ``.sqlite``, ``.sqlite3`` or ``.db3``);
* PostgreSQL: ``postgresql://user:password@host:5432/database`` (also ``postgres://`` and
  SQLAlchemy's ``postgresql+psycopg://``).

So ``--database "not a url"`` is refused, where it once became a SQLite file of that name
in the current directory.
"""

from __future__ import annotations

from pathlib import Path, PurePath

from agenttrace.exceptions import ConfigurationError

__all__ = ["ACCEPTED_FORMS", "POSTGRES_PREFIXES", "SQLITE_PREFIX", "sqlite_file"]

SQLITE_PREFIX = "sqlite:///"
POSTGRES_PREFIXES = ("postgresql://", "postgres://", "postgresql+psycopg://")
ACCEPTED_FORMS = (
    "use sqlite:///path/to/agenttrace.db (or a file path such as ./agenttrace.db) for "
    "SQLite, or postgresql://user:password@host:5432/database for PostgreSQL"
)
_SQLITE_SUFFIXES = frozenset({".db", ".sqlite", ".sqlite3", ".db3"})


def _looks_like_a_path(text: str) -> bool:
    return (
        "/" in text
        or "\\" in text
        or text.startswith(("~", "."))
        or PurePath(text).suffix.lower() in _SQLITE_SUFFIXES
    )


def sqlite_file(database_url: str) -> Path | None:
    """The SQLite file ``database_url`` names (``~`` expanded, relative paths left
    relative), or None for a PostgreSQL URL.

    Anything else raises `ConfigurationError` naming both accepted forms.
    """
    url = database_url.strip()
    if url.startswith(POSTGRES_PREFIXES):
        return None
    if url.startswith(SQLITE_PREFIX):
        path = url[len(SQLITE_PREFIX) :]
        if not path:
            msg = f"{database_url!r} names no file; use sqlite:///path/to/agenttrace.db"
            raise ConfigurationError(msg)
        return Path(path).expanduser()
    if url.lower().startswith("sqlite:"):
        msg = (
            f"{database_url!r} is not a SQLite URL agenttrace reads: write sqlite:/// and then "
            "the path (sqlite:///agenttrace.db for a file in the current directory, "
            "sqlite:////var/lib/agenttrace.db for an absolute path)"
        )
        raise ConfigurationError(msg)
    if "://" in url or not url:
        msg = f"unsupported database URL {database_url!r}; {ACCEPTED_FORMS}"
        raise ConfigurationError(msg)
    if _looks_like_a_path(url):
        return Path(url).expanduser()
    msg = f"{database_url!r} is neither a database URL nor a file path; {ACCEPTED_FORMS}"
    raise ConfigurationError(msg)
