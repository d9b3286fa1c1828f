"""Which ``Host`` headers the collector answers: its defence against DNS rebinding.

A web page on another site can make the browser resolve the page's own name to 127.0.0.1
(DNS rebinding) and then read and write the collector as if it were that site: the
browser's same-origin rule sees one origin. Such requests carry the page's DNS name in
``Host``. So the collector answers only Host names it serves (any port):

* ``localhost`` and every IP address (``127.0.0.1``, ``[::1]``, ``192.168.1.20``...): a
  rebinding page always has a DNS name, and a page served from an IP address is that
  address's own origin, which other sites cannot read;
* the name it was started on (``--host``), unless a wildcard address;
* each ``--allowed-host`` (``AGENTTRACE_ALLOWED_HOSTS``); ``*`` allows every name.

When the check applies is `HostCheck.always`: with ``--allowed-host`` given, for every
request; without, only while the collector is open (no API key exists). With keys, a
request needs one anyway and a browser never adds it by itself, so a reverse proxy may
forward whatever Host it likes.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from agenttrace.exceptions import ConfigurationError

__all__ = ["ALLOWED_HOSTS_VARIABLE", "ANY_HOST", "HostCheck", "host_name", "split_host_list"]

ANY_HOST = "*"
"""The ``--allowed-host`` value that accepts every Host."""

ALLOWED_HOSTS_VARIABLE = "AGENTTRACE_ALLOWED_HOSTS"
"""The environment variable holding allowed host names (comma or space separated)."""

_LOCAL_NAMES = frozenset({"localhost"})
_FORBIDDEN = frozenset("/\\@?#")


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def host_name(value: str) -> str:
    """The name in a ``Host`` value, without port, brackets or a trailing dot, lowercased.

    >>> host_name("LocalHost:8787"), host_name("[::1]:8787"), host_name("example.com.")
    ('localhost', '::1', 'example.com')
    """
    text = value.strip().lower()
    if text.startswith("["):
        address, bracket, _ = text[1:].partition("]")
        return address if bracket else text
    if text.count(":") > 1:  # an IPv6 address without brackets (and so without port)
        return text
    return text.partition(":")[0].rstrip(".")


def split_host_list(values: Iterable[str]) -> list[str]:
    """Host names from options and ``AGENTTRACE_ALLOWED_HOSTS``: each value may hold
    several, separated by commas or spaces."""
    return [name for value in values for name in value.replace(",", " ").split()]


def _allowed_name(value: str) -> str:
    name = host_name(value)
    if value.strip() == ANY_HOST:
        return ANY_HOST
    if not name or any(char in _FORBIDDEN or char.isspace() for char in value.strip()):
        msg = (
            f"the allowed host {value!r} (--allowed-host, {ALLOWED_HOSTS_VARIABLE}) is not a "
            "host name; give the name clients use to reach the collector, such as "
            "traces.example.com (a port is optional, no scheme or path), or "
            f"{ANY_HOST} to accept every name"
        )
        raise ConfigurationError(msg)
    return name


@dataclass(frozen=True, slots=True)
class HostCheck:
    """The Host names a collector answers (besides ``localhost`` and IP addresses)."""

    names: frozenset[str] = frozenset()
    any_host: bool = False
    always: bool = False
    """Check every request (``--allowed-host`` given), not only while the collector is open."""

    @classmethod
    def build(cls, host: str | None, allowed_hosts: Iterable[str] = ()) -> HostCheck:
        """The check for a collector serving on ``host`` with these ``--allowed-host``
        names; `ConfigurationError` for a value that is not a host name."""
        allowed = [_allowed_name(value) for value in split_host_list(allowed_hosts)]
        names = {name for name in allowed if name != ANY_HOST}
        if host:
            bound = host_name(host)
            if bound and not _is_ip(bound):
                names.add(bound)
        return cls(names=frozenset(names), any_host=ANY_HOST in allowed, always=bool(allowed))

    def accepts(self, host: str | None) -> bool:
        """Whether a request with this ``Host`` header (None: no header) is answered."""
        if host is None or self.any_host:
            return True
        name = host_name(host)
        return name in _LOCAL_NAMES or name in self.names or _is_ip(name)

    def refusal(self, host: str) -> str:
        """The sentence answering a request whose ``Host`` is not accepted."""
        name = host_name(host) or host
        served = ", ".join(["localhost", "IP addresses", *sorted(self.names)])
        hint = (
            "" if self.always else ", or create an API key (agenttrace keys create --project NAME)"
        )
        return (
            f"this collector does not answer requests for the host name {name!r} (it answers "
            f"{served}): a web page may be trying to reach it by DNS rebinding. If you reach "
            f"the collector by that name yourself, start it with --allowed-host {name} (or "
            f"{ALLOWED_HOSTS_VARIABLE}={name}){hint}"
        )
