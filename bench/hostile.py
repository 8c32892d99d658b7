"""Benchmark: a hostile room. What anyone on the kit's Wi-Fi can do to it, measured against the kit in a process
of its own on simulated hardware, on loopback only.

    python bench/hostile.py [--slow 300] [--seconds 15] [--pin-seconds 60] [--visits 1000]

Prints: slowloris connections held while pages still answer, and how fast they answer; the kit's memory before,
during and after oversized requests; PIN guesses checked in a minute from one address and from many; visitor
rows made by bare GET /you; and the seconds from a full disk to storing again once space returns (a small
tmpfs, which needs root and mount; otherwise it says why it could not be measured). Every loop is bounded in
count and in time; "many addresses" are 127.0.x.y, which the kernel keeps on loopback.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from simulated_kit import ROOT, rss_mb

HOST = "127.0.0.1"
MB = 1 << 20
PARTS = ["slowloris", "oversized", "visitors", "pins", "disk"]


@contextmanager
def kit_in(data_dir: Path, **settings: object) -> Iterator[tuple[subprocess.Popen, int]]:
    """The kit on *data_dir* (AWARENESS_KIT_<settings>), serving on loopback: (its process, its port)."""
    env = {**os.environ, **{f"AWARENESS_KIT_{key}": str(value) for key, value in settings.items()}}
    kit = subprocess.Popen([sys.executable, "-m", "device", "run", "--camera", "simulated", "--mic", "simulated",
                            "--sensors", "simulated", "--host", HOST, "--port", "0", "--data-dir", str(data_dir)],
                           cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        port = int(re.search(r"127\.0\.0\.1:(\d+)", kit.stdout.readline()).group(1))
        time.sleep(2.0)         # the pipeline warms up
        yield kit, port
    finally:
        kit.terminate()
        kit.wait(10)


def request(port: int, method: str, path: str, *, body: str = "", headers: dict | None = None,
            source: str | None = None, timeout: float = 10.0) -> tuple[int, bytes, http.client.HTTPResponse]:
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout,
                                            source_address=(source, 0) if source else None)
    try:
        connection.request(method, path, body=body or None, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read(), response
    finally:
        connection.close()


def status(port: int) -> dict:
    return json.loads(request(port, "GET", "/api/status")[1])


def threads(pid: int) -> int:
    return int(re.search(r"Threads:\s+(\d+)", Path(f"/proc/{pid}/status").read_text()).group(1))


def timed(port: int, path: str) -> float:
    """Seconds for a whole answer to GET *path*; inf if none came within 10 s."""
    started = time.monotonic()
    try:
        code = request(port, "GET", path)[0]
    except OSError:
        return float("inf")
    return time.monotonic() - started if code == 200 else float("inf")


def ms(values: list[float]) -> str:
    finite = [v for v in values if v != float("inf")]
    if not finite:
        return f"no answer within 10 s ({len(values)} of {len(values)})"
    slowest = (f"{1000 * max(finite):.0f} ms" if len(finite) == len(values) else
               f"no answer within 10 s ({len(values) - len(finite)} of {len(values)})")
    return f"median {1000 * statistics.median(values):.0f} ms, slowest {slowest}"


# ---- slowloris
class Slowloris(threading.Thread):
    """*count* connections that send a header line every second and never finish; one the kit lets go (a 408)
    is opened again at once, so that *count* are always trying. Runs until *deadline* (time.monotonic())."""

    def __init__(self, port: int, count: int, deadline: float) -> None:
        super().__init__(daemon=True)
        self.port, self.count, self.deadline = port, count, deadline
        self.socks: list[socket.socket] = []
        self.opened = 0

    def run(self) -> None:
        try:
            while time.monotonic() < self.deadline:
                tick = time.monotonic()
                self.socks = [sock for sock in self.socks if self._trickle(sock)]
                while len(self.socks) < self.count and time.monotonic() - tick < 0.5:
                    try:
                        sock = socket.create_connection((HOST, self.port), timeout=1)
                        sock.sendall(b"GET / HTTP/1.1\r\nHost: kit\r\n")
                    except OSError:
                        break
                    sock.setblocking(False)
                    self.socks.append(sock)
                    self.opened += 1
                time.sleep(max(0.0, 1.0 - (time.monotonic() - tick)))
        finally:
            for sock in self.socks:
                sock.close()

    @staticmethod
    def _trickle(sock: socket.socket) -> bool:
        """One more header line; False (and closed) if the kit has answered or closed it."""
        try:
            sock.recv(1, socket.MSG_PEEK)       # an answer (408) or the end: the kit let it go
        except BlockingIOError:
            try:
                sock.send(b"X-Slow: 1\r\n")
                return True
            except OSError:
                pass
        except OSError:
            pass
        sock.close()
        return False


def slowloris(port: int, pid: int, count: int, seconds: float) -> None:
    before = {path: [timed(port, path) for _ in range(5)] for path in ("/", "/api/status")}
    threads_before = threads(pid)
    attack = Slowloris(port, count, time.monotonic() + seconds)
    attack.start()
    held, answers, most_threads = [], {"/": [], "/api/status": []}, threads_before
    time.sleep(2.0)             # the connections are open
    while attack.is_alive():
        held.append(len(attack.socks))
        for path, times in answers.items():
            times.append(timed(port, path))
        most_threads = max(most_threads, threads(pid))
        time.sleep(0.5)
    attack.join()
    print(f"slowloris: {count} connections trying at once for {seconds:.0f} s, a header line a second each "
          f"({attack.opened} opened in all, as the kit let them go); open at once: median "
          f"{statistics.median(held):.0f}; kit threads {threads_before} before, {most_threads} at most")
    for path, times in answers.items():
        print(f"  {path} during the attack ({len(times)} asked): {ms(times)} (before: {ms(before[path])})")


# ---- oversized requests
def flood(port: int, head: bytes, filler: bytes, total: int, seconds: float = 60.0) -> tuple[int, float]:
    """Send *head* then *filler* up to *total* bytes while reading the answer: (its status or 0, MB sent by then)."""
    sock = socket.create_connection((HOST, port))
    sock.settimeout(seconds)
    sent = [0]

    def send() -> None:
        deadline = time.monotonic() + seconds
        try:
            sock.sendall(head)
            while sent[0] < total and time.monotonic() < deadline:
                sock.sendall(filler)
                sent[0] += len(filler)
        except OSError:
            pass

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    answer, at = b"", total
    try:
        while len(answer) < 12 and (data := sock.recv(4096)):
            at = at if answer else sent[0]
            answer += data
    except OSError:
        pass
    sock.close()
    sender.join(seconds)
    code = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0
    return code, at / MB


def oversized(port: int, pid: int) -> None:
    line = (b"GET /", b"a" * MB)
    for count in (1, 4):
        before = rss_mb(pid)
        peak, results = [before], []
        attackers = [threading.Thread(target=lambda results=results: results.append(flood(port, *line, 100 * MB)))
                     for _ in range(count)]
        for attacker in attackers:
            attacker.start()
        while any(attacker.is_alive() for attacker in attackers):
            peak.append(rss_mb(pid))
            time.sleep(0.05)
        time.sleep(1.0)
        codes = ", ".join(sorted({str(code) for code, _ in results}))
        print(f"{count} x a 100 MB request line{' at once' if count > 1 else ''}: answered {codes} after "
              f"{max(mb for _, mb in results):.0f} MB sent at most; kit RSS {before:.0f} MB before, "
              f"{max(peak):.0f} MB at most, {rss_mb(pid):.0f} MB after")


# ---- PIN guesses
def pin_guesses(port: int, sources: list[str], seconds: float, workers: int = 8) -> Counter:
    """Wrong PINs sent for *seconds* by *workers* at once from *sources* in turn: how each was answered."""
    code, html, response = request(port, "GET", "/admin", source=sources[0])
    cookie = "; ".join(value.split(";", 1)[0] for value in response.headers.get_all("Set-Cookie") or [])
    token = re.search(rb'name="csrf" value="([0-9a-f]+)"', html).group(1).decode()
    answered, lock, turn = Counter(), threading.Lock(), iter(range(10**6))
    deadline = time.monotonic() + seconds

    def guess() -> None:
        while time.monotonic() < deadline:
            with lock:
                n = next(turn)
            body = f"csrf={token}&pin={random.randrange(10**6):06d}"
            try:
                code = request(port, "POST", "/admin/login", body=body, source=sources[n % len(sources)], headers={
                    "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})[0]
            except OSError:
                code = 0
            with lock:
                answered[{303: "checked", 429: "refused"}.get(code, str(code))] += 1
            if code == 429:
                time.sleep(0.05)    # what a patient guesser does; the count stays bounded either way

    guessers = [threading.Thread(target=guess) for _ in range(workers)]
    for guesser in guessers:
        guesser.start()
    for guesser in guessers:
        guesser.join(seconds + 30)
    return answered


def pins(seconds: float) -> None:
    many = [f"127.0.{1 + i // 250}.{2 + i % 250}" for i in range(1000)]
    for label, sources in (("one address", ["127.0.0.2"]), (f"{len(many)} addresses", many)):
        with tempfile.TemporaryDirectory() as data, kit_in(Path(data)) as (_, port):
            answered = pin_guesses(port, sources, seconds)
        checked = answered.pop("checked", 0)
        print(f"PIN guesses from {label}: {checked} checked in {seconds:.0f} s ({60 * checked / seconds:.0f} a "
              f"minute), {answered.pop('refused', 0)} refused with 429" +
              (f", other answers {dict(answered)}" if answered else ""))


# ---- visitors
def visitor_rows(database: Path) -> int:
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as conn:
        return conn.execute("SELECT COUNT(*) FROM visitors").fetchone()[0]


def bare_visits(port: int, database: Path, count: int) -> None:
    before, codes, started = visitor_rows(database), Counter(), time.monotonic()
    for _ in range(count):
        codes[request(port, "GET", "/you")[0]] += 1
    elapsed = time.monotonic() - started
    time.sleep(1.5)         # the store's writer has written what it was given
    made = visitor_rows(database) - before
    print(f"{count} x GET /you without a cookie in {elapsed:.1f} s (answers {dict(codes)}): {made} visitor rows "
          f"made ({made / elapsed:.0f} a second)")


# ---- a full disk
def disk_full(size_mb: int = 32) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        mount = Path(scratch) / "small"
        mount.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(mount)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            print(f"disk full: could not be measured here: mounting a {size_mb} MB tmpfs failed "
                  f"({(done.stderr or done.stdout).strip() or done.returncode}); it needs root and mount")
            return
        try:
            _fill_and_free(mount, size_mb)
        finally:
            subprocess.run(["umount", "-l", str(mount)], check=False)


def _poll(port: int, until, seconds: float) -> tuple[float | None, dict]:
    deadline, store = time.monotonic() + seconds, {}
    while time.monotonic() < deadline:
        store = status(port)["store"]
        if until(store):
            return time.monotonic(), store
        time.sleep(0.1)
    return None, store


def _fill_and_free(mount: Path, size_mb: int) -> None:
    with kit_in(mount / "data", STORE_MIN_FREE_MB=10, STORE_FLUSH_INTERVAL_S=0.2) as (_, port):
        _poll(port, lambda store: store["written"] > 0, 30)
        filler = mount / "filler"
        with open(filler, "wb") as out:
            try:
                for _ in range(size_mb + 8):
                    out.write(b"\0" * MB)
                    out.flush()
            except OSError:
                pass
        full = time.monotonic()
        paused, store = _poll(port, lambda store: store.get("state", "storing") != "storing", 30)
        if paused is None:
            print(f"disk full ({size_mb} MB tmpfs filled): storing never paused in 30 s (store status {store})")
            return
        resumed, store = _poll(port, lambda store: store["state"] == "storing", 10)
        state = store["state"]
        filler.unlink()
        freed = time.monotonic()
        written = status(port)["store"]["written"]
        back, store = _poll(port, lambda store: store["state"] == "storing" and store["written"] > written, 60)
    by_itself = (f"storing again by itself after {resumed - full:.1f} s (pruning)" if resumed else
                 f"still {state!r} after 10 s")
    after = (f"storing again {back - freed:.1f} s after the space came back" if back else
             "not storing again 60 s after the space came back")
    print(f"disk full ({size_mb} MB tmpfs filled): storing paused {paused - full:.1f} s "
          f"later; {by_itself}; {after} (written {store['written']}, lost {store.get('lost', 0)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slow", type=int, default=300, help="slowloris connections")
    parser.add_argument("--seconds", type=float, default=15.0, help="how long the slowloris attack lasts")
    parser.add_argument("--pin-seconds", type=float, default=60.0, help="how long PINs are guessed, each way")
    parser.add_argument("--visits", type=int, default=1000, help="bare GET /you requests")
    parser.add_argument("--only", nargs="+", choices=PARTS, default=PARTS, help="measure only these")
    args = parser.parse_args()
    if {"slowloris", "oversized", "visitors"} & set(args.only):
        with tempfile.TemporaryDirectory() as data, kit_in(Path(data)) as (kit, port):
            if "slowloris" in args.only:
                slowloris(port, kit.pid, min(args.slow, 600), min(args.seconds, 120.0))
            if "oversized" in args.only:
                oversized(port, kit.pid)
            if "visitors" in args.only:
                bare_visits(port, Path(data) / "awareness.db", min(args.visits, 10_000))
    if "pins" in args.only:
        pins(min(args.pin_seconds, 300.0))
    if "disk" in args.only:
        disk_full()


if __name__ == "__main__":
    main()
