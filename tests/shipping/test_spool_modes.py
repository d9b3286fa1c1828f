"""Records spooled while the collector is down are their owner's only: the spool directory
is created 0700 and every spool file 0600, whatever the umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import FakeCollector, ShipKit


def mode(path: Path) -> int:
    """The permission bits of ``path``."""
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask_022() -> Iterator[None]:
    """The usual umask, under which files were created world-readable."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.mark.usefixtures("umask_022")
def test_records_spooled_while_the_collector_is_down_are_private(
    down_collector: FakeCollector, kit: ShipKit
) -> None:
    """The shipper spools a batch it cannot deliver: directory 0700, file 0600."""
    shipper = kit.shipper(down_collector.url, retry_deadline=0.2)
    for record in kit.records(30):
        shipper.emit(record)
    kit.wait_until(lambda: shipper.stats.spooled == 30, what="every record in the spool")
    spooled = list(kit.spool_dir.glob("*.json"))
    assert spooled
    assert mode(kit.spool_dir) == 0o700
    assert {path.name: mode(path) for path in spooled} == {path.name: 0o600 for path in spooled}
