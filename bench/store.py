"""Benchmark: the store's write rate, storage growth on the simulated scene, and how fast forgetting is.

    python bench/store.py [--seconds 60] [--day-rows 400000]

1. Writes: observations published as fast as one thread can, for 5 s, while a capture loop runs at 30
   frames/s beside them: rows committed per second, and whether the capture loop kept its rate.
2. Growth: the whole kit on simulated hardware for --seconds, its data directory measured, per hour.
3. Forgetting, on a day's worth of rows (--day-rows, 400,000 is about a busy day at the rate measured in
   2): "forget me" for one visitor with linked tracks, and "forget everything".
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from device.config import load_config  # noqa: E402
from device.hub import ObservationHub  # noqa: E402
from device.observations import Observation  # noqa: E402
from device.store import Store  # noqa: E402


def write_rate(folder: Path) -> None:
    hub, store = ObservationHub(), Store(folder / "rate.db")
    store.start(hub)
    stop = threading.Event()
    gaps: list[float] = []

    def capture() -> None:          # stands for the camera: must keep 30 frames/s
        last = time.perf_counter()
        while not stop.wait(1 / 30):
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    camera = threading.Thread(target=capture)
    camera.start()
    started = time.perf_counter()
    published = 0
    while time.perf_counter() - started < 5.0:
        for _ in range(100):
            published += 1
            hub.publish(Observation(time.time(), "camera", "motion", None, {"area": 0.01, "boxes": [[1, 2, 3, 4]]}))
        time.sleep(0.001)
    store.flush(30)
    elapsed = time.perf_counter() - started
    stop.set()
    camera.join()
    store.close()
    fps = 1 / statistics.mean(gaps)
    print(f"writes: {store.written} observations committed in {elapsed:.1f} s = {store.written / elapsed:,.0f}/s "
          f"(goal >= 2,000/s), none dropped: {store.dropped == 0}; the capture loop beside it kept "
          f"{fps:.1f} frames/s (asked 30), slowest gap {1000 * max(gaps):.0f} ms")


def growth(folder: Path, seconds: float) -> float:
    from device.kit import Kit

    config = load_config(environ={
        "AWARENESS_KIT_STORE_DATA_DIR": str(folder / "kit"), "AWARENESS_KIT_CAMERA_SOURCE": "simulated",
        "AWARENESS_KIT_MIC_SOURCE": "simulated", "AWARENESS_KIT_SENSORS_SOURCE": "simulated"})
    kit = Kit(config)
    kit.start()
    time.sleep(seconds)
    kit.stop()
    # The disk guard's reserve (awareness.db.reserve) is a fixed few MB set aside, not growth.
    size = sum(p.stat().st_size for p in (folder / "kit").rglob("*") if p.is_file() and p.suffix != ".reserve")
    rows = kit.store.count()
    per_hour = 3600 / seconds
    print(f"growth: the kit on simulated hardware for {seconds:.0f} s stored {rows} observations "
          f"({rows / seconds:.1f}/s) in {size / 1e6:.2f} MB: about {size * per_hour / 1e6:.1f} MB and "
          f"{rows * per_hour:,.0f} rows per hour at default settings")
    return rows / seconds


def forgetting(folder: Path, day_rows: int) -> None:
    path = folder / "day.db"
    Store(path).close()               # the schema
    rng = random.Random(1)
    day_start = time.time() - 86400
    with sqlite3.connect(path) as conn:
        rows = []
        for i in range(day_rows):
            track = rng.randrange(1500)
            rows.append((day_start + i * 86400 / day_rows, "camera", rng.choice(["motion", "face", "person"]),
                         f"track:{track}" if rng.random() < 0.5 else None, json.dumps({"n": i}), 0.5))
        conn.executemany("INSERT INTO observations (ts, source, kind, subject, value, confidence) "
                         "VALUES (?,?,?,?,?,?)", rows)
        conn.executemany("INSERT INTO tracks (subject, first_seen, last_seen, trajectory, signature) "
                         "VALUES (?,?,?,?,?)", [(f"track:{t}", day_start, day_start + 10, "[[1,2,3]]", "{}")
                                                for t in range(1500)])
        conn.execute("INSERT INTO observations (ts, source, kind, subject, value) VALUES (?,?,?,?,?)",
                     (time.time(), "phone", "correlation", "visitor:me", json.dumps({"track": "track:7"})))
        conn.execute("INSERT INTO visitors (subject, first_seen, last_seen) VALUES ('visitor:me', 1, 2)")
    store = Store(path)
    store.start(ObservationHub())     # forgetting is a command to the writer thread
    size = path.stat().st_size + Path(str(path) + "-wal").stat().st_size if Path(str(path) + "-wal").exists() \
        else path.stat().st_size
    started = time.perf_counter()
    counts = store.forget_subjects({"visitor:me", "track:7"})
    me = time.perf_counter() - started
    started = time.perf_counter()
    total = sum(store.forget_all().values())
    everything = time.perf_counter() - started
    store.close()
    print(f"forgetting, on a day of {day_rows:,} rows ({size / 1e6:.0f} MB): forget me {1000 * me:.0f} ms "
          f"({sum(counts.values())} rows); forget everything {1000 * everything:.0f} ms ({total:,} rows); "
          "goal: both under 2 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the kit runs for the growth figure")
    parser.add_argument("--day-rows", type=int, default=400_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="awareness-kit-bench-"))
    try:
        write_rate(folder)
        growth(folder, args.seconds)
        forgetting(folder, args.day_rows)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
