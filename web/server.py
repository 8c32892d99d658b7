"""The production server: cheroot, a thread per connection, sized for long-lived streams.

Why cheroot: it writes what a response yields straight to the socket (no unbounded output buffer, unlike
waitress's, which grew by hundreds of MB for 30 slow viewers), and hands us the connection, so that once a
live stream's response has started, one fan-out thread per stream writes to every viewer
(web/fanout.py) instead of waking a thread per viewer for every frame. A look at each connection before
each frame (FramePacer) keeps a slow viewer from being fed frames that are seconds old.
"""

from __future__ import annotations

import logging
import socket
import threading

from cheroot import wsgi
from flask import Flask

logger = logging.getLogger(__name__)

# The pacer below keeps at most one frame in a viewer's send buffer; room for a whole frame lets it go in
# one write.
SEND_BUFFER_BYTES = 128 * 1024
CONNECTION_KEY = "awareness_kit.connection"
_TCP_INFO_SIZE = 232
# Offsets in Linux's struct tcp_info (linux/tcp.h): tcpi_unacked, tcpi_notsent_bytes, and tcpi_snd_wnd, the
# window the viewer advertises, which grows back as it reads (Linux 6.2 and later; older kernels skip it).
_UNACKED, _NOTSENT, _SND_WND = 24, 144, 228


class Connection:
    """A request's connection, for a stream that writes to it directly once its response has started
    (web/fanout.py): the socket, and whether the response is sent in HTTP/1.1 chunks."""

    def __init__(self, request) -> None:
        self._request = request

    @property
    def socket(self) -> socket.socket:
        return self._request.conn.socket

    @property
    def chunked(self) -> bool:
        """Known once the response's headers are out."""
        return bool(self._request.chunked_write)


class _Gateway(wsgi.Gateway_10):
    """cheroot's WSGI gateway, also handing the application the request's connection."""

    def get_environ(self):
        environ = super().get_environ()
        environ[CONNECTION_KEY] = Connection(self.req)
        return environ


class FramePacer:
    """Whether a viewer has taken in what it was sent, so that a new frame goes out fresh.

    A slow viewer would otherwise have frames queue up in our socket, on the way, and in its own receive
    buffer, where the server cannot recall them. So a frame is sent only when everything sent before is
    delivered and acknowledged, and the viewer's advertised window is back within half a frame of its
    widest, meaning it has read what it had (Linux's TCP_INFO); otherwise the frame is skipped for this
    viewer and a newer one follows. bench/viewers.py measures the age of what a slow reader gets.
    """

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.widest = 0
        self.last_size = 0
        # A viewer tells its window only when it acknowledges something; while we hold frames back, a
        # keepalive probe every second makes it tell us again.
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 1)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1)
        except OSError:
            pass

    def sent(self, size: int) -> None:
        self.last_size = size

    def ready(self) -> bool:
        try:
            info = self.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, _TCP_INFO_SIZE)
        except OSError:
            return True
        unacked = int.from_bytes(info[_UNACKED:_UNACKED + 4], "little")
        notsent = int.from_bytes(info[_NOTSENT:_NOTSENT + 4], "little") if len(info) >= _NOTSENT + 4 else 0
        ready = unacked == 0 and notsent == 0
        if len(info) >= _SND_WND + 4:
            # It has read what it was sent when its window is back within half a frame of its widest.
            window = int.from_bytes(info[_SND_WND:_SND_WND + 4], "little")
            self.widest = max(self.widest, window)
            ready = ready and window >= self.widest - self.last_size // 2
        return ready        # the fan-out counts what it holds back


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
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and bool(self._server.ready)

    @property
    def port(self) -> int:
        return self._server.bind_addr[1]

    def stop(self) -> None:
        self._server.stop()
        if self._thread is not None:
            self._thread.join(2.0)
