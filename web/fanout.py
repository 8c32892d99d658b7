"""One writer per live stream: every camera viewer is fed from one thread, every event viewer from another.

Why: with a thread per viewer, each new frame woke thirty threads that each took the GIL to send the same
bytes, and with thirty phones thread switching was a third of the kit's CPU (perf: futex waits and wake-ups).
Here a stream's response starts in its own server thread (status line, headers, the first part), which then
hands the connection to the fan-out and sleeps until the viewer leaves. The fan-out's thread makes each part
once and writes it to every viewer that is ready for it, without ever blocking: what a socket does not take
at once stays with that viewer and goes first next time.

    frames = FrameFanout(kit.frames, make_part)        # make_part(view, chunked) -> (index, bytes)
    frames.serve(Viewer(connection, view="public", pacer=FramePacer(sock)), closed=lambda: kit.frames.closed)
"""

from __future__ import annotations

import logging
import os
import select
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from web.server import Connection, FramePacer

logger = logging.getLogger(__name__)

PEER_GONE = select.POLLRDHUP | select.POLLHUP | select.POLLERR
STALLED_S = 30.0        # a camera viewer that takes in no frame for this long is let go


def chunk(payload: bytes) -> bytes:
    """*payload* framed as one HTTP/1.1 chunk (RFC 9112, 7.1), as the server frames what a response yields."""
    return b"%x\r\n%s\r\n" % (len(payload), payload)


def framings(payload: bytes) -> dict[bool, bytes]:
    """{chunked: bytes on the wire}: *payload* as sent in a chunked response, and as sent in a plain one."""
    return {False: payload, True: chunk(payload)}


class Viewer:
    """One viewer's connection, written to by a fan-out once its response has started.

    Until start() (the response's headers are out), what the fan-out sends is kept, so that a viewer can
    join before its first chunk goes out and miss nothing published meanwhile.
    """

    def __init__(self, connection: Connection, *, view: str = "", index: int = 0,
                 pacer: FramePacer | None = None, max_pending: int = 256 * 1024) -> None:
        """*view*, *index* (of the last frame it was sent) and *pacer* are for camera viewers."""
        self.connection = connection
        self.fd = connection.socket.fileno()
        self.view = view
        self.index = index
        self.pacer = pacer
        self.max_pending = max_pending
        self.chunked: bool | None = None       # known at start()
        self.gone = threading.Event()
        self.fed = time.monotonic()             # when it was last sent a frame
        self.pending = b""
        self._early: list[bytes] = []

    @property
    def started(self) -> bool:
        return self.chunked is not None

    def start(self) -> None:
        self.chunked = self.connection.chunked
        early, self._early = b"".join(self._early), []
        if early:
            self.send(framings(early))

    def send(self, framed: dict[bool, bytes]) -> None:
        """Send *framed* (see framings) after anything pending, as far as the socket takes it now; keep
        the rest. A viewer that has stopped reading is let go (a browser reconnects by itself)."""
        if self.gone.is_set():
            return
        if not self.started:
            self._early.append(framed[False])
            if sum(map(len, self._early)) > self.max_pending:
                self.let_go()
            return
        data = framed[bool(self.chunked)]
        if self.pending and len(self.pending) + len(data) > self.max_pending:
            self.let_go()
            return
        self.pending += data
        self.flush()

    def flush(self) -> None:
        """Send what is pending, without waiting."""
        while self.pending and self.started and not self.gone.is_set():
            try:
                written = os.write(self.fd, self.pending)
            except BlockingIOError:
                return
            except InterruptedError:
                continue
            except OSError:             # reset, broken pipe, timed out keepalive: the viewer has gone
                self.gone.set()
                return
            self.pending = self.pending[written:]

    def let_go(self) -> None:
        """Stop sending to this viewer, and wake its own thread at once: no more reading from it (which
        poll() reports) while the response can still be ended properly."""
        if self.gone.is_set():
            return
        self.gone.set()
        try:
            self.connection.socket.shutdown(socket.SHUT_RD)
        except OSError:
            pass

    def wait_until_gone(self, closed: Callable[[], bool]) -> None:
        """Block the viewer's own thread until the viewer hangs up, is let go, or *closed()* is true."""
        poller = select.poll()
        poller.register(self.fd, PEER_GONE)
        while not self.gone.is_set() and not closed():
            if poller.poll(1000):       # hung up or failed; only these events are asked for
                self.gone.set()

    def close_if_broken(self) -> None:
        """A part cut off halfway leaves the response unreadable: end the connection rather than let the
        server finish the response or reuse the connection."""
        if self.pending:
            try:
                self.connection.socket.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class Fanout:
    """Viewers and the one thread that writes to them; the thread runs while anyone is watching.

    Subclasses implement run(opened), which returns when the source ends or watched() is false; open()
    is called when a thread starts, in the thread of the viewer that starts it.
    """

    name = "fanout"

    def __init__(self) -> None:
        self.lock = threading.Lock()        # held while writing, so a viewer never leaves mid-write
        self.viewers: list[Viewer] = []
        self._thread: threading.Thread | None = None
        self.served = 0

    def join(self, viewer: Viewer) -> Viewer:
        """Add *viewer*: from now on it is sent everything (kept until it starts)."""
        if os.get_blocking(viewer.fd):
            raise ValueError("a fan-out writes only to non-blocking sockets")
        with self.lock:
            if viewer in self.viewers:
                return viewer
            self.viewers.append(viewer)
            self.served += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, args=(self.open(),), name=self.name,
                                                daemon=True)
                self._thread.start()
        return viewer

    def serve(self, viewer: Viewer, closed: Callable[[], bool]) -> None:
        """Start *viewer* (joining it if need be), block until it has gone or *closed()*, remove it."""
        self.join(viewer)
        try:
            with self.lock:
                viewer.start()
            viewer.wait_until_gone(closed)
        finally:
            self.leave(viewer)

    def leave(self, viewer: Viewer) -> None:
        with self.lock:
            if viewer in self.viewers:
                self.viewers.remove(viewer)
        viewer.close_if_broken()

    def watched(self) -> bool:
        """Whether anyone is watching; if not, the thread is forgotten and run() must return."""
        with self.lock:
            if self.viewers:
                return True
            self._thread = None
            return False

    def waiting(self) -> bool:
        """Whether some viewer has bytes its socket did not take yet."""
        return any(viewer.pending for viewer in list(self.viewers))

    def open(self) -> Any:
        return None

    def run(self, opened: Any) -> None:
        raise NotImplementedError

    def _run(self, opened: Any) -> None:
        try:
            self.run(opened)
        except Exception:
            logger.exception("%s failed; its viewers are let go and reconnect", self.name)
        finally:
            with self.lock:
                if self._thread is threading.current_thread():     # the source ended, or run() failed
                    self._thread = None
                    for viewer in self.viewers:
                        viewer.gone.set()


