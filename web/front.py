"""The server's front: one thread that holds each connection until its whole request is here, so that a slow,
idle or oversized request never holds a thread of cheroot's pool (web/server.py says why).

It looks at what a connection has sent without taking it (MSG_PEEK: the bytes stay in the kernel's receive
buffer, so a 100 MB request line costs the kit no memory) and judges it (web/limits.py): refused with a 4xx
and a reason, handed to the pool once head and body are all here, or left to wait, with a deadline. One client
address has at most WORKERS_PER_ADDRESS requests in the pool at once; the device's own screen has no cap.

    front = Front(cheroot_server, max_waiting=512).start()     # accepts on cheroot_server.socket
    front.returned(conn, keep=True)                             # from the pool: wait for its next request
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import queue
import select
import socket
import struct
import termios
import threading
import time
from collections import Counter, OrderedDict
from typing import Any

from cheroot.makefile import MakeFile

from web import limits
from web.limits import Head, Refusal

logger = logging.getLogger(__name__)

UNREAD_BYTES = 64 * 1024        # a kept-alive client's next request waits while this much of its last answer is unread
LINGER_S, LINGER_BYTES = 2.0, 1 << 20   # after a refusal, what the client still sends is read and dropped for a
TICK_S = 0.25                           # while, so that the refusal reaches it instead of a reset
_EDGE = select.EPOLLIN | select.EPOLLRDHUP | select.EPOLLET
_GONE = select.EPOLLRDHUP | select.EPOLLHUP | select.EPOLLERR
_OUT_OF_FILES = (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM)


def _queued(fd: int, request: int) -> int:
    """Bytes in a socket's receive queue (FIONREAD) or send queue (TIOCOUTQ), without touching them."""
    return struct.unpack("i", fcntl.ioctl(fd, request, b"\0\0\0\0"))[0]


class _Waiting:
    """A connection the front holds until its request is all here."""

    __slots__ = ("conn", "fd", "key", "since", "first_byte", "head", "buffered", "continued")

    def __init__(self, conn: Any, buffered: bytes = b"") -> None:
        self.conn, self.fd, self.key = conn, conn.socket.fileno(), limits.address_key(conn.remote_addr)
        self.since = time.monotonic()
        self.first_byte = self.since if buffered else None
        self.head: Head | None = None
        self.buffered = buffered        # a kept-alive connection's next request, partly read by the pool already
        self.continued = False

    @property
    def deadline(self) -> float:
        return self.since + limits.IDLE_S if self.first_byte is None else self.first_byte + limits.REQUEST_S

    def examine(self) -> Refusal | bool:
        """Whether the whole request is here (True), is refused, or is not all here yet (False)."""
        arrived = len(self.buffered) + _queued(self.fd, termios.FIONREAD)
        if arrived and self.first_byte is None:
            self.first_byte = time.monotonic()
        if self.head is None and arrived:
            peek = min(arrived, limits.MAX_HEAD + 3) - len(self.buffered)
            data = self.buffered + (self.conn.socket.recv(peek, socket.MSG_PEEK | socket.MSG_DONTWAIT)
                                    if peek > 0 else b"")
            judged = limits.judge(data)
            if isinstance(judged, Refusal):
                return judged
            self.head = judged
        if self.head is None:
            return False
        if arrived >= self.head.need:
            return True
        if self.head.expect_continue and not self.continued:
            self.continued = True
            os.write(self.fd, b"HTTP/1.1 100 Continue\r\n\r\n")      # not socket.send: that waits, with a timeout
        return False


def _unregister(epoll: select.epoll, fd: int) -> None:
    try:
        epoll.unregister(fd)
    except (OSError, ValueError):
        pass


def _close(conn: Any) -> None:
    try:
        conn.close()
    except OSError:
        pass


