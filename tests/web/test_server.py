"""The kit's server in a hostile room: every request bounded before a thread is given to it (web/front.py,
web/limits.py), slow and idle clients held without threads, a thread budget per client address, a cap of streams
per address, and a request of its own that tells the watchdog it still answers."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from flask import Flask

from tests.helpers import eventually
from web.limits import MAX_BODY, Head, Refusal, address_key, judge
from web.server import Server
from web.slots import ViewerSlots

ROOT = Path(__file__).resolve().parents[2]
MB = 1 << 20


def ask(port: int, data: bytes, *, source: str | None = None, timeout: float = 10.0) -> bytes:
    """Send *data* on a new connection; everything the server answers until it closes the connection."""
    with socket.socket() as sock:
        if source:
            sock.bind((source, 0))
        sock.settimeout(timeout)
        sock.connect(("127.0.0.1", port))
        sock.sendall(data)
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except ConnectionResetError:
            pass
        return answer


def status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def flood(port: int, head: bytes, filler: bytes, total: int, *, deadline_s: float = 60.0) -> tuple[bytes, int]:
    """Send *head*, then *filler* again and again up to *total* bytes, while reading the answer: (the answer,
    how many bytes had been sent when it began to arrive)."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.settimeout(deadline_s)
    sent = [0]

    def send() -> None:
        try:
            sock.sendall(head)
            while sent[0] < total:
                sock.sendall(filler)
                sent[0] += len(filler)
        except OSError:         # the server said no, and closed the connection
            pass

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    answer, answered_at = b"", total
    try:
        while data := sock.recv(65536):
            if not answer:
                answered_at = sent[0]
            answer += data
    except OSError:
        pass
    sender.join(deadline_s)
    sock.close()
    return answer, answered_at


HUGE_LINE = (b"GET /", b"a" * MB)
HUGE_HEADERS = (b"GET / HTTP/1.1\r\nHost: kit\r\n", b"X-Padding: " + b"p" * 1000 + b"\r\n")
HUGE_CHUNKED = (b"POST /you/forget HTTP/1.1\r\nHost: kit\r\nTransfer-Encoding: chunked\r\n\r\n",
                b"%x\r\n%s\r\n" % (MB, b"a" * MB))


def test_judge_reads_only_the_head_and_says_why_it_refuses():
    assert judge(b"GET / HTTP/1.1\r\nHost: kit\r\n\r\n") == Head(29, 0, False)
    expecting = b"\r\nPOST /x HTTP/1.1\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n"
    assert judge(expecting) == Head(len(expecting), 10, True), "one empty line first is allowed"
    assert judge(b"GET / HTTP/1.1\r\nHost: ki") is None
    assert judge(b"GET /" + b"a" * 8000) is None, "still within the request line's limit"
    post = b"POST / HTTP/1.1\r\n"
    for data, code in ((b"GET /" + b"a" * 9000, 414),
                       (b"GET / HTTP/1.1\r\n" + b"X: y\r\n" * 101 + b"\r\n", 431),
                       (b"GET / HTTP/1.1\r\nX: " + b"y" * 17000, 431),
                       (post + b"Transfer-Encoding: chunked\r\n\r\n", 411),
                       (post + b"Content-Length: %d\r\n\r\n" % (MAX_BODY + 1), 413),
                       (post + b"Content-Length: " + b"9" * 5000 + b"\r\n\r\n", 413),
                       (post + b"Content-Length: -1\r\n\r\n", 400),
                       (post + b"Content-Length: 1\r\nContent-Length: 2\r\n\r\n", 400),
                       (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 400)):
        refusal = judge(data)
        assert isinstance(refusal, Refusal) and int(refusal.status[:3]) == code, (data[:40], refusal)
        assert refusal.reason and refusal.response().startswith(b"HTTP/1.1 %d " % code)


def test_a_client_address_is_its_ipv4_address_or_its_ipv6_64_and_the_device_itself_has_none():
    assert address_key("192.168.4.23") == "192.168.4.23"
    assert address_key("2001:db8:1:2:a::1") == address_key("2001:db8:1:2:b::9") == "2001:db8:1:2::/64"
    assert address_key("::ffff:192.168.4.23") == "192.168.4.23"
    assert address_key("127.0.0.1") is address_key("::1") is address_key("::ffff:127.0.0.1") is None


def test_a_100_mb_request_line_is_refused_before_it_is_read(server):
    answer, sent = flood(server.port, *HUGE_LINE, 100 * MB)
    assert status(answer) == 414 and b"longer than 8 KB" in answer
    assert sent < 50 * MB, f"the answer came after {sent / MB:.0f} MB: the kit read the line whole"


