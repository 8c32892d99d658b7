"""The web tests' fixtures: a viewer on a plain socket of the kit's real server, as a phone's browser is."""

from __future__ import annotations

import inspect
import re
import socket
from types import SimpleNamespace

import pytest

from web.server import Server

SOI, EOI = b"\xff\xd8", b"\xff\xd9"


def cookie(client, name: str, domain: str = "localhost") -> SimpleNamespace | None:
    """The cookie *name* the test client holds: value, secure, http_only, same_site. Werkzeug 2.2 (Debian 12's,
    which make test also runs) has no get_cookie: its jar is http.cookiejar's."""
    if hasattr(client, "get_cookie"):
        found = client.get_cookie(name, domain=domain)
        return None if found is None else SimpleNamespace(value=found.value, secure=found.secure,
                                                          http_only=found.http_only, same_site=found.same_site)
    for found in client.cookie_jar:
        if found.name == name:
            return SimpleNamespace(value=found.value, secure=found.secure,
                                   http_only=found.has_nonstandard_attr("HttpOnly"),
                                   same_site=found.get_nonstandard_attr("SameSite"))
    return None


def give_cookie(client, name: str, value: str) -> None:
    """Set a cookie in the test client, on Werkzeug 2.2 (set_cookie(server_name, key, value)) and later."""
    if "server_name" in inspect.signature(client.set_cookie).parameters:
        client.set_cookie("localhost", name, value)
    else:
        client.set_cookie(name, value)


def csrf(client, path: str) -> str:
    """The CSRF token of the form on *path*, as the page gives it to this client."""
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf" value="([0-9a-f]+)"', html).group(1)


class RawViewer:
    """A viewer on a plain socket, as a phone's browser is: reads the response, its chunks and its parts."""

    def __init__(self, port: int, path: str, *, http: str = "1.1", maxseg: int | None = None,
                 recv_size: int = 65536, method: str = "GET", source: str | None = None) -> None:
        self.recv_size = recv_size      # small: what it has not read stays in its socket, as a slow phone's
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if maxseg:      # segments the size of Wi-Fi's, not loopback's 64 KB
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, maxseg)
        if source:      # another loopback address (127.0.0.2, ...) is a phone to the kit, not its own screen
            self.sock.bind((source, 0))
        self.sock.settimeout(10)
        self.sock.connect(("127.0.0.1", port))
        self.sock.sendall(f"{method} {path} HTTP/{http}\r\nHost: test\r\n\r\n".encode())
        self.wire = b""
        while b"\r\n\r\n" not in self.wire:
            self._recv()
        head, self.wire = self.wire.split(b"\r\n\r\n", 1)
        self.status = int(head.split()[1])
        self.headers = dict(line.split(": ", 1) for line in head.decode().split("\r\n")[1:])
        self.part_headers: dict[str, str] = {}
        self.chunked = b"transfer-encoding: chunked" in head.lower()
        self.body = b""

    def _recv(self) -> None:
        data = self.sock.recv(self.recv_size)
        if not data:
            raise EOFError("the server closed the connection")
        self.wire += data

    def _decode(self) -> None:
        """Move the next piece of the body from the wire (de-chunked), reading the socket if need be."""
        while True:
            if not self.chunked and self.wire:
                self.body, self.wire = self.body + self.wire, b""
                return
            line_end = self.wire.find(b"\r\n")
            if self.chunked and line_end >= 0:
                size, start = int(self.wire[:line_end], 16), line_end + 2
                if size == 0:
                    raise EOFError("the response ended")
                if len(self.wire) >= start + size + 2:
                    assert self.wire[start + size:start + size + 2] == b"\r\n", "a chunk is cut or overrun"
                    self.body += self.wire[start:start + size]
                    self.wire = self.wire[start + size + 2:]
                    return
            self._recv()

    def frame(self) -> tuple[float, bytes]:
        """The next whole part: (when its frame was taken, its JPEG)."""
        while True:
            head_end = self.body.find(b"\r\n\r\n")
            if head_end >= 0:
                head = self.body[:head_end].decode()
                assert head.startswith("--frame\r\n"), f"a part starts with {head[:20]!r}"
                fields = dict(line.split(": ", 1) for line in head.split("\r\n")[1:])
                start = head_end + 4
                end = start + int(fields["Content-Length"])
                if len(self.body) >= end + 2:
                    jpeg = self.body[start:end]
                    assert self.body[end:end + 2] == b"\r\n"
                    self.body = self.body[end + 2:]
                    self.part_headers = fields
                    return float(fields["X-Frame-Time"]), jpeg
            self._decode()

    def until(self, text: str) -> str:
        """Event stream text up to and including the first *text*."""
        while text not in self.body.decode(errors="replace"):
            self._decode()
        return self.body.decode(errors="replace")

    def line_after(self, prefix: str) -> str:
        """The rest of the line that follows the first *prefix* in the event stream, once it is whole."""
        while "\n" not in (rest := self.until(prefix).split(prefix, 1)[1]):
            self._decode()
        return rest.split("\n", 1)[0]

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def server(kit, app):
    """The kit's real server for this app, on a free loopback port; the kit and the server are stopped afterwards."""
    server = Server(app, "127.0.0.1", 0, max_viewers=kit.config.web.max_viewers).start()
    yield server
    kit.stop()
    server.stop()


@pytest.fixture
def open_viewer(server):
    """open_viewer(path, **options) -> a RawViewer of the real server for this app; all closed afterwards."""
    opened = []

    def open_viewer(path: str, **options) -> RawViewer:
        opened.append(RawViewer(server.port, path, **options))
        return opened[-1]

    yield open_viewer
    for viewer in opened:
        viewer.close()