class _Lingering:
    """Refused connections, whose clients may still be sending: what they send is read and dropped for LINGER_S
    (LINGER_BYTES at most), so that the refusal reaches them instead of a reset."""

    def __init__(self, epoll: select.epoll) -> None:
        self.epoll = epoll
        self.entries: dict[int, list] = {}      # fd: [connection, until, bytes it may still send]
        self._scratch = memoryview(bytearray(64 * 1024))

    def __contains__(self, fd: int) -> bool:
        return fd in self.entries

    def add(self, fd: int, conn: Any, refusal: Refusal) -> None:
        try:
            os.write(fd, refusal.response())        # the socket is non-blocking; socket.send would wait
            conn.socket.shutdown(socket.SHUT_WR)
            self.epoll.register(fd, _EDGE)
        except OSError:
            return _close(conn)
        self.entries[fd] = [conn, time.monotonic() + LINGER_S, LINGER_BYTES]
        self.drain(fd, 0)

    def drain(self, fd: int, events: int) -> None:
        entry = self.entries[fd]
        try:
            while (unread := _queued(fd, termios.FIONREAD)) > 0:
                got = entry[0].socket.recv_into(self._scratch, min(unread, len(self._scratch)), socket.MSG_DONTWAIT)
                entry[2] -= got
                if not got or entry[2] <= 0:
                    return self.close(fd)
        except OSError:
            return self.close(fd)
        if events & _GONE:
            self.close(fd)

    def expire(self, now: float) -> None:
        for fd in [fd for fd, (_, until, _) in self.entries.items() if now >= until]:
            self.close(fd)

    def close(self, fd: int) -> None:
        _unregister(self.epoll, fd)
        _close(self.entries.pop(fd)[0])