@pytest.mark.parametrize("request_head, expected", [
    (b"GET /?q=" + b"a" * 9000 + b" HTTP/1.1\r\nHost: kit\r\n\r\n", 414),
    (b"GET / HTTP/1.1\r\nHost: kit\r\nCookie: " + b"c" * 20000 + b"\r\n\r\n", 431),
    (b"GET / HTTP/1.1\r\nHost: kit\r\n" + b"X-A: b\r\n" * 150 + b"\r\n", 431),
    (b"POST /you/forget HTTP/1.1\r\nHost: kit\r\nContent-Length: %d\r\n\r\n" % (10 * MB), 413),
    (b"POST /you/forget HTTP/1.1\r\nHost: kit\r\nTransfer-Encoding: chunked\r\n\r\n", 411),
    (b"POST /you/forget HTTP/1.1\r\nHost: kit\r\nContent-Length: ten\r\n\r\n", 400),
    (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(500), 400),
], ids=["request line", "header size", "header count", "body", "chunked body", "bad length", "https"])
def test_requests_beyond_the_limits_get_a_4xx_with_a_reason_before_any_body_is_sent(server, request_head, expected):
    started = time.monotonic()
    answer = ask(server.port, request_head)
    assert status(answer) == expected and b"Connection: close" in answer and len(answer.split(b"\r\n\r\n")[1]) > 20
    assert time.monotonic() - started < 5, "answered at once, not after a timeout"


def test_a_chunked_body_is_refused_however_long_it_goes_on(server):
    answer, sent = flood(server.port, *HUGE_CHUNKED, 100 * MB)
    assert status(answer) == 411 and b"Content-Length" in answer
    assert sent < 50 * MB


@pytest.mark.parametrize("request_head", [
    b"GARBAGE\r\n\r\n", b"GET / HTTP/1.1\r\nNo colon here\r\n\r\n", b"GET /%ff%fe\xff HTTP/1.1\r\nHost: k\r\n\r\n",
    b"GET / HTTP/9.9\r\nHost: kit\r\n\r\n", b"GET / HTTP/1.1\nHost: kit\n\n", b"\r\n\r\n",
    b"GET /api/observations?limit=%C2%B2 HTTP/1.1\r\nHost: kit\r\n\r\n"])
def test_a_malformed_request_gets_a_4xx_never_a_500_or_silence(server, request_head):
    code = status(ask(server.port, request_head, timeout=15))
    assert 400 <= code < 500 or code == 505, code       # 505: HTTP/9.9 is not a version this kit speaks


def test_keep_alive_pipelining_expect_continue_and_http_1_0_still_work(server):
    two = ask(server.port, b"GET /api/kinds HTTP/1.1\r\nHost: kit\r\n\r\n"
                           b"GET /api/status HTTP/1.1\r\nHost: kit\r\nConnection: close\r\n\r\n")
    assert two.count(b"HTTP/1.1 200 OK") == 2
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"POST /you/forget HTTP/1.1\r\nHost: kit\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                     b"Content-Length: 5\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n")
        assert sock.recv(100).startswith(b"HTTP/1.1 100 Continue\r\n\r\n"), "the body is asked for"
        sock.sendall(b"a=b&c")
        final = b""
        while data := sock.recv(65536):
            final += data
    assert re.search(rb"HTTP/1.1 4\d\d ", final), "the app's own answer (no CSRF token: 4xx)"
    assert status(ask(server.port, b"GET /api/kinds HTTP/1.0\r\n\r\n")) == 200


@contextmanager
def slow_clients(port: int, count: int):
    """*count* connections that send a request a little at a time, as slowloris does: half of them a header
    line every second, half a body of 1,000 bytes one byte a second. Yields them; closed afterwards."""
    with ExitStack() as stack:
        socks, stop = [], threading.Event()
        for i in range(count):
            sock = stack.enter_context(socket.create_connection(("127.0.0.1", port), timeout=10))
            sock.sendall(b"GET / HTTP/1.1\r\nHost: kit\r\n" if i % 2 else
                         b"POST /you/forget HTTP/1.1\r\nHost: kit\r\nContent-Length: 1000\r\n\r\n")
            socks.append(sock)

        def trickle() -> None:
            while not stop.wait(1.0):
                for i, sock in enumerate(socks):
                    try:
                        sock.sendall(b"X-Slow: 1\r\n" if i % 2 else b"a")
                    except OSError:
                        pass

        thread = threading.Thread(target=trickle, daemon=True)
        thread.start()
        stack.callback(thread.join, 5)
        stack.callback(stop.set)
        yield socks


def timed_get(port: int, path: str) -> tuple[int, float]:
    started = time.monotonic()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
        response.read()
        return response.status, time.monotonic() - started


