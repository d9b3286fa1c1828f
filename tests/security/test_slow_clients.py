"""Slow and surplus connections: a client that sends its request headers or body too
slowly is answered 408 and closed once the read timeout passes, and connections beyond the
limit get 503 while those within it go on being served. Raw sockets against a real
collector; a test fails by its socket's guard timeout if the collector never closes."""

from __future__ import annotations

import json
import select
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from agenttrace.server.testing import running_collector

from .conftest import keys_of

READ_TIMEOUT_S = 0.5
GUARD_S = 20.0
"""How long a test waits for the collector to close a connection before it fails."""
BYTE_INTERVAL_S = 0.05
"""A slow client's pause between bytes: the read timeout passes after about ten."""


@contextmanager
def _connect(url: str) -> Iterator[socket.socket]:
    parts = urlsplit(url)
    assert parts.hostname is not None
    assert parts.port is not None
    with socket.create_connection((parts.hostname, parts.port), timeout=GUARD_S) as sock:
        yield sock


def _trickle(sock: socket.socket, data: bytes) -> None:
    """Send ``data`` a byte at a time until it is all sent or the collector answers or
    closes the connection."""
    for index in range(len(data)):
        try:
            sock.sendall(data[index : index + 1])
        except (BrokenPipeError, ConnectionResetError):
            return
        readable, _, _ = select.select([sock], [], [], BYTE_INTERVAL_S)
        if readable:
            return


def _until_closed(sock: socket.socket) -> bytes:
    """Everything the collector sends until it closes the connection (socket.timeout if it
    does not within the guard)."""
    received = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return received
        if not chunk:
            return received
        received += chunk


def _status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else 0


def _body(answer: bytes) -> dict[str, str]:
    body: dict[str, str] = json.loads(answer.split(b"\r\n\r\n", 1)[1])
    return body


def test_headers_sent_too_slowly_get_408_and_close(tmp_path: Path) -> None:
    """Request headers that trickle in (and would never end) are answered 408 with a
    sentence naming the read timeout, and the connection is closed."""
    headers = b"POST /v1/records HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"X-Padding: 0\r\n" * 40
    with (
        running_collector(data_dir=tmp_path, read_timeout=READ_TIMEOUT_S) as collector,
        _connect(collector.url) as sock,
    ):
        _trickle(sock, headers)
        answer = _until_closed(sock)
    assert _status(answer) == 408
    assert "--read-timeout" in _body(answer)["error"]


def test_a_body_sent_too_slowly_gets_408_and_close(tmp_path: Path) -> None:
    """Headers at once, then a body that trickles in: 408 with a sentence naming the read
    timeout, and the connection is closed; nothing is stored."""
    body = b'{"records": [' + b" " * 300 + b"]}"
    request = (
        b"POST /v1/records HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n"
    )
    with (
        running_collector(data_dir=tmp_path, read_timeout=READ_TIMEOUT_S) as collector,
        _connect(collector.url) as sock,
    ):
        sock.sendall(request)
        _trickle(sock, body)
        answer = _until_closed(sock)
    assert _status(answer) == 408
    assert "request body did not arrive within 0.5 s (read_timeout)" in _body(answer)["error"]


def test_an_unread_body_sent_too_slowly_is_closed(tmp_path: Path) -> None:
    """A request refused before its body is read (401: no key) is answered at once; the
    rest of its body trickling in does not keep the connection open past the timeout."""
    body = b"x" * 300
    request = (
        b"POST /v1/records HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n"
    )
    with running_collector(data_dir=tmp_path, read_timeout=READ_TIMEOUT_S) as collector:
        keys_of(collector).create_key("alpha")
        with _connect(collector.url) as sock:
            sock.sendall(request)
            _trickle(sock, body[:1])  # until the 401 arrives
            _trickle(sock, body[1:])
            answer = _until_closed(sock)
    assert _status(answer) == 401


def _get(sock: socket.socket, path: str = "/healthz") -> int:
    """One keep-alive GET on ``sock``; its status."""
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    received = b""
    while b"\r\n\r\n" not in received:
        received += sock.recv(65536)
    head, _, rest = received.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(rest) < length:
        rest += sock.recv(65536)
    return _status(head)


def test_connections_beyond_the_limit_get_503(tmp_path: Path) -> None:
    """With two connections open and max_connections=2, a third connection's request gets
    503 with Retry-After and a sentence naming the limit, and is closed; the first two are
    still served."""
    with (
        running_collector(data_dir=tmp_path, max_connections=2) as collector,
        _connect(collector.url) as first,
        _connect(collector.url) as second,
    ):
        assert [_get(first), _get(second)] == [200, 200]
        refused = httpx.get(f"{collector.url}/healthz", timeout=GUARD_S)
        assert [_get(first), _get(second)] == [200, 200]
    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "1"
    assert refused.headers["connection"] == "close"
    assert "(2, max_connections)" in refused.json()["error"]
