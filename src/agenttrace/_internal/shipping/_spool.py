"""The disk spool: batches that could not be delivered yet, one JSON file per batch.

Layout of ``spool_dir`` (names sort oldest first)::

    <ns>-<pid>-<token>-n<count>.json          ready: a ``{"records": [...]}`` request body
    <ns>-<pid>-<token>-n<count>.claim-<pid>   being sent by process <pid>
    .<ns>-<pid>-<token>-n<count>.tmp          being written by the process in the name

Writes are atomic (temporary file, then `os.replace`). A sender claims a file by renaming
it, which only one process can do, so two processes sharing the directory never send the
same file at the same time. Claims and temporary files whose process is gone (or that are
older than ``stale_after``) are taken back by `Spool.recover`. The directory is bounded by
``max_bytes``: a write that would exceed it is refused and the caller counts the records
as dropped.

Spooled records are as private as the program that made them: the directory, when the
spool creates it, is ``0700`` and every file ``0600`` (whatever the umask).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SPOOL_DIRECTORY_MODE", "SPOOL_FILE_MODE", "Spool", "SpooledBatch", "pid_alive"]

SPOOL_DIRECTORY_MODE = 0o700
"""The mode of the spool directory when the spool creates it."""
SPOOL_FILE_MODE = 0o600
"""The mode of every spool file."""

_STEM = r"(?P<stem>\d{20}-(?P<writer>\d+)-[0-9a-f]{8}-n(?P<count>\d+))"
_READY = re.compile(rf"^{_STEM}\.json$")
_CLAIMED = re.compile(rf"^{_STEM}\.claim-(?P<owner>\d+)$")
_TEMPORARY = re.compile(rf"^\.{_STEM}\.tmp$")


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this machine (assumed alive when unknowable)."""
    if pid == os.getpid():
        return True
    if os.name != "posix":  # os.kill(pid, 0) would terminate the process on Windows
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: it exists, under another user
        return True
    return True