def test_300_slow_clients_hold_no_thread_and_pages_answer_within_a_second(server):
    with slow_clients(server.port, 300) as socks:
        for _ in range(3):
            for path in ("/", "/api/status"):
                code, seconds = timed_get(server.port, path)
                assert code == 200 and seconds < 1.0, f"{path} took {seconds:.2f} s with 300 slow clients"
            time.sleep(0.5)     # the slow clients' pace, not a wait for the kit
        for sock in socks[:2]:      # a slow body, slow headers
            assert sock.recv(200).startswith(b"HTTP/1.1 408 "), "a request not whole within 5 s is refused"


WAIT = b"GET /wait HTTP/1.1\r\nHost: kit\r\nConnection: close\r\n\r\n"


def blocking_app():
    """A small app whose /wait holds its thread until released (or 10 s); counts how many wait at once."""
    app, release, lock = Flask(__name__), threading.Event(), threading.Lock()
    app.waiting = app.most_waiting = 0

    @app.get("/wait")
    def wait():
        with lock:
            app.waiting += 1
            app.most_waiting = max(app.most_waiting, app.waiting)
        release.wait(10)
        with lock:
            app.waiting -= 1
        return "done"

    @app.get("/ok")
    @app.get("/healthz")
    def ok():
        return "ok"

    @app.get("/page")
    def page():
        return "p" * 16384

    app.release = release
    return app


@pytest.fixture
def blocking_server():
    app = blocking_app()
    server = Server(app, "127.0.0.1", 0, max_viewers=6).start()       # 2 * 6 + 8 = 20 threads
    yield server, app
    app.release.set()
    server.stop()


def test_one_client_address_cannot_take_every_thread(blocking_server):
    server, app = blocking_server
    answers = []
    threads = [threading.Thread(target=lambda: answers.append(ask(server.port, WAIT, source="127.0.0.2")))
               for _ in range(20)]
    for thread in threads:
        thread.start()
    assert eventually(lambda: app.waiting == 12), "one address gets 12 threads at most"
    started = time.monotonic()
    assert status(ask(server.port, b"GET /ok HTTP/1.1\r\nHost: k\r\nConnection: close\r\n\r\n",
                      source="127.0.0.3")) == 200
    assert time.monotonic() - started < 1.0, "another phone is served at once"
    app.release.set()
    for thread in threads:
        thread.join(15)
    assert app.most_waiting == 12 and [status(a) for a in answers] == [200] * 20, "the others were served after"


def test_clients_that_send_requests_and_read_no_answer_do_not_hold_the_threads(blocking_server):
    """Each would hold a thread in a write that waits for it, for as long as the socket's timeout, again and again."""
    server, _ = blocking_server
    deaf = []
    for _ in range(25):         # from the device itself: no cap per address helps here
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", server.port))
        sock.sendall(b"GET /page HTTP/1.1\r\nHost: kit\r\n\r\n" * 200)
        deaf.append(sock)
    try:
        time.sleep(1.0)         # the answers pile up unread
        started = time.monotonic()
        assert status(ask(server.port, b"GET /ok HTTP/1.1\r\nHost: kit\r\nConnection: close\r\n\r\n")) == 200
        assert time.monotonic() - started < 1.0
    finally:
        for sock in deaf:
            sock.close()


def test_the_server_knows_whether_it_answers(blocking_server):
    server, app = blocking_server
    assert server.alive and server.answers()
    # From the device itself, which has no cap: every thread is taken.
    holders = [threading.Thread(target=ask, args=(server.port, WAIT)) for _ in range(20)]
    for holder in holders:
        holder.start()
    assert eventually(lambda: app.waiting == 20)
    assert server.alive and not server.answers(timeout=1.0), "alive, but it does not answer: the watchdog must know"
    app.release.set()
    for holder in holders:
        holder.join(15)
    assert server.answers()


def test_one_address_gets_four_streams_of_each_kind_the_device_itself_more(open_viewer, app):
    for path, slots in (("/stream.mjpg", app.extensions["viewers"]["camera"]),
                        ("/events", app.extensions["viewers"]["events"])):
        phone = [open_viewer(path, source="127.0.0.2") for _ in range(4)]
        assert [viewer.status for viewer in phone] == [200] * 4
        refused = open_viewer(path, source="127.0.0.2")
        assert refused.status == 503 and refused.headers["Retry-After"] == "30"
        assert "already has 4" in refused.until("most one phone may have")
        assert open_viewer(path, source="127.0.0.3").status == 200, "another phone still gets a place"
        assert [open_viewer(path).status for _ in range(6)] == [200] * 6, "the device's own screen has no cap"
        phone[0].close()
        assert eventually(lambda slots=slots: slots.by_address.get("127.0.0.2") == 3), "a place it gives back"
        assert open_viewer(path, source="127.0.0.2").status == 200, "is its own again: first come, first served"


