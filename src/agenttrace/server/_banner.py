"""What `serve` prints once the collector listens: its URL, the dashboard's, the API docs'
and the database it uses (a PostgreSQL URL without its password)."""

from __future__ import annotations

import ipaddress

__all__ = ["banner", "url_host"]

_WILDCARDS = {"", "0.0.0.0", "::"}  # noqa: S104 - names of the wildcard addresses, not a bind


def url_host(host: str) -> str:
    """``host`` as it goes in a URL: IPv6 addresses in brackets."""
    name = host.strip().strip("[]")
    try:
        is_v6 = ipaddress.ip_address(name).version == 6
    except ValueError:
        is_v6 = False
    return f"[{name}]" if is_v6 else name


def banner(host: str, port: int, database: str, *, dashboard: bool = True) -> str:
    """The lines `serve` prints at start (``database``: a URL without password)."""
    wildcard = host.strip().strip("[]") in _WILDCARDS
    served = f"http://{url_host(host or '0.0.0.0')}:{port}"  # noqa: S104 - for display
    browse = f"http://{'[::1]' if host.strip('[]') == '::' else '127.0.0.1'}:{port}"
    if not wildcard:
        browse = served
    lines = [
        f"agenttrace collector running on {served} "
        f"({'every interface; ' if wildcard else ''}Ctrl+C to stop)"
    ]
    if dashboard:
        lines.append(f"  dashboard  {browse}/")
    lines.append(f"  API docs   {browse}/docs")
    lines.append(f"  database   {database}")
    return "\n".join(lines)
