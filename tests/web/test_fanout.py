"""The live streams on the real server: one writer per stream for every viewer (web/fanout.py), whole parts
on the wire, fresh frames for a slow reader, and nobody held up or left hanging."""

import os
import socket
import threading
import time
from contextlib import contextmanager
from types import SimpleNamespace

import pytest

from device.observations import Observation
from tests.helpers import eventually
from tests.web.conftest import EOI, SOI, RawViewer
from web.fanout import Viewer, chunk, framings


@contextmanager
def reading(viewer: RawViewer):
    """While in the block, a thread takes in every frame *viewer* is sent; yields their capture times."""
    stop, times = threading.Event(), []

    def read() -> None:
        while not stop.is_set():
            times.append(viewer.frame()[0])

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    try:
        yield times
    finally:
        stop.set()
        thread.join(5)


def threads_named(name: str) -> int:
    return sum(thread.name == name for thread in threading.enumerate())


def test_every_viewer_gets_whole_frames_newest_first_from_one_writer(open_viewer, app):
    viewers = [open_viewer("/stream.mjpg") for _ in range(5)] + [open_viewer("/stream.mjpg", http="1.0")]
    for viewer in viewers:
        times = []
        for _ in range(3):
            taken, jpeg = viewer.frame()
            assert jpeg[:2] == SOI and jpeg[-2:] == EOI
            times.append(taken)
        assert times == sorted(times) and len(set(times)) == 3, "each part is a newer frame than the last"
    assert viewers[0].chunked and not viewers[-1].chunked, "HTTP/1.0 gets the parts without chunks"
    assert len(app.extensions["live"].frames.viewers) == 6
    assert threads_named("fanout-frames") == 1


def test_a_viewer_that_hangs_up_is_let_go_and_the_writer_stops(open_viewer, app):
    live, slots = app.extensions["live"], app.extensions["viewers"]["camera"]
    viewer = open_viewer("/stream.mjpg")
    viewer.frame()
    assert slots.active == 1
    viewer.close()
    assert eventually(lambda: slots.active == 0 and not live.frames.viewers), "its slot is freed"
    assert eventually(lambda: threads_named("fanout-frames") == 0), "nobody watches: the writer stops"
    again = open_viewer("/stream.mjpg")
    assert again.frame()[1][:2] == SOI, "the next viewer starts it again"


def test_every_event_viewer_gets_what_is_published_once_it_has_the_status(open_viewer, app, kit):
    viewers = [open_viewer("/events") for _ in range(3)]
    for viewer in viewers:
        assert viewer.until("event: status").startswith("retry: ")
    kit.observations.publish(Observation(time.time(), "phone", "correlation", "visitor:x", {"marker": "fan-out"}))
    for viewer in viewers:
        assert '"marker":"fan-out"' in viewer.until('"marker":"fan-out"').replace(" ", "")
    assert threads_named("fanout-events") == 1


def test_a_slow_reader_gets_fresh_frames_and_holds_nobody_up(open_viewer, kit, client):
    slow = open_viewer("/stream.mjpg", maxseg=1460, recv_size=4096)
    fast = open_viewer("/stream.mjpg", maxseg=1460)
    with reading(fast) as fast_frames:
        first = kit.frames.latest.index
        behind = []
        for _ in range(12):             # one frame every 0.3 s, while the camera makes one every 0.067 s
            taken, _ = slow.frame()
            behind.append(kit.frames.latest.ts - taken)
            time.sleep(0.3)             # the slow reader's pace is the point here, not a wait
        published = kit.frames.latest.index - first
    assert max(behind[2:]) < 1.0, f"the slow reader got frames {max(behind):.2f} s behind the camera"
    assert len(fast_frames) >= published / 2, f"the fast reader got {len(fast_frames)} of {published} frames"
    held_back = client.get("/api/status").json["viewers"]["camera"]["frames_held_back"]
    assert held_back >= published / 2, "the frames the slow reader skipped are counted and shown"


