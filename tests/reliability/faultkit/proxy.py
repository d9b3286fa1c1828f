"""A TCP proxy on 127.0.0.1 that a test can cut, restore and slow down.

It forwards every connection to an upstream port byte for byte. Faults it can inject:

* `TcpProxy.cut`: stop listening and drop every open connection (the upstream went away,
  or the network between did); `TcpProxy.restore` listens again on the same port;
* `TcpProxy.slow`: hold each answer ``seconds`` before forwarding it (an upstream that
  takes that long per request), counted per request/answer exchange, not per packet.

Upstream failures pass through: if nothing listens upstream, the client's connection is
closed at once, as if it had been refused.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time

__all__ = ["TcpProxy"]

_CHUNK = 65536


class _Link:
    """One proxied connection: the client socket, the upstream socket, the pending answer."""

    __slots__ = ("client", "request_pending", "upstream")

    def __init__(self, client: socket.socket, upstream: socket.socket) -> None:
        self.client = client
        self.upstream = upstream
        self.request_pending = False


class TcpProxy:
    """Forwards ``127.0.0.1:port`` to ``upstream_host:upstream_port``."""

    def __init__(self, upstream_port: int, upstream_host: str = "127.0.0.1") -> None:
        self.upstream = (upstream_host, upstream_port)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._lock = threading.Condition()
        self._links: list[_Link] = []
        self._listener: socket.socket | None = None
        self._delay = 0.0
        self._closed = False
        self.exchanges = 0
        """Answers forwarded so far (one per request/answer exchange)."""
        self.holding = 0
        """Answers being held right now (received from upstream, not yet forwarded)."""
        self.restore()

    def __repr__(self) -> str:
        state = "listening" if self._listener is not None else "cut"
        return f"<TcpProxy :{self.port} -> {self.upstream[0]}:{self.upstream[1]} {state}>"

    # -- faults ----------------------------------------------------------------------------

    def restore(self) -> None:
        """Listen (again) on the same port."""
        with self._lock:
            if self._listener is not None or self._closed:
                return
            listener = socket.socket()
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("127.0.0.1", self.port))
            listener.listen(128)
            self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        """Refuse new connections and drop every open one (held answers are lost)."""
        with self._lock:
            listener, self._listener = self._listener, None
            links, self._links = self._links, []
            self._lock.notify_all()
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)  # wakes accept()
            listener.close()
        for link in links:
            for sock in (link.client, link.upstream):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()

    def slow(self, seconds: float) -> None:
        """Hold every answer ``seconds`` before forwarding it (0: forward at once).

        Answers already held are re-timed against the new delay.
        """
        with self._lock:
            self._delay = max(seconds, 0.0)
            self._lock.notify_all()

    def close(self) -> None:
        """Cut, and refuse to be restored."""
        with self._lock:
            self._closed = True
        self.cut()

    # -- forwarding ------------------------------------------------------------------------

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.upstream, timeout=10)
            except OSError:  # nothing listens upstream: the client sees a closed connection
                client.close()
                continue
            upstream.settimeout(None)
            for sock in (client, upstream):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            link = _Link(client, upstream)
            with self._lock:
                if self._listener is not listener:  # cut meanwhile
                    client.close()
                    upstream.close()
                    return
                self._links.append(link)
            threading.Thread(target=self._requests, args=(link,), daemon=True).start()
            threading.Thread(target=self._answers, args=(link,), daemon=True).start()

    def _requests(self, link: _Link) -> None:
        """Client to upstream: forward at once, and note that an answer is now due."""
        try:
            while data := link.client.recv(_CHUNK):
                link.request_pending = True
                link.upstream.sendall(data)
        except OSError:
            pass
        finally:
            self._drop(link)

    def _answers(self, link: _Link) -> None:
        """Upstream to client: hold the first chunk of each answer for the delay."""
        try:
            while data := link.upstream.recv(_CHUNK):
                if link.request_pending:
                    link.request_pending = False
                    if not self._hold(link, time.monotonic()):
                        return
                    with self._lock:
                        self.exchanges += 1
                link.client.sendall(data)
        except OSError:
            pass
        finally:
            self._drop(link)

    def _hold(self, link: _Link, arrived: float) -> bool:
        """Simulated upstream latency: wait until ``arrived + delay``; False if cut meanwhile."""
        with self._lock:
            self.holding += 1
            try:
                while link in self._links:
                    remaining = arrived + self._delay - time.monotonic()
                    if remaining <= 0:
                        return True
                    self._lock.wait(remaining)
                return False
            finally:
                self.holding -= 1

    def _drop(self, link: _Link) -> None:
        with self._lock:
            if link in self._links:
                self._links.remove(link)
                self._lock.notify_all()
        for sock in (link.client, link.upstream):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