class Front:
    """Accepts connections on a cheroot server's socket; hands each to its pool when its request is all here,
    and takes back (returned()) those kept alive for their next request."""

    def __init__(self, server: Any, *, max_waiting: int) -> None:
        self.server = server
        self.max_waiting = max_waiting      # connections waiting for a request; beyond, the oldest is let go
        self.waiting: OrderedDict[int, _Waiting] = OrderedDict()       # by fd, oldest first
        self.held: set[int] = set()         # all here, but their address has its share of the pool
        self.in_pool: dict[Any, str | None] = {}    # connection: its address's key
        self.per_key: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._back: queue.SimpleQueue = queue.SimpleQueue()
        self._wake = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
        self._epoll = select.epoll()
        self.lingering = _Lingering(self._epoll)
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="http-front", daemon=True)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def start(self) -> Front:
        self._listener = self.server.socket
        self._listener.setblocking(False)
        self._epoll.register(self._listener.fileno(), select.EPOLLIN)
        self._epoll.register(self._wake, select.EPOLLIN)
        self._thread.start()
        return self

    def returned(self, conn: Any, *, keep: bool) -> None:
        """From a thread of the pool: it is done with *conn*, which is closed, or kept alive (*keep*)."""
        with self._lock:
            key = self.in_pool.pop(conn, None)
            if key is not None:
                self.per_key[key] -= 1
                if self.per_key[key] <= 0:
                    del self.per_key[key]
            stopped = self._stopped
            if not stopped and (keep or self.held):
                self._back.put(conn if keep else None)      # None: a held request may go now
                os.eventfd_write(self._wake, 1)
        if stopped and keep:
            conn.close()

    def stop(self) -> None:
        """Accept nothing more and close every connection not in the pool (those are the pool's to end)."""
        with self._lock:
            self._stopped = True
            os.eventfd_write(self._wake, 1)
        self._thread.join(2.0)
        for fd in list(self.waiting):
            self._close(fd)
        for fd in list(self.lingering.entries):
            self.lingering.close(fd)
        while not self._back.empty():
            if (conn := self._back.get()) is not None:
                conn.close()
        self._epoll.close()
        os.close(self._wake)

    def end_in_pool(self) -> None:
        """Shut every connection the pool still has, so that no thread of it waits on a client at shutdown."""
        with self._lock:
            connections = list(self.in_pool)
        for conn in connections:
            try:
                conn.socket.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    # ---- the front's own thread
    def _run(self) -> None:
        next_tick = 0.0
        while not self._stopped:
            for fd, events in self._epoll.poll(TICK_S):
                self._guarded(self._event, fd, events)
            if time.monotonic() >= next_tick:
                self._guarded(self._tick, time.monotonic())
                next_tick = time.monotonic() + TICK_S

    def _guarded(self, handle, *args) -> None:
        try:
            handle(*args)
        except Exception:       # the front must go on: a server that accepts nothing is a dead kit
            logger.exception("the web server's front failed in %s; it goes on", handle.__name__)

    def _event(self, fd: int, events: int) -> None:
        if fd == self._wake:
            self._take_back()
        elif fd in self.lingering:
            self.lingering.drain(fd, events)
        elif fd in self.waiting:
            entry = self.waiting[fd]
            try:
                verdict = entry.examine()
                if verdict is True:
                    return self._dispatch(entry)
            except OSError:
                return self._close(fd)
            if isinstance(verdict, Refusal):
                self._refuse(fd, verdict)
            elif events & _GONE:
                self._close(fd)         # gone before its request was all here
        elif fd == self._listener.fileno():
            self._accept()

    def _accept(self) -> None:
        for _ in range(64):
            try:
                sock, address = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                if exc.errno in _OUT_OF_FILES:
                    logger.warning("out of file descriptors: the oldest connection waiting for a request is closed")
                    if self.waiting:
                        self._close(next(iter(self.waiting)))
                    else:
                        time.sleep(0.05)
                return          # else the client gave up before it was accepted
            sock.settimeout(self.server.timeout)
            conn = self.server.ConnectionClass(self.server, sock, MakeFile)
            conn.remote_addr, conn.remote_port, conn.ssl_env = address[0], address[1], {}
            self._wait(conn)

    def _wait(self, conn: Any, buffered: bytes = b"") -> None:
        if len(self.waiting) >= self.max_waiting:
            self._close(next(iter(self.waiting)))      # the oldest waiting connection makes room
        entry = _Waiting(conn, buffered)
        self.waiting[entry.fd] = entry
        self._epoll.register(entry.fd, _EDGE)      # reports at once what is already there
        if buffered:
            self._event(entry.fd, 0)

    def _take_back(self) -> None:
        try:
            os.eventfd_read(self._wake)
        except BlockingIOError:
            pass
        while not self._back.empty():
            if (conn := self._back.get()) is not None:
                self._wait(conn, bytes(conn.rfile.peek(0)) if conn.rfile.has_data() else b"")
        self._dispatch_held()

    def _dispatch(self, entry: _Waiting) -> None:
        """Hand *entry* to the pool, unless its address has its share of it already, or it has not read the
        last answer (a client that sends requests and reads nothing would hold a thread on every write)."""
        if self._full(entry.key) or _queued(entry.fd, termios.TIOCOUTQ) > UNREAD_BYTES:
            self.held.add(entry.fd)
            return
        self._forget(entry.fd)
        with self._lock:
            self.in_pool[entry.conn] = entry.key
            if entry.key is not None:
                self.per_key[entry.key] += 1
        entry.conn.front = self
        self.server.process_conn(entry.conn)

    def _full(self, key: str | None) -> bool:
        return key is not None and self.per_key[key] >= limits.WORKERS_PER_ADDRESS

    def _dispatch_held(self) -> None:
        for fd in list(self.held):
            self.held.discard(fd)
            try:
                self._dispatch(self.waiting[fd])
            except OSError:
                self._close(fd)

    def _tick(self, now: float) -> None:
        self._dispatch_held()
        for fd, entry in list(self.waiting.items()):
            if now < entry.deadline:
                continue
            if entry.first_byte is None:
                self._close(fd)     # never said a word (a browser's spare connection): let it go quietly
            else:
                self._refuse(fd, limits.BUSY if fd in self.held and self._full(entry.key) else limits.TOO_SLOW)
        self.lingering.expire(now)

    def _refuse(self, fd: int, refusal: Refusal) -> None:
        conn = self._forget(fd)
        logger.debug("refused %s from %s: %s", refusal.status, conn.remote_addr, refusal.reason)
        self.lingering.add(fd, conn, refusal)

    def _forget(self, fd: int) -> Any:
        """Stop watching *fd*; returns its connection."""
        self.held.discard(fd)
        conn = self.waiting.pop(fd).conn
        _unregister(self._epoll, fd)
        return conn

    def _close(self, fd: int) -> None:
        _close(self._forget(fd))
