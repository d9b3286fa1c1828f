"""What `serve` prints once listening, for the hosts where the URL to open differs from
the address served: the wildcard addresses and IPv6."""

from __future__ import annotations

from agenttrace.server._banner import banner


def test_a_wildcard_address_points_the_browser_at_this_machine() -> None:
    """``--host 0.0.0.0``: served on every interface, the dashboard opened on 127.0.0.1."""
    assert banner("0.0.0.0", 8787, "sqlite:////data/agenttrace.db").splitlines() == [
        "agenttrace collector running on http://0.0.0.0:8787 (every interface; Ctrl+C to stop)",
        "  dashboard  http://127.0.0.1:8787/",
        "  API docs   http://127.0.0.1:8787/docs",
        "  database   sqlite:////data/agenttrace.db",
    ]


def test_ipv6_addresses_are_bracketed() -> None:
    """``--host ::1`` gives ``http://[::1]:PORT``; ``::`` is opened on ``[::1]``."""
    assert banner("::1", 9, "db").splitlines()[0].endswith("http://[::1]:9 (Ctrl+C to stop)")
    assert "  dashboard  http://[::1]:9/" in banner("::", 9, "db").splitlines()
