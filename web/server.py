"""The production server: cheroot, a thread per connection, sized for long-lived streams.

Why cheroot: each MJPEG or SSE viewer is a generator that blocks on the hub until there is something new,
so a thread per stream is the natural fit; cheroot writes each chunk straight to the socket (no unbounded
output buffer, unlike waitress's, which grew by hundreds of MB for 30 slow viewers). A small kernel send
buffer, and a look at the connection before each frame (FramePacer), keep a slow viewer from being fed
frames that are seconds old.
"""

from __future__ import annotations

import logging
import socket
import threading

from cheroot import wsgi
from flask import Flask

logger = logging.getLogger(__name__)

SEND_BUFFER_BYTES = 16 * 1024    # a frame is 20-40 KB: our side never holds a whole one back
SOCKET_KEY = "awareness_kit.socket"
_TCP_INFO_SIZE = 148
_UNACKED, _NOTSENT = 24, 144        # offsets of tcpi_unacked and tcpi_notsent_bytes in Linux's struct tcp_info


class _Gateway(wsgi.Gateway_10):
    """cheroot's WSGI gateway, also handing the application the connection's socket."""

    def get_environ(self):
        environ = super().get_environ()
        environ[SOCKET_KEY] = self.req.conn.socket
        return environ


class FramePacer:
    """Whether a viewer's connection has delivered what it was sent, so that a new frame goes out fresh.

    A phone on a slow link would otherwise have frames queue up in our socket and on the way; a frame is
    sent only when everything sent before is delivered and acknowledged (Linux's TCP_INFO), and otherwise
    skipped for this viewer: a newer one follows. What the phone's own receive buffer holds unread is out
    of the server's reach (bench/viewers.py measures it).
    """

    def __init__(self, sock: socket.socket | None) -> None:
        self.sock = sock
        self.skipped = 0

    def ready(self) -> bool:
        if self.sock is None:
            return True
        try:
            info = self.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, _TCP_INFO_SIZE)
        except OSError:
            return True
        unacked = int.from_bytes(info[_UNACKED:_UNACKED + 4], "little")
        notsent = int.from_bytes(info[_NOTSENT:_NOTSENT + 4], "little") if len(info) >= _NOTSENT + 4 else 0
        ready = unacked == 0 and notsent == 0
        if not ready:
            self.skipped += 1
        return ready


class Server:
    """Serves a WSGI app on (host, port) in a background thread; stop() returns within about a second.

        server = Server(app, "0.0.0.0", 8000, max_viewers=40).start()
        server.port      # the bound port (useful with port 0)
        server.stop()
    """

    def __init__(self, app: Flask, host: str, port: int, *, max_viewers: int) -> None:
        # Each viewer holds a camera stream and an event stream; leave threads for pages and the API.
        threads = 2 * max_viewers + 8
        self._server = wsgi.Server((host, port), app, numthreads=threads, max=threads,
                                   request_queue_size=64, timeout=10, shutdown_timeout=1,
                                   server_name="awareness-kit")
        self._server.gateway = _Gateway
        self._thread: threading.Thread | None = None

    def start(self) -> Server:
        self._server.prepare()      # binds now, so a port in use fails here with a clear error
        listener = self._server.socket
        # Accepted sockets inherit the listener's send buffer size.
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER_BYTES)
        self._thread = threading.Thread(target=self._server.serve, name="http", daemon=True)
        self._thread.start()
        return self

    @property
    def port(self) -> int:
        return self._server.bind_addr[1]

    def stop(self) -> None:
        self._server.stop()
        if self._thread is not None:
            self._thread.join(2.0)