class FrameFanout(Fanout):
    """Each new camera frame to every viewer that has taken in the last one (FramePacer)."""

    name = "fanout-frames"

    def __init__(self, frames: Any, make_part: Callable[[str, bool], tuple[int, bytes]]) -> None:
        """*make_part(view, chunked)* is (frame index, the latest frame as a part, framed as an HTTP
        chunk if *chunked*), made once per frame, view and framing."""
        super().__init__()
        self.frames = frames
        self.make_part = make_part
        self.held_back = 0      # frames a viewer was not sent because it had not taken in the last one
        self.stalled_s = STALLED_S
        self.let_go = 0         # viewers that took no frame for stalled_s

    def run(self, opened: Any) -> None:
        last = 0
        while self.watched():
            # While a part waits half sent, come back soon for it even if no frame arrives.
            frame = self.frames.wait_newer(last, timeout=0.05 if self.waiting() else 1.0)
            if self.frames.closed:
                return
            parts: dict[tuple[str, bool], tuple[int, bytes]] = {}
            now = time.monotonic()
            with self.lock:
                for viewer in self.viewers:
                    if viewer.pending or not viewer.started:
                        viewer.flush()
                    elif frame is None:
                        continue
                    elif viewer.pacer is not None and not viewer.pacer.ready():
                        self.held_back += 1
                    else:
                        key = (viewer.view, bool(viewer.chunked))
                        if key not in parts:
                            parts[key] = self.make_part(*key)
                        index, part = parts[key]
                        if index > viewer.index:        # not the frame its own thread sent it first
                            viewer.send({key[1]: part})
                            viewer.index, viewer.fed = index, now
                            if viewer.pacer is not None:
                                viewer.pacer.sent(len(part))
                        continue
                    if now - viewer.fed > self.stalled_s and not viewer.gone.is_set():
                        # A tab in the background or a phone asleep: free its place (the cap counts it);
                        # the page starts the stream again when it wakes.
                        viewer.let_go()
                        self.let_go += 1
            if frame is not None:
                last = frame.index


class EventFanout(Fanout):
    """Observations, the live spectrum and the kit's status, made once as text for every event viewer."""

    name = "fanout-events"

    def __init__(self, subscribe: Callable[[], Any], make_text: Callable[[Any], Callable[[float], str]]) -> None:
        """*subscribe()* opens a subscription to observations; *make_text(subscription)* returns
        next_text(timeout), the events to send now (waiting up to *timeout* s for some), or ''."""
        super().__init__()
        self.subscribe = subscribe
        self.make_text = make_text

    def open(self) -> Any:
        return self.subscribe()     # at once, so that the viewer that starts the thread misses nothing

    def run(self, subscription: Any) -> None:
        with subscription:
            next_text = self.make_text(subscription)
            while self.watched() and not subscription.closed:
                text = next_text(0.1 if self.waiting() else 0.5).encode()
                framed = framings(text) if text else {}
                with self.lock:
                    for viewer in self.viewers:
                        if framed:
                            viewer.send(framed)
                        else:
                            viewer.flush()
