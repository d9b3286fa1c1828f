"""``server``: the module's fake provider (its ``respond`` function) on 127.0.0.1, once per
module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .fake_wire import FakeWire, fake_wire


@pytest.fixture(scope="module")
def server(request: pytest.FixtureRequest) -> Iterator[FakeWire]:
    """The fake server answering with the test module's ``respond``."""
    with fake_wire(request.module.respond) as running:
        yield running
