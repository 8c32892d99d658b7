"""The kit in a process of its own, on simulated hardware, for benchmarks that measure it from outside.

    with simulated_kit() as (kit, port):
        rss_mb(kit.pid)
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def simulated_kit() -> Iterator[tuple[subprocess.Popen, int]]:
    """(the kit's process, the port it serves on), on a throwaway data directory; stopped afterwards."""
    with tempfile.TemporaryDirectory() as data:
        kit = subprocess.Popen(
            [sys.executable, "-m", "device", "run", "--camera", "simulated", "--mic", "simulated", "--sensors",
             "simulated", "--host", "127.0.0.1", "--port", "0", "--data-dir", data],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            yield kit, int(re.search(r"127\.0\.0\.1:(\d+)", kit.stdout.readline()).group(1))
        finally:
            kit.terminate()
            kit.wait(10)


def rss_mb(pid: int) -> float:
    """A process's resident memory in MB."""
    return int(re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{pid}/status").read_text()).group(1)) / 1024
