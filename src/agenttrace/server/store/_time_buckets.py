"""Time buckets in the caller's time zone: a minute, an hour or a day of local wall time.

The database numbers each request's local bucket itself: ``(start + offset) / unit`` in
whole microseconds, with the zone's UTC offset at that instant written as a ``CASE`` over
the offset changes between the first and the last request (`Bucketing.number_sql`; a
few a year), so it groups by the local bucket directly. `Bucketing.bucket_start` turns a
bucket number back into the bucket's first instant. Day buckets therefore follow DST: in
``Europe/Lisbon`` the day of the spring change is 23 hours long and the autumn one 25, and
each starts at local midnight. An hour bucket in a zone whose offset is not whole hours
(``Asia/Kolkata``, +05:30) starts at the local full hour.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from agenttrace.server.store.base import InvalidQueryError

__all__ = ["BucketUnit", "Bucketing", "time_zone"]

_US = 1_000_000


class BucketUnit(StrEnum):
    """How long a time bucket is, in local wall time."""

    MINUTE = "minute"
    HOUR = "hour"
    DAY = "day"


_SLOT_SECONDS = {BucketUnit.MINUTE: 60, BucketUnit.HOUR: 900, BucketUnit.DAY: 900}
_NOMINAL_SECONDS = {BucketUnit.MINUTE: 60, BucketUnit.HOUR: 3600, BucketUnit.DAY: 86400}


def time_zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name`` (``UTC``, ``Europe/Lisbon``); `InvalidQueryError` for an
    unknown one."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        msg = (
            f"tz={name!r} is not a time zone this collector knows; pass an IANA name such as "
            "UTC, Europe/Lisbon or America/New_York"
        )
        raise InvalidQueryError(msg) from None


@dataclass(slots=True)
class Bucketing:
    """Local buckets of one unit in one zone, with bucket starts cached by number."""

    unit: BucketUnit
    zone: ZoneInfo
    _cache: dict[int, datetime] = field(default_factory=dict)

    def nominal_count(self, since: datetime, until: datetime) -> int:
        """About how many buckets ``since`` to ``until`` spans (for the limit check)."""
        seconds = max(0.0, (until - since).total_seconds())
        return int(seconds // _NOMINAL_SECONDS[self.unit]) + 1

    def _wall(self, moment: datetime) -> datetime:
        """The local wall time at which ``moment``'s bucket starts (naive)."""
        local = moment.astimezone(self.zone).replace(tzinfo=None)
        if self.unit is BucketUnit.MINUTE:
            return local.replace(second=0, microsecond=0)
        if self.unit is BucketUnit.HOUR:
            return local.replace(minute=0, second=0, microsecond=0)
        return local.replace(hour=0, minute=0, second=0, microsecond=0)

    def _aligned(self, moment: datetime) -> datetime:
        step = _SLOT_SECONDS[self.unit]
        seconds = int(moment.timestamp()) // step * step
        return datetime.fromtimestamp(seconds, UTC)

    def floor(self, moment: datetime) -> datetime:
        """The start of the local bucket holding ``moment`` (aware, in the zone): the
        earliest step boundary (a minute, or a quarter hour: every UTC offset and change
        since 1970 falls on one) whose local bucket is ``moment``'s."""
        step = timedelta(seconds=_SLOT_SECONDS[self.unit])
        key = self._wall(moment)
        probe = self._aligned(key.replace(tzinfo=self.zone, fold=0).astimezone(UTC))
        probe = min(probe, self._aligned(moment))
        while self._wall(probe) != key:  # before the bucket (a skipped wall time)
            probe += step
        while self._wall(probe - step) == key:  # an ambiguous start: go to the first
            probe -= step
        return probe.astimezone(self.zone)

    @property
    def unit_us(self) -> int:
        """The nominal length of a bucket in microseconds."""
        return _NOMINAL_SECONDS[self.unit] * _US

    def _offset_us(self, moment_us: int) -> int:
        moment = datetime.fromtimestamp(moment_us / _US, UTC)
        offset = moment.astimezone(self.zone).utcoffset()
        return int(offset.total_seconds()) * _US if offset is not None else 0

    def offset_segments(self, low_us: int, high_us: int) -> list[tuple[int, int]]:
        """``(first instant, UTC offset)`` of each stretch of one offset from ``low_us`` to
        ``high_us`` (microseconds), found by stepping a day at a time and bisecting each
        change to the microsecond."""
        day = 86400 * _US
        segments = [(low_us, self._offset_us(low_us))]
        probe = low_us
        while probe < high_us:
            following = min(probe + day, high_us)
            if self._offset_us(following) != segments[-1][1]:
                before, after = probe, following  # the change is in (before, after]
                while after - before > 1:
                    middle = (before + after) // 2
                    if self._offset_us(middle) == segments[-1][1]:
                        before = middle
                    else:
                        after = middle
                segments.append((after, self._offset_us(after)))
            probe = following
        return segments

    def number_sql(self, column: str, low_us: int, high_us: int) -> tuple[str, list[int]]:
        """SQL numbering the local bucket of the time ``column`` (microseconds) for times
        from ``low_us`` to ``high_us``, and its parameters."""
        segments = self.offset_segments(low_us, high_us)
        unit = self.unit_us
        if len(segments) == 1:
            return f"(({column} + ?) / {unit})", [segments[0][1]]
        parts, params = [], []
        for (_, offset), (next_start, _) in pairwise(segments):
            parts.append(f"WHEN {column} < ? THEN ({column} + ?) / {unit}")
            params += [next_start, offset]
        params.append(segments[-1][1])
        return f"(CASE {' '.join(parts)} ELSE ({column} + ?) / {unit} END)", params

    def bucket_start(self, number: int) -> datetime:
        """The first instant of the local bucket numbered ``number`` (see `number_sql`)."""
        found = self._cache.get(number)
        if found is None:
            wall = datetime(1970, 1, 1) + timedelta(microseconds=number * self.unit_us)
            found = self._cache[number] = self.floor(wall.replace(tzinfo=self.zone, fold=0))
        return found

    def end_of(self, start: datetime) -> datetime:
        """The start of the bucket after the one starting at ``start`` (23 or 25 hours
        later for a day of a DST change)."""
        step = timedelta(seconds=_SLOT_SECONDS[self.unit])
        key = self._wall(start)
        probe = start.astimezone(UTC) + timedelta(seconds=_NOMINAL_SECONDS[self.unit])
        while self._wall(probe) == key:
            probe += step
        while self._wall(probe - step) != key:
            probe -= step
        return probe.astimezone(self.zone)
