"""The production server: cheroot's pool of threads for requests, behind a front that gives a thread only a
request that has arrived whole (web/front.py).

Why cheroot: it writes what a response yields straight to the socket (no unbounded output buffer, unlike
waitress's, which grew by hundreds of MB for 30 slow viewers), and hands us the connection, so that once a
live stream's response has started, one fan-out thread per stream writes to every viewer (web/fanout.py)
instead of waking a thread per viewer for every frame. A look at each connection before each frame
(FramePacer) keeps a slow viewer from being fed frames that are seconds old.

Why a front: cheroot gives each new connection a thread at once, and the thread waits for the request for as
long as the client sends a byte now and then: 88 clients sending a header line every 5 s held every thread,
and no page answered. The front holds a connection, at the cost of a file descriptor, until its request is
all here, refuses what is too big or too slow with a 4xx, and caps the threads one client address may hold.
A stream's response, once started, is written by the fan-out without a timeout of its own: the limits apply
to reading a request, never to a viewer that watches for an hour.
"""

from __future__ import annotations

import logging
import resource
import socket
import time

from cheroot import server as cheroot_server
from cheroot import wsgi
from flask import Flask

from web.front import Front
from web.limits import MAX_BODY, MAX_HEAD

logger = logging.getLogger(__name__)

# The pacer below keeps at most one frame in a viewer's send buffer; room for a whole frame lets it go in
# one write.
SEND_BUFFER_BYTES = 128 * 1024
CONNECTION_KEY = "awareness_kit.connection"
HEALTH_PATH = "/healthz"
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


class _Connection(cheroot_server.HTTPConnection):
    """cheroot's connection, which tells the front when the pool is done with it."""

    front: Front | None = None      # while the pool has it

    def close(self) -> None:
        front, self.front = self.front, None
        super().close()
        if front is not None:
            front.returned(self, keep=False)


class _Cheroot(wsgi.Server):
    """cheroot's server, whose connections come from the front and go back to it when kept alive."""

    ConnectionClass = _Connection

    def put_conn(self, conn: _Connection) -> None:
        front, conn.front = conn.front, None
        if front is not None:
            front.returned(conn, keep=True)
        else:
            conn.close()


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
    """Serves a WSGI app on (host, port) from background threads; stop() returns within about a second.

        server = Server(app, "0.0.0.0", 8000, max_viewers=40).start()
        server.port         # the bound port (useful with port 0)
        server.answers()    # True if it answers a request of its own now
        server.stop()
    """

    def __init__(self, app: Flask, host: str, port: int, *, max_viewers: int) -> None:
        # Each viewer holds a camera stream and an event stream; leave threads for pages and the API.
        threads = 2 * max_viewers + 8
        # A long queue of connections not yet accepted: with 64, 600 connections opened at once overflowed it,
        # and a phone's connection that came then waited a second for its SYN to be sent again.
        self._server = _Cheroot((host, port), app, numthreads=threads, max=threads, request_queue_size=1024,
                                timeout=10, shutdown_timeout=1, server_name="awareness-kit")
        self._server.gateway = _Gateway
        # The front refuses bigger requests first; these are cheroot's own limits, in case one gets past it.
        self._server.max_request_header_size = MAX_HEAD + 2
        self._server.max_request_body_size = MAX_BODY
        self._front: Front | None = None

    def start(self) -> Server:
        self._server.prepare()      # binds now, so a port in use fails here with a clear error
        listener = self._server.socket
        # Accepted sockets inherit the listener's send buffer size.
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER_BYTES)
        # Connections waiting for their request hold a file descriptor each: keep half the kit's for the rest.
        files = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        self._front = Front(self._server, max_waiting=max(64, min(1024, files // 2))).start()
        return self

    @property
    def front(self) -> Front | None:
        return self._front

    @property
    def alive(self) -> bool:
        return self._front is not None and self._front.alive and bool(self._server.ready)

    @property
    def port(self) -> int:
        return self._server.bind_addr[1]

    def answers(self, timeout: float = 2.0) -> bool:
        """Whether the server answers a request of its own (HEALTH_PATH) within *timeout* s: the front accepts,
        the pool has a thread, the app answers. For the systemd watchdog (device/cli.py)."""
        host = self._server.bind_addr[0]
        host = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(host, host)
        deadline = time.monotonic() + timeout
        try:
            with socket.create_connection((host, self.port), timeout=timeout) as sock:
                sock.sendall(f"GET {HEALTH_PATH} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
                answer = b""
                while len(answer) < 12 and (left := deadline - time.monotonic()) > 0:
                    sock.settimeout(left)
                    if not (data := sock.recv(64)):
                        break
                    answer += data
                return answer.startswith((b"HTTP/1.1 200", b"HTTP/1.0 200"))
        except OSError:
            return False

    def stop(self, grace_s: float = 0.5) -> None:
        """Accept nothing more; give requests in progress *grace_s* to finish, then end their connections (a
        live stream ends when the kit stops), and stop the pool."""
        if self._front is not None:
            self._front.stop()
            deadline = time.monotonic() + grace_s
            while self._front.in_pool and time.monotonic() < deadline:
                time.sleep(0.02)
            self._front.end_in_pool()
        self._server.stop()
