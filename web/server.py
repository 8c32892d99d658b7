"""The production server: cheroot, a thread per connection, sized for long-lived streams.

Why cheroot: each MJPEG or SSE viewer is a generator that blocks on the hub until there is something new,
so a thread per stream is the natural fit; cheroot writes each chunk straight to the socket (no unbounded
output buffer, unlike waitress's, which grew by hundreds of MB for 30 slow viewers), and a small kernel
send buffer keeps a slow reader from being fed frames that are seconds old.
"""

from __future__ import annotations

import logging
import socket
import threading

from cheroot import wsgi
from flask import Flask

logger = logging.getLogger(__name__)

SEND_BUFFER_BYTES = 128 * 1024   # about four frames: enough to stream smoothly, too little to lag


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