@pytest.fixture
def kit_process(tmp_path):
    """The kit in a process of its own on simulated hardware: (the process, its port)."""
    with subprocess.Popen([sys.executable, "-m", "device", "run", "--camera", "simulated", "--mic", "simulated",
                           "--sensors", "simulated", "--host", "127.0.0.1", "--port", "0",
                           "--data-dir", str(tmp_path / "data")],
                          cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) as process:
        try:
            yield process, int(re.search(r"127\.0\.0\.1:(\d+)/", process.stdout.readline()).group(1))
        finally:
            process.kill()


def rss_mb(pid: int) -> float:
    return int(re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{pid}/status").read_text()).group(1)) / 1024


def test_oversized_requests_at_once_do_not_grow_the_kits_memory(kit_process):
    """The probe that took a kit from 237 to 926 MB (one 100 MB request line; 2.9 GB for four at once)."""
    process, port = kit_process
    for _ in range(3):          # warm: the pages and the API have been made once
        timed_get(port, "/")
        timed_get(port, "/api/status")
    before = max(rss_mb(process.pid) for _ in range(10) if time.sleep(0.1) is None)
    results, peak = [], [before]
    attacks = [threading.Thread(target=lambda attack=attack: results.append(flood(port, *attack, 100 * MB)))
               for attack in (HUGE_LINE, HUGE_LINE, HUGE_LINE, HUGE_LINE, HUGE_HEADERS, HUGE_CHUNKED)]
    for attack in attacks:
        attack.start()
    while any(attack.is_alive() for attack in attacks):
        peak.append(rss_mb(process.pid))
        time.sleep(0.05)
    assert max(peak) - before < 40, f"RSS {before:.0f} MB, {max(peak):.0f} MB during the attack"
    assert sorted(status(answer) for answer, _ in results) == [411, 414, 414, 414, 414, 431]
    assert timed_get(port, "/api/status")[0] == 200


class Clock:
    """A monotonic clock a test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_next_free_place_goes_to_the_phone_that_waited_longest_and_tickets_expire():
    clock = Clock()
    slots = ViewerSlots(1, queue=True, clock=clock)
    assert slots.acquire("phone-a")
    b, c = slots.acquire("phone-b"), slots.acquire("phone-c")
    assert not b and not c and b.ticket and c.ticket and (b.place, c.place) == (1, 2)
    assert 1 <= b.retry_after <= b.wait_s < c.wait_s, "a fair estimate: the second waits longer"
    slots.release("phone-a")
    assert not slots.acquire("phone-c", c.ticket), "the place is held for the first in line"
    assert not slots.acquire("phone-e") and not slots.acquire("phone-c", b.ticket), "nor for a ticket not its own"
    assert slots.acquire("phone-b", b.ticket)
    assert slots.acquire(None), "the device's own screen is never refused nor queued"
    slots.release("phone-b")
    clock.now += 60         # C and E went away without coming back: their tickets expire
    assert slots.acquire("phone-f") and not slots.waiting


def test_the_line_is_bounded_in_all_and_per_address():
    slots = ViewerSlots(1, queue=True, max_waiting=6, clock=Clock())
    assert slots.acquire("phone")
    tickets = [slots.acquire("greedy").ticket for _ in range(6)]
    assert tickets[:4] == [t for t in tickets[:4] if t] and tickets[4:] == [None, None], "four per address"
    assert [bool(slots.acquire(f"phone-{n}").ticket) for n in range(3)] == [True, True, False], "six in all"


@pytest.mark.settings(WEB_MAX_VIEWERS=1)
def test_a_refused_phone_is_given_a_ticket_and_its_turn_when_the_place_frees(open_viewer, app):
    slots = app.extensions["viewers"]["camera"]
    a = open_viewer("/stream.mjpg", source="127.0.0.2")
    b, c = (open_viewer("/stream.mjpg", source=source) for source in ("127.0.0.3", "127.0.0.4"))
    assert (a.status, b.status, c.status) == (200, 503, 503)
    assert (b.headers["Queue-Place"], c.headers["Queue-Place"]) == ("1", "2") and int(c.headers["Retry-After"]) >= 1
    assert "number 2 in line" in c.until("first come, first served")
    a.close()
    assert eventually(lambda: slots.phones == 0)
    asks = (("127.0.0.4", c.headers["Queue-Ticket"]), ("127.0.0.3", b.headers["Queue-Ticket"]))
    assert [open_viewer(f"/stream.mjpg?ticket={ticket}", source=source).status for source, ticket in asks] == [503, 200]
    assert open_viewer("/stream.mjpg").status == 200, "the device's own screen is never queued"
