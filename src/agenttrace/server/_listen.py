"""The collector's listening sockets, bound before uvicorn starts.

Binding here, not in uvicorn, turns a port already in use, a port that needs root, or an
address this machine does not have into one sentence saying what to do (`ListenError`),
before uvicorn prints its start-up lines; and it tells `serve` the port it really got
(``--port 0``) for its banner.

The sockets are made like asyncio's own (``IPPROTO_TCP``, so that asyncio turns Nagle's
algorithm off on each connection; ``SO_REUSEADDR``; ``IPV6_V6ONLY`` on IPv6), one per
address the host name has (``localhost``: 127.0.0.1 and ::1), all on one port.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Sequence

from agenttrace.core.defaults import DEFAULT_PORT
from agenttrace.exceptions import UserError

__all__ = ["BACKLOG", "ListenError", "close_all", "listen", "listen_error"]

BACKLOG = 2048
"""Connections the kernel queues before the server accepts them (uvicorn's default)."""

_PRIVILEGED_PORTS = 1024
_UNUSABLE_ADDRESS = frozenset({errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT})


class ListenError(UserError):
    """The collector cannot listen where it was asked to; the message says what to do."""


def listen_error(exc: OSError, host: str, port: int) -> ListenError:
    """The sentence for a failed bind of ``host``:``port``."""
    if isinstance(exc, socket.gaierror):
        message = (
            f"cannot listen on --host {host!r}: it is not an address or a host name this "
            f"machine resolves ({exc.strerror or exc}); pass --host 127.0.0.1 (this machine "
            "only) or 0.0.0.0 (every interface)"
        )
    elif exc.errno == errno.EADDRINUSE:
        message = (
            f"port {port} on {host} is in use (another agenttrace serve?): stop it or pass "
            "--port N (0 picks a free one)"
        )
    elif exc.errno == errno.EACCES and 0 < port < _PRIVILEGED_PORTS:
        message = (
            f"cannot listen on port {port}: ports below {_PRIVILEGED_PORTS} need root; pick "
            f"--port {DEFAULT_PORT}"
        )
    elif exc.errno in {errno.EACCES, errno.EPERM}:
        message = (
            f"not allowed to listen on {host} port {port} ({exc.strerror}): pick another "
            f"--port, such as {DEFAULT_PORT}"
        )
    elif exc.errno == errno.EADDRNOTAVAIL:
        message = (
            f"cannot listen on {host}: it is not an address of this machine; pass --host "
            "127.0.0.1 (this machine only), 0.0.0.0 (every interface) or one of its own "
            "addresses"
        )
    else:
        message = f"cannot listen on {host} port {port}: {exc.strerror or exc}"
    return ListenError(message)


def _addresses(host: str, port: int) -> list[tuple[int, tuple[object, ...]]]:
    """(family, socket address) for each address of ``host``, as asyncio resolves it."""
    found = socket.getaddrinfo(
        host or None, port, socket.AF_UNSPEC, socket.SOCK_STREAM, 0, socket.AI_PASSIVE
    )
    unique: dict[tuple[int, tuple[object, ...]], None] = {}
    for family, _, _, _, address in found:
        if family in {socket.AF_INET, socket.AF_INET6}:
            unique[family, tuple(address)] = None
    return list(unique)


def _bound(family: int, address: tuple[object, ...]) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind(address)
        sock.listen(BACKLOG)
        sock.set_inheritable(True)  # worker processes accept on it too
    except BaseException:
        sock.close()
        raise
    return sock


def listen(host: str, port: int) -> list[socket.socket]:
    """Listening sockets on every address of ``host``, all on ``port`` (0: one free port,
    the same for each address); `ListenError` when that is not possible.

    An address the machine cannot use (``::1`` without IPv6) is skipped while another
    address of the name works.
    """
    sockets: list[socket.socket] = []
    unusable: OSError | None = None
    try:
        for family, found in _addresses(host, port):
            address = found
            if sockets and port == 0:  # the port the first address got, for the others too
                address = (found[0], sockets[0].getsockname()[1], *found[2:])
            try:
                sockets.append(_bound(family, address))
            except OSError as exc:
                if exc.errno not in _UNUSABLE_ADDRESS:
                    raise
                unusable = unusable or exc
        if not sockets:
            raise unusable or OSError(errno.EADDRNOTAVAIL, "no address")
    except OSError as exc:
        close_all(sockets)
        raise listen_error(exc, host, port) from None
    return sockets


def close_all(sockets: Sequence[socket.socket]) -> None:
    """Close every socket (safe to call twice)."""
    for sock in sockets:
        sock.close()
