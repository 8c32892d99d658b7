"""Benchmark: an exhibition of kits on one real Mosquitto on this machine.

    python bench/exhibition.py [--kits 5] [--visitors 12] [--burst-visitors 60]

Five kits (each a whole Kit: its own data directory and name, simulated microphone and sensors, a still camera so
that vision's CPU does not hide the link's) join one broker. The simulated visitors walk through the rooms in
order: each room's kit is handed the people its room sees (as its vision pipeline publishes them, with the
signatures computed from the scene's frames). Printed:

1. Messages a second through the broker at an exhibition's pace (summaries, sightings), and in a burst of
   sightings handed to the kits all at once; the CPU the link adds to a kit (its worker and paho's thread), and
   the broker's.
2. The time from a sighting published in one room to its match shown in another.
3. The time for a "forget me" to be acknowledged by every kit.
4. The time for every kit to rejoin after the broker is killed and restarted.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from device.kit import Kit  # noqa: E402
from tests.exhibition.broker import Mosquitto  # noqa: E402
from tests.exhibition.conftest import StillCamera, exhibition_config  # noqa: E402
from tests.exhibition.scenes import play  # noqa: E402
from tests.exhibition.test_forget import VISITOR, confirm  # noqa: E402

ROOMS = ["hall", "cafe", "garden", "shop", "library", "atrium", "studio", "terrace"]
TICK = os.sysconf("SC_CLK_TCK")


def cpu_s(path: str) -> float:
    """utime + stime of a process or thread from its /proc stat file, in seconds."""
    fields = Path(path).read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def link_cpu(kit: Kit) -> float:
    """CPU seconds used so far by the kit's exhibition worker and paho's network thread."""
    worker = next(w for w in kit._workers if w.name == "exhibition")
    threads = [worker._thread.native_id, kit.exhibition.link._client._thread.native_id]
    return sum(cpu_s(f"/proc/self/task/{tid}/stat") for tid in threads if tid)


def wait(predicate, timeout: float) -> float | None:
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            return None
        time.sleep(0.005)
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kits", type=int, default=5)
    parser.add_argument("--visitors", type=int, default=12)
    parser.add_argument("--burst-visitors", type=int, default=60)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    warnings.simplefilter("ignore")         # the simulated distance sensor's missed echoes
    names = ROOMS[:args.kits]
    folder = Path(tempfile.mkdtemp(prefix="bench-exhibition-"))
    broker = Mosquitto(folder / "broker", names).start()
    kits: dict[str, Kit] = {}
    try:
        for name in names:
            config = exhibition_config(folder / name, name, broker.url(name),
                                       SIM_ROOMS=",".join(names), MQTT_HOME_ASSISTANT="true")
            kit = Kit(config, camera=StillCamera())
            kit.exhibition.link.backoff_s = (0.5, 5.0)
            kit.start()
            kits[name] = kit
        wait(lambda: all(k.exhibition.status()["kits_online"] == len(names) for k in kits.values()), 20)
        print(f"{len(names)} kits on one Mosquitto ({broker.port}), {os.cpu_count()} CPUs on this machine")

        # 1. an exhibition's pace: summaries every 5 s, and the visitors' sightings as they come
        for kit in kits.values():
            kit.exhibition.summary_every_s = 5.0
        sent0 = {n: k.exhibition.link.sent for n, k in kits.items()}
        got0 = {n: k.exhibition.link.received for n, k in kits.items()}
        cpu0 = {n: link_cpu(k) for n, k in kits.items()}
        broker0, t0 = cpu_s(f"/proc/{broker.process.pid}/stat"), time.monotonic()
        stamps: dict[str, dict[str, float]] = {name: {} for name in names}
        quiet_s = 20.0
        step = quiet_s / args.visitors
        for number in range(1, args.visitors + 1):       # one visitor through every room, every `step` seconds
            for room, name in enumerate(names):
                play(kits[name], room, [number], rooms=len(names), stamp=stamps[name])
            time.sleep(step)
        elapsed = time.monotonic() - t0
        sent = sum(k.exhibition.link.sent - sent0[n] for n, k in kits.items())
        got = sum(k.exhibition.link.received - got0[n] for n, k in kits.items())
        cpu = statistics.mean((link_cpu(k) - cpu0[n]) / elapsed for n, k in kits.items())
        broker_cpu = (cpu_s(f"/proc/{broker.process.pid}/stat") - broker0) / elapsed
        print(f"\n1. pace of {args.visitors} visitors in {elapsed:.0f} s through {len(names)} rooms: "
              f"{sent / elapsed:.1f} messages/s published, {got / elapsed:.1f} delivered; "
              f"link CPU per kit {100 * cpu:.2f}%, broker CPU {100 * broker_cpu:.2f}% of one core")

        # 2. sighting in one room -> match shown in another
        first = kits[names[0]]
        delays = []
        for name in names[1:]:
            for track, published in stamps[name].items():
                matched = first.exhibition.matched_at.get(f"{name}/{track}")
                if matched:
                    delays.append(matched - published)
        linked = sum(len({s["kit"] for s in p["seen"]}) == len(names) for p in first.exhibition.view()["people"])
        if delays:
            delays.sort()
            print(f"2. sighting -> match shown on {names[0]}: median {1000 * statistics.median(delays):.1f} ms, "
                  f"95th percentile {1000 * delays[int(0.95 * (len(delays) - 1))]:.1f} ms over {len(delays)} "
                  f"sightings; {linked} people followed through all {len(names)} rooms of {args.visitors} visitors")

        # burst: a day's sightings, made beforehand, handed to the kits as fast as they take them
        made: dict[str, list] = {name: [] for name in names}
        for room, name in enumerate(names):
            collect = SimpleNamespace(observations=SimpleNamespace(publish=made[name].append))
            play(collect, room, list(range(13, 13 + args.burst_visitors)), rooms=len(names))
        sightings = sum(len(m) for m in made.values())
        sent0 = {n: k.exhibition.link.sent for n, k in kits.items()}
        got0 = {n: k.exhibition.link.received for n, k in kits.items()}
        cpu0 = {n: link_cpu(k) for n, k in kits.items()}
        broker0, t0 = cpu_s(f"/proc/{broker.process.pid}/stat"), time.monotonic()
        for i in range(max(len(m) for m in made.values())):
            for name in names:
                if i < len(made[name]):
                    kits[name].observations.publish(made[name][i])
        wait(lambda: sum(k.exhibition.link.sent - sent0[n] for n, k in kits.items()) >= sightings, 60)
        sent = sum(k.exhibition.link.sent - sent0[n] for n, k in kits.items())
        wait(lambda: sum(k.exhibition.link.received - got0[n] for n, k in kits.items()) >= sent * len(names), 60)
        wait(lambda: all(k.exhibition._inbox.empty() for k in kits.values()), 60)
        elapsed = time.monotonic() - t0
        got = sum(k.exhibition.link.received - got0[n] for n, k in kits.items())
        cpu = statistics.mean((link_cpu(k) - cpu0[n]) / elapsed for n, k in kits.items())
        broker_cpu = (cpu_s(f"/proc/{broker.process.pid}/stat") - broker0) / elapsed
        known = len(first.exhibition.people.sightings())
        print(f"   burst: {sightings} sightings ({args.burst_visitors} visitors through every room) handed to the kits "
              f"at once, all sent, delivered and matched in {elapsed:.1f} s: {sent / elapsed:.0f} messages/s "
              f"published, {got / elapsed:.0f} delivered; link CPU per kit {100 * cpu:.0f}%, broker CPU "
              f"{100 * broker_cpu:.1f}% of one core ({known} sightings held by each kit, each new one compared "
              f"with all of them)")

        # 3. forget me on one kit, acknowledged by all
        for kit in kits.values():
            kit.exhibition.people.forget_all()
        tracks = {name: play(kits[name], room, [1], rooms=len(names))[1] for room, name in enumerate(names)}
        wait(lambda: any(len(p["seen"]) == len(names) for p in first.exhibition.view()["people"]), 10)
        confirm(first, tracks[names[0]])
        started = time.monotonic()
        erased = first.forgetting.me(VISITOR)
        took = wait(lambda: first.exhibition.progress(erased.command)["done"], 30)
        progress = first.exhibition.progress(erased.command)
        print(f"3. forget me on {names[0]}: erased on {progress['erased_on']} of {progress['of']} kits in "
              f"{1000 * (took if took is not None else time.monotonic() - started):.0f} ms")

        # 4. the broker killed and restarted
        broker.kill()
        wait(lambda: all(k.exhibition.status()["state"] == "down" for k in kits.values()), 10)
        started = time.monotonic()
        broker.start()
        took = wait(lambda: all(k.exhibition.status()["state"] == "up" and k.exhibition.status()["kits_online"]
                                == len(names) for k in kits.values()), 60)
        print(f"4. broker killed and restarted: every kit up and seeing every other online again "
              f"{took if took is not None else float('nan'):.1f} s after the broker was back "
              f"(kits retry with back-off from 0.5 s, doubling, at most 5 s here; 1 s to 30 s by default)")
    finally:
        for kit in kits.values():
            kit.stop()
        broker.kill()


if __name__ == "__main__":
    main()
