"""Benchmark: many phones at once. The kit serves MJPEG and Server-Sent Events to 1, then 30 viewers on
loopback, with one deliberately slow reader among them.

    python bench/viewers.py [--viewers 30] [--seconds 10]

The kit runs as its own process (simulated hardware), so its CPU and memory are its own. Each viewer is a
thread reading /stream.mjpg (counting frames, and their age from the X-Frame-Time each part carries) and
/events. The slow reader takes one frame every half second.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import threading
import time
from pathlib import Path

from simulated_kit import rss_mb, simulated_kit

TICK = os.sysconf("SC_CLK_TCK")


def phone_socket(port: int) -> socket.socket:
    """A connection that behaves like a phone's over Wi-Fi: 1460-byte segments, not loopback's 64 KB."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, 1460)
    sock.connect(("127.0.0.1", port))
    return sock


class Viewer(threading.Thread):
    def __init__(self, port: int, stop: threading.Event, *, pause_s: float = 0.0) -> None:
        super().__init__(daemon=True)
        self.port, self.stop, self.pause_s = port, stop, pause_s
        self.frames = 0
        self.ages: list[float] = []
        self.events = 0
        self.refused = False

    def run(self) -> None:
        events = threading.Thread(target=self._events, daemon=True)
        events.start()
        with phone_socket(self.port) as sock:
            sock.sendall(b"GET /stream.mjpg HTTP/1.1\r\nHost: bench\r\n\r\n")
            buffer = b""
            while not self.stop.is_set():
                # A slow reader takes little at a time from its socket, so what it has not read stays there.
                data = sock.recv(4096 if self.pause_s else 65536)
                if not data:
                    return
                buffer += data
                if b" 503 " in buffer[:20]:
                    self.refused = True
                    return
                while True:
                    match = re.search(rb"X-Frame-Time: ([0-9.]+)\r\n\r\n", buffer)
                    if not match:
                        break
                    head_end = match.end()
                    length = int(re.findall(rb"Content-Length: (\d+)", buffer[:head_end])[-1])
                    if len(buffer) < head_end + length:
                        break
                    self.frames += 1
                    self.ages.append(time.time() - float(match.group(1)))
                    buffer = buffer[head_end + length:]
                    if self.pause_s:
                        self.stop.wait(self.pause_s)

    def _events(self) -> None:
        with socket.create_connection(("127.0.0.1", self.port)) as sock:
            sock.sendall(b"GET /events HTTP/1.1\r\nHost: bench\r\n\r\n")
            sock.settimeout(1.0)
            while not self.stop.is_set():
                try:
                    data = sock.recv(65536)
                except TimeoutError:
                    continue
                if not data:
                    return
                self.events += data.count(b"\nevent: ")


def cpu_times(pid: int) -> tuple[float, float]:
    """(user, system) CPU seconds of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) / TICK, int(fields[12]) / TICK


def phase(port: int, pid: int, count: int, seconds: float, slow: bool) -> dict:
    stop = threading.Event()
    viewers = [Viewer(port, stop) for _ in range(count)]
    slow_viewer = Viewer(port, stop, pause_s=0.5) if slow else None
    everyone = viewers + ([slow_viewer] if slow_viewer else [])
    for viewer in everyone:
        viewer.start()
    time.sleep(2.0)                       # connections settle; the kit's buffers fill
    frames0 = [v.frames for v in viewers]
    (user0, sys0), start = cpu_times(pid), time.monotonic()
    time.sleep(seconds)
    elapsed = time.monotonic() - start
    user1, sys1 = cpu_times(pid)
    cpu, kernel = (user1 + sys1 - user0 - sys0) / elapsed, (sys1 - sys0) / elapsed
    fps = [(v.frames - f0) / elapsed for v, f0 in zip(viewers, frames0, strict=True)]
    rss = rss_mb(pid)
    stop.set()
    for viewer in everyone:
        viewer.join(3)
    result = {"fps": fps, "cpu": cpu, "kernel": kernel, "rss": rss, "events": [v.events for v in viewers]}
    if slow_viewer:
        result["slow_ages"] = slow_viewer.ages[2:]
        result["slow_frames"] = slow_viewer.frames
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--viewers", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    with simulated_kit() as (kit, port):
        time.sleep(2.0)
        idle_rss = rss_mb(kit.pid)
        one = phase(port, kit.pid, 1, args.seconds, slow=False)
        many = phase(port, kit.pid, args.viewers, args.seconds, slow=True)
    source_fps = 15.0
    worst = min(many["fps"])
    print(f"one viewer: {one['fps'][0]:.1f} frames/s of the camera's {source_fps:.0f}; kit CPU "
          f"{100 * one['cpu']:.1f}% of a core ({100 * one['kernel']:.1f}% in the kernel); "
          f"RSS {one['rss']:.0f} MB (idle {idle_rss:.0f} MB)")
    print(f"{args.viewers} viewers + 1 slow reader: each gets {statistics.mean(many['fps']):.1f} frames/s on average, "
          f"the worst {worst:.1f} ({100 * worst / source_fps:.0f}% of the source, goal >= 95%); kit CPU "
          f"{100 * many['cpu']:.1f}% of a core ({100 * many['kernel']:.1f}% in the kernel; "
          f"{many['cpu'] / max(one['cpu'], 1e-9):.2f}x one viewer, goal <= 1.5x); "
          f"RSS {many['rss']:.0f} MB (+{many['rss'] - one['rss']:.0f} MB over one viewer, goal < 30 MB); "
          f"events received per viewer: min {min(many['events'])}")
    ages = many["slow_ages"]
    print(f"slow reader (one frame every 0.5 s): {many['slow_frames']} frames, age when read: median "
          f"{statistics.median(ages):.2f} s, oldest {max(ages):.2f} s (goal: never older than 1 s)")


if __name__ == "__main__":
    main()
