"""What one request to the kit may be: the limits, and judge(), which the server's front (web/front.py) applies
to the first bytes of every request before a thread of the pool is given to it.

    judge(b"GET / HTTP/1.1\\r\\nHost: kit\\r\\n\\r\\n")      # Head(size=29, body=0, expect_continue=False)
    judge(b"GET /" + b"a" * 9000)                        # Refusal("414 URI Too Long", ...)
    judge(b"GET / HTTP/1.1\\r\\nHo")                      # None: not all here yet
"""

from __future__ import annotations

from dataclasses import dataclass

from web.clients import LOCAL, network_of

# What one request may be. Anything bigger is refused before it is read.
MAX_REQUEST_LINE = 8 * 1024
MAX_HEAD = 16 * 1024            # the request line and the headers together
MAX_HEADERS = 100
MAX_BODY = 64 * 1024            # as the app's MAX_CONTENT_LENGTH; a body needs a Content-Length
IDLE_S = 10.0                   # a connection that has sent nothing yet, new or kept alive, is closed after this
REQUEST_S = 5.0                 # from a request's first byte until all of it is here
WORKERS_PER_ADDRESS = 12        # 4 camera and 4 event streams (web/slots.py), and pages


def address_key(address: str | None) -> str | None:
    """Whose share of the kit a request uses: its IPv4 address, or its IPv6 /64 (a phone may take any address in
    its network's /64); None for the device itself (the kiosk screen), which has no cap."""
    if not address or address in LOCAL:
        return None
    key = network_of(address)
    return None if key in LOCAL else key


@dataclass(frozen=True)
class Refusal:
    """A request refused before it reaches the app: an HTTP status and, in plain words, why."""

    status: str
    reason: str
    retry_after: int | None = None

    def response(self) -> bytes:
        body = (self.reason + "\n").encode()
        retry = f"Retry-After: {self.retry_after}\r\n" if self.retry_after else ""
        return (f"HTTP/1.1 {self.status}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {len(body)}"
                f"\r\n{retry}Connection: close\r\n\r\n").encode() + body


@dataclass(frozen=True)
class Head:
    """A whole request head the kit accepts: *size* bytes, then a body of *body* bytes."""

    size: int
    body: int
    expect_continue: bool

    @property
    def need(self) -> int:
        return self.size + self.body


TOO_SLOW = Refusal("408 Request Timeout", f"The request did not arrive whole within {REQUEST_S:.0f} s.")
BUSY = Refusal("503 Service Unavailable", f"This address already has {WORKERS_PER_ADDRESS} requests in progress, the "
               "most one client may have at once; please try again in a moment.", retry_after=5)
_TOO_LONG_LINE = Refusal("414 URI Too Long", f"The request line is longer than {MAX_REQUEST_LINE // 1024} KB, the "
                                             "most this kit reads.")
_TOO_MANY_HEADERS = Refusal("431 Request Header Fields Too Large", f"The request's headers are longer than "
                            f"{MAX_HEAD // 1024} KB or more than {MAX_HEADERS} lines, the most this kit reads.")
_TOO_BIG_BODY = "The request's body would be {} bytes; this kit takes at most " + f"{MAX_BODY // 1024} KB."


def judge(data: bytes) -> Head | Refusal | None:
    """The first bytes a client sent: a whole head the kit accepts, a refusal, or None (the head is not all here).

    >>> judge(b"GET / HTTP/1.1\\r\\nHost: kit\\r\\n\\r\\n")
    Head(size=29, body=0, expect_continue=False)
    """
    start = 2 if data.startswith(b"\r\n") else 0        # one empty line before a request is allowed (RFC 9112 2.2)
    if data[start:start + 1] == b"\x16":
        return Refusal("400 Bad Request", "This kit speaks plain HTTP: open http://, not https://.")
    line_end = data.find(b"\n", start)
    if line_end - start > MAX_REQUEST_LINE or (line_end < 0 and len(data) - start > MAX_REQUEST_LINE):
        return _TOO_LONG_LINE
    if line_end < 0:
        return None
    ends = [i + n for i, n in ((data.find(b"\n\r\n", line_end), 3), (data.find(b"\n\n", line_end), 2)) if i >= 0]
    size = min(ends) if ends else len(data)
    lines = [line for line in data[line_end + 1:size].splitlines() if line]
    if size - start > MAX_HEAD or len(lines) > MAX_HEADERS:
        return _TOO_MANY_HEADERS
    if not ends:
        return None
    lengths, chunked, expect = set(), False, False
    for line in lines:
        name, _, value = line.partition(b":")
        name, value = name.strip().lower(), value.strip()
        if name == b"content-length":
            lengths.add(value)
        elif name == b"transfer-encoding":
            chunked = True
        elif name == b"expect":
            expect = value.lower() == b"100-continue"
    if chunked:
        return Refusal("411 Length Required", f"This kit takes a request body only with a Content-Length, of at "
                                              f"most {MAX_BODY // 1024} KB (not in chunks).")
    if len(lengths) > 1 or not all(value.isdigit() for value in lengths):
        return Refusal("400 Bad Request", "The request's Content-Length is not one whole number.")
    length = lengths.pop() if lengths else b"0"
    if len(length) > 12 or int(length) > MAX_BODY:
        return Refusal("413 Content Too Large", _TOO_BIG_BODY.format(int(length[:12]) if len(length) <= 12
                                                                     else "more than 10^12"))
    return Head(size, int(length), expect and int(length) > 0)