def test_a_viewer_that_takes_no_frame_for_a_while_is_let_go(open_viewer, app, client):
    """A tab in the background, a phone asleep: its place under the cap is freed; its stream ends."""
    live, slots = app.extensions["live"], app.extensions["viewers"]["camera"]
    live.frames.stalled_s = 1.0
    asleep = open_viewer("/stream.mjpg", maxseg=1460, recv_size=4096)
    asleep.frame()
    with reading(open_viewer("/stream.mjpg")) as seen:
        assert eventually(lambda: slots.active == 1), "the sleeping viewer's slot is freed"
        count = len(seen)
        assert eventually(lambda: len(seen) > count + 3), "the viewer that reads goes on"
    with pytest.raises(EOFError):       # what was on its way, then the end of the response
        while True:
            asleep.frame()
    assert client.get("/api/status").json["viewers"]["camera"]["stalled_let_go"] == 1


def test_stopping_the_kit_ends_every_stream(open_viewer, kit):
    cameras = [open_viewer("/stream.mjpg") for _ in range(2)]
    events = [open_viewer("/events") for _ in range(2)]
    for viewer in cameras:
        viewer.frame()
    for viewer in events:
        viewer.until("event: status")
    kit.stop()
    for viewer in cameras + events:
        with pytest.raises(EOFError):
            while True:
                viewer._decode()
                viewer.body = b""


@pytest.fixture
def pair():
    """pair(buffer_bytes) -> a connected pair of sockets, the first the server's side (non-blocking, as the
    server's are); closed afterwards."""
    made = []

    def pair(buffer_bytes: int = 4096):
        ours, theirs = socket.socketpair()
        made.extend((ours, theirs))
        ours.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, buffer_bytes)
        theirs.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, buffer_bytes)
        ours.settimeout(10)
        return ours, theirs

    yield pair
    for sock in made:
        sock.close()


def test_what_a_socket_does_not_take_at_once_follows_in_order(pair):
    ours, theirs = pair()
    viewer = Viewer(SimpleNamespace(socket=ours, chunked=True))
    viewer.start()
    payloads = [os.urandom(200_000), os.urandom(50_000)]
    for payload in payloads:
        viewer.send(framings(payload))
    assert viewer.pending, "the socket took only part of it"
    received = b""
    theirs.settimeout(5)
    while len(received) < sum(len(chunk(p)) for p in payloads):
        received += theirs.recv(65536)
        viewer.flush()
    assert received == b"".join(chunk(p) for p in payloads) and not viewer.pending


def test_a_viewer_that_stops_reading_is_let_go_and_its_connection_ended(pair):
    ours, theirs = pair()
    viewer = Viewer(SimpleNamespace(socket=ours, chunked=False), max_pending=64 * 1024)
    viewer.start()
    for _ in range(40):
        viewer.send(framings(b"event: x\ndata: " + b"y" * 4000 + b"\n\n"))
    assert viewer.gone.is_set() and len(viewer.pending) <= 64 * 1024
    viewer.close_if_broken()
    theirs.settimeout(5)
    while theirs.recv(65536):       # what was sent arrives, then the end: no hang
        pass


def test_what_is_sent_before_the_response_starts_is_kept_and_framed_when_it_does(pair):
    ours, theirs = pair(65536)
    connection = SimpleNamespace(socket=ours, chunked=None)
    viewer = Viewer(connection)
    viewer.send(framings(b"event: a\n\n"))
    viewer.send(framings(b"event: b\n\n"))
    theirs.setblocking(False)
    with pytest.raises(BlockingIOError):
        theirs.recv(100)
    connection.chunked = True           # the server's headers are out, in chunked encoding
    viewer.start()
    theirs.settimeout(5)
    assert theirs.recv(100) == chunk(b"event: a\n\nevent: b\n\n")
