"""Benchmark: a day at an exhibition, compressed. Phones come and go for a few minutes: they watch the
camera and the feed for a while, hang up cleanly or vanish, fall asleep without reading, ask for headers
only, open their "you" page. The kit's memory, threads and open files should settle, not climb.

    python bench/soak.py [--minutes 5] [--phones 12]

Prints the kit's RSS, threads and open file descriptors every 30 s, and how they changed. (It found the
store keeping a read connection per server thread: ~170 open files and ~25 MB within five minutes.)
"""

from __future__ import annotations

import argparse
import random
import re
import socket
import threading
import time
from pathlib import Path

from simulated_kit import rss_mb, simulated_kit


def sample(pid: int) -> tuple[float, int, int]:
    """(RSS in MB, threads, open file descriptors) of a process."""
    threads = int(re.search(r"Threads:\s+(\d+)", Path(f"/proc/{pid}/status").read_text()).group(1))
    return rss_mb(pid), threads, len(list(Path(f"/proc/{pid}/fd").iterdir()))


def phone(port: int, stop: threading.Event, rng: random.Random, counts: dict[str, int]) -> None:
    """One phone after another, each doing something a visitor's phone does."""
    while not stop.is_set():
        what = rng.choice(["watch", "watch", "feed", "vanish", "sleep", "head", "you"])
        counts[what] = counts.get(what, 0) + 1
        path = {"feed": "/events", "you": "/you"}.get(what, "/stream.mjpg")
        method = "HEAD" if what == "head" else "GET"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, 1460)
                sock.sendall(f"{method} {path} HTTP/1.1\r\nHost: soak\r\nConnection: close\r\n\r\n".encode())
                until = time.monotonic() + rng.uniform(1, 8)
                while time.monotonic() < until and not stop.is_set():
                    if what == "sleep":             # connected, reading nothing
                        stop.wait(until - time.monotonic())
                        break
                    if not sock.recv(65536):
                        break
                if what == "vanish":                # gone without a goodbye
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        except OSError:
            counts["errors"] = counts.get("errors", 0) + 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--phones", type=int, default=12)
    args = parser.parse_args()
    stop, counts = threading.Event(), {}
    with simulated_kit() as (kit, port):
        time.sleep(5.0)
        samples = [(0.0, *sample(kit.pid))]
        phones = [threading.Thread(target=phone, args=(port, stop, random.Random(i), counts), daemon=True)
                  for i in range(args.phones)]
        for thread in phones:
            thread.start()
        start = time.monotonic()
        while time.monotonic() - start < 60 * args.minutes:
            time.sleep(30)
            samples.append((time.monotonic() - start, *sample(kit.pid)))
        stop.set()
        for thread in phones:
            thread.join(15)
        time.sleep(35)                          # sleepers are let go after 30 s
        samples.append((time.monotonic() - start, *sample(kit.pid)))
    print(f"{args.phones} phones for {args.minutes:g} min: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())))
    for at, rss, threads, fds in samples:
        print(f"  {at:6.0f} s  RSS {rss:6.1f} MB  threads {threads:4d}  open files {fds:4d}")
    first, middle, last = samples[1], samples[len(samples) // 2], samples[-2]
    print(f"RSS from the first minute to the end: {last[1] - first[1]:+.1f} MB "
          f"(second half {last[1] - middle[1]:+.1f} MB); after everyone left: threads {samples[-1][2]} "
          f"(idle {samples[0][2]}), open files {samples[-1][3]} (idle {samples[0][3]})")


if __name__ == "__main__":
    main()