def _write_private(path: Path, body: bytes) -> None:
    """Write ``body`` to the new file ``path``, readable by its owner only."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, SPOOL_FILE_MODE)
    with os.fdopen(descriptor, "wb") as file:
        file.write(body)


@dataclass(frozen=True, slots=True)
class SpooledBatch:
    """A spool file claimed by this process."""

    name: str
    """Its ready name (``....json``), which `Spool.release` restores."""
    path: Path
    """Where it is while claimed."""
    count: int
    """How many records it holds."""
    size: int

    def read(self) -> bytes:
        """The request body."""
        return self.path.read_bytes()


class Spool:
    """A directory of spooled batches, shared safely by threads and processes."""

    def __init__(self, directory: Path, max_bytes: int, *, stale_after: float = 600.0) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        self.stale_after = stale_after
        self._lock = threading.Lock()
        self._used: int | None = None
        self._candidates: list[str] = []
        self._mine: dict[str, int] = {}
        """Files this object wrote, oldest first (name -> record count)."""

    # -- writing -------------------------------------------------------------------------

    def write(self, body: bytes, count: int) -> str | None:
        """Store one batch body; None on success, else why it was refused (full, unwritable)."""
        size = len(body)
        with self._lock:
            if self._used is None or self._used + size > self.max_bytes:
                self._used = self._measure()
            if self._used + size > self.max_bytes:
                return f"full ({self._used} of {self.max_bytes} bytes used)"
            self._used += size
        stem = f"{time.time_ns():020d}-{os.getpid()}-{secrets.token_hex(4)}-n{count}"
        temporary = self.directory / f".{stem}.tmp"
        try:
            self.directory.mkdir(mode=SPOOL_DIRECTORY_MODE, parents=True, exist_ok=True)
            _write_private(temporary, body)
            os.replace(temporary, self.directory / f"{stem}.json")
            with self._lock:
                self._mine[f"{stem}.json"] = count
        except OSError as exc:
            with self._lock:
                self._used -= size
            temporary.unlink(missing_ok=True)
            return f"not writable ({exc})"
        return None

    # -- reading -------------------------------------------------------------------------

    def _entries(self) -> list[os.DirEntry[str]]:
        try:
            with os.scandir(self.directory) as entries:
                return list(entries)
        except FileNotFoundError:
            return []

    def _measure(self) -> int:
        total = 0
        for entry in self._entries():
            if _READY.match(entry.name) or _CLAIMED.match(entry.name):
                try:
                    total += entry.stat().st_size
                except FileNotFoundError:
                    continue
        return total

    def ready_names(self) -> list[str]:
        """Names of the files waiting to be sent, oldest first."""
        return sorted(e.name for e in self._entries() if _READY.match(e.name))

    @staticmethod
    def records_in(names: list[str]) -> int:
        """How many records the spool files ``names`` hold (read from their names)."""
        return sum(int(match["count"]) for name in names if (match := _READY.match(name)))

    def is_ready(self, name: str) -> bool:
        """Whether ``name`` is still waiting to be sent (not sent, not claimed)."""
        return (self.directory / name).exists()

    def mine_ready(self) -> dict[str, int]:
        """The files this object wrote that still wait to be sent (name -> record count)."""
        with self._lock:
            mine = dict(self._mine)
        ready = {name: count for name, count in mine.items() if self.is_ready(name)}
        with self._lock:
            for name in mine.keys() - ready.keys():
                self._mine.pop(name, None)
        return ready

    def used_bytes(self) -> int:
        """Bytes in the spool now (ready and claimed files)."""
        with self._lock:
            self._used = self._measure()
            return self._used

    # -- claiming ------------------------------------------------------------------------

    def claim_next(self, *, mine: bool = False) -> SpooledBatch | None:
        """Claim the oldest ready file (by atomic rename), or None when there is none.

        With ``mine``, only files this object wrote.
        """
        if mine:
            return self._claim_first(list(self.mine_ready())[::-1])
        if self._candidates and (batch := self._claim_first(self._candidates)):
            return batch
        self._candidates = self.ready_names()[::-1]
        return self._claim_first(self._candidates)

    def _claim_first(self, candidates: list[str]) -> SpooledBatch | None:
        """Claim the last name of ``candidates`` that can be claimed, popping as it goes."""
        while candidates:
            name = candidates.pop()
            match = _READY.match(name)
            if match is None:
                continue
            claimed = self.directory / f"{match['stem']}.claim-{os.getpid()}"
            try:
                os.rename(self.directory / name, claimed)
                os.utime(claimed)  # the claim's age starts now, not at the write
                size = claimed.stat().st_size
            except FileNotFoundError:  # another sender was first
                continue
            return SpooledBatch(name, claimed, int(match["count"]), size)
        return None

    def complete(self, batch: SpooledBatch) -> None:
        """The batch was delivered (or refused for good): forget it."""
        batch.path.unlink(missing_ok=True)
        with self._lock:
            self._mine.pop(batch.name, None)
            if self._used is not None:
                self._used = max(self._used - batch.size, 0)

    def release(self, batch: SpooledBatch) -> None:
        """The batch could not be sent now: put it back for later."""
        # FileNotFoundError: reclaimed meanwhile by a process that thought us dead
        with contextlib.suppress(FileNotFoundError):
            os.rename(batch.path, self.directory / batch.name)
        self._candidates.clear()

    def recover(self) -> int:
        """Take back claims and temporary files of dead processes; return how many are ready."""
        now = time.time()
        ready = 0
        for entry in self._entries():
            if _READY.match(entry.name):
                ready += 1
                continue
            claimed = _CLAIMED.match(entry.name)
            temporary = _TEMPORARY.match(entry.name)
            match = claimed or temporary
            if match is None:
                continue
            owner = int(claimed["owner"]) if claimed else int(match["writer"])
            try:
                stale = now - entry.stat().st_mtime > self.stale_after
            except FileNotFoundError:
                continue
            if owner == os.getpid() or (pid_alive(owner) and not stale):
                continue
            try:
                if claimed:
                    os.rename(entry.path, self.directory / f"{claimed['stem']}.json")
                    ready += 1
                else:  # an interrupted write: its body may be incomplete
                    os.unlink(entry.path)
            except FileNotFoundError:
                continue
        with self._lock:
            self._used = self._measure()
        self._candidates.clear()
        return ready
