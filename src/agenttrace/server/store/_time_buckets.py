"""Time buckets in the caller's time zone: a minute, an hour or a day of local wall time.

The stores group requests by a fine UTC *slot* (a minute for minute buckets, else 15
minutes: every UTC offset in the tz database since 1970 is a whole number of quarter
hours, and so is every transition), and `Bucketing.bucket_of` maps a slot to the start of
the local bucket holding it. Day buckets therefore follow DST: in ``Europe/Lisbon`` the
day of the spring change is 23 hours long and the autumn one 25, and each starts at local
midnight. An hour bucket in a zone whose offset is not whole hours (``Asia/Kolkata``,
+05:30) starts at the local full hour.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
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
    """Local buckets of one unit in one zone, with slot -> bucket answers cached."""

    unit: BucketUnit
    zone: ZoneInfo
    _cache: dict[int, datetime] = field(default_factory=dict)

    @property
    def slot_us(self) -> int:
        """Microseconds of the UTC slot the database groups by."""
        return _SLOT_SECONDS[self.unit] * _US

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
        earliest slot boundary whose local bucket is ``moment``'s."""
        step = timedelta(seconds=_SLOT_SECONDS[self.unit])
        key = self._wall(moment)
        probe = self._aligned(key.replace(tzinfo=self.zone, fold=0).astimezone(UTC))
        probe = min(probe, self._aligned(moment))
        while self._wall(probe) != key:  # before the bucket (a skipped wall time)
            probe += step
        while self._wall(probe - step) == key:  # an ambiguous start: go to the first
            probe -= step
        return probe.astimezone(self.zone)

    def bucket_of(self, slot: int) -> datetime:
        """The start of the local bucket of the UTC slot number ``slot``."""
        found = self._cache.get(slot)
        if found is None:
            moment = datetime.fromtimestamp(slot * _SLOT_SECONDS[self.unit], UTC)
            found = self._cache[slot] = self.floor(moment)
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
