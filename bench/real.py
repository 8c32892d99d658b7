"""Benchmark: the kit on real recordings with hand-made ground truth (../shared/real/, or DIR).

    python bench/real.py [DIR] [--fast] [--only NAME] [--size 1280x720] [--no-sound]

Each video in DIR/truth.json is played through the kit's own path: the camera's file: source, the capture
loop into the frame hub, and the vision service (Watching) analysing the newest frame in its own thread,
at the recording's own rate, skipping frames when it falls behind, as the kit does. --fast plays the same
sources, hub and analyzer in lockstep, as fast as they go, every frame analysed, stamped with the
recording's own time (steadier figures on a busy machine). Figures against the truth, per recording:
people in view within +-1 (and +-3) of the truth per second, ids against distinct people, seconds with a
frontal face in which a face was found, faces at once, plates read. CPU is the whole process's CPU time
(user + system, every thread: resource.getrusage), per second of recording, as a share of one core: it does
not depend on how busy the machine is. Milliseconds per stage are the analysing thread's CPU time
(time.thread_time), from the analyzer's own timings. Then the
sound recordings, through bench/real_sound.py when it exists.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from device.capture import CameraFeed  # noqa: E402
from device.config import Config  # noqa: E402
from device.health import SourceState  # noqa: E402
from device.hub import FrameHub  # noqa: E402
from device.vision.plates import normal_plate  # noqa: E402

DEFAULT_DIR = ROOT.parent / "shared" / "real"


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Recorder:
    """Wraps the analyzer's process(): what it saw in each analysed frame (hub index -> detections), and,
    on an analyzer without its own stage timings, times its parts from outside."""

    def __init__(self, analyzer: Any) -> None:
        self.analyzer = analyzer
        self.seen: dict[int, Any] = {}
        self.process_s = 0.0
        self.outside: dict[str, float] = defaultdict(float)
        process = analyzer.process

        def recorded(frame: Any) -> Any:
            begin = time.thread_time()
            det = process(frame)
            self.process_s += time.thread_time() - begin
            self.seen[frame.index] = det
            return det

        analyzer.process = recorded
        if not hasattr(analyzer, "stage_s"):
            for part, method in (("motion", "motion.detect"), ("people", "people.detect"),
                                 ("faces", "faces.detect"), ("faces", "faces.profile"), ("faces", "faces.details"),
                                 ("plates", "plates.detect")):
                self._time(part, method)

    def _time(self, part: str, path: str) -> None:
        owner_name, name = path.split(".")
        owner = getattr(self.analyzer, owner_name)
        original = getattr(owner, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            begin = time.thread_time()
            try:
                return original(*args, **kwargs)
            finally:
                self.outside[part] += time.thread_time() - begin

        setattr(owner, name, timed)

    def stages(self) -> dict[str, float]:
        return dict(getattr(self.analyzer, "stage_s", None) or self.outside)


def play(path: Path, fps: float, *, fast: bool, size: tuple[int, int] | None = None
         ) -> tuple[Recorder, list, float, float, Any]:
    """Play one video through camera -> hub -> vision; (recorder, published, cpu s, wall s, watching)."""
    from device.camera import open_camera
    from device.vision.watching import Watching

    config = Config().replace("camera", source=f"file:{path}")
    if size is not None:
        config = config.replace("camera", width=size[0], height=size[1])
    camera = open_camera(config.camera.source, config, scene=None)  # type: ignore[arg-type]
    frames = FrameHub(encode=lambda frame, view: b"")
    published: list = []
    watching = Watching(config, frames, publish=published.append)
    if not watching.available:
        raise SystemExit(f"vision is not available: {watching.error}")
    recorder = Recorder(watching.analyzer)
    stop = threading.Event()
    started_cpu, started = cpu_s(), time.monotonic()
    if fast:
        camera.pace = False             # same source, not held to the file's own rate
        camera.open()
        if not hasattr(type(camera), "pace"):
            camera._period = 0.0        # a camera from before the pace switch (measuring the old code)
        try:
            index = 0
            while (item := camera.read(stop)) is not None:
                frame = frames.publish(item[0], ts=index / fps, grey=item[1])
                index += 1
                watching.analyzer.process(frame)
        finally:
            camera.close()
    else:
        feed = CameraFeed(camera, frames, SourceState("camera"))
        vision = threading.Thread(target=watching.loop, args=(stop,), name="vision")
        vision.start()
        feed.loop(stop)                 # returns when the file ends
        last = feed.captured
        deadline = time.monotonic() + 5.0
        while max(recorder.seen, default=0) < last and time.monotonic() < deadline:
            time.sleep(0.02)
        stop.set()
        vision.join(10)
    return recorder, published, cpu_s() - started_cpu, time.monotonic() - started, watching


def at_seconds(recorder: Recorder, fps: float, seconds: int) -> dict[int, list[Any]]:
    """Second k -> the detections of the analysed frames whose time lies in [k, k+1)."""
    by_second: dict[int, list[Any]] = defaultdict(list)
    for index, det in recorder.seen.items():
        k = int((index - 1) / fps)
        if k < seconds:
            by_second[k].append(det)
    return by_second


def nearest(recorder: Recorder, fps: float, k: int) -> Any:
    """The detections of the analysed frame nearest to t = k s (within half a second)."""
    target = round(k * fps) + 1
    index = min(recorder.seen, key=lambda i: abs(i - target), default=None)
    return None if index is None or abs(index - target) > fps / 2 else recorder.seen[index]


def measure(path: Path, truth: dict, *, fast: bool, size: tuple[int, int] | None = None) -> dict:
    fps = float(truth.get("fps") or 25.0)
    recorder, published, cpu, wall, watching = play(path, fps, fast=fast, size=size)
    duration = float(truth.get("duration_s") or len(recorder.seen) / fps)
    seconds = int(duration) + (duration % 1 > 0.5)
    out: dict[str, Any] = {"file": path.name, "frames": len(recorder.seen), "duration_s": duration,
                           "cpu_share": cpu / duration, "wall_s": wall, "published": len(published)}
    analysed = max(1, len(recorder.seen))
    out["stages_ms"] = {k: 1000 * v / analysed for k, v in recorder.stages().items()}
    out["process_ms"] = 1000 * recorder.process_s / analysed
    status = watching.status()
    out["detectors"] = status.get("detectors")
    by_second = at_seconds(recorder, fps, seconds)

    people = truth.get("people_per_second")
    if isinstance(people, list) and people:
        errors = []
        for k, want in enumerate(people):
            det = nearest(recorder, fps, k)
            if det is not None:
                errors.append(len(det.people) - want)
        out["people"] = {"seconds": len(errors), "within1": sum(abs(e) <= 1 for e in errors),
                         "within3": sum(abs(e) <= 3 for e in errors),
                         "mean_abs_error": sum(abs(e) for e in errors) / max(1, len(errors)),
                         "bias": sum(errors) / max(1, len(errors))}
        empty = [k for k, want in enumerate(people) if want == 0]
        out["empty_seconds_with_faces"] = (sum(any(d.faces for d in by_second.get(k, [])) for k in empty), len(empty))
    distinct = truth.get("distinct_people", truth.get("distinct_people_estimate"))
    subjects = {o.subject for o in published if o.kind == "person" and o.subject}
    out["ids"] = {"people": distinct, "ids": len(subjects),
                  "shown": len({p.id for d in recorder.seen.values() for p in d.people if p.id})}
    frontal = truth.get("seconds_with_clear_frontal_face")
    if isinstance(frontal, list) and frontal:
        out["faces"] = {"seconds": len(frontal), "found": sum(any(d.faces for d in by_second.get(k, []))
                                                              for k in frontal)}
    out["faces_at_once"] = max((len(d.faces) for d in recorder.seen.values()), default=0)
    plates = truth.get("plates")
    if isinstance(plates, list) and plates:
        reads = [(o.ts, p.get("text", ""), p.get("confidence")) for o in published
                 if o.kind in ("plate", "plate_text") for p in o.value.get("plates", []) if p.get("text")]
        reads += [(o.ts, o.value["text"], o.confidence) for o in published
                  if o.kind in ("plate", "plate_text") and o.value.get("text")]
        wanted = {normal_plate(p["text"]) for p in plates}
        right = [r for r in reads if normal_plate(r[1]) in wanted]
        out["plates"] = {"wanted": sorted(wanted), "read_right": len(right), "reads": len(reads),
                         "texts": sorted({normal_plate(r[1]) for r in reads}),
                         "first_right": right[0] if right else None}
    per_second = truth.get("plates_per_second")
    if isinstance(per_second, list):
        legible = [k for k, v in enumerate(per_second) if v]
        out["plate_boxes"] = (sum(any(d.plates for d in by_second.get(k, [])) for k in legible), len(legible))
    return out


def show(result: dict, truth: dict) -> None:
    print(f"\n{result['file']}: {truth.get('kind', '?')}, {result['duration_s']:.1f} s, "
          f"{result['frames']} frames analysed in {result['wall_s']:.1f} s")
    if "people" in result:
        p = result["people"]
        print(f"  people in view: within +-1 of the truth in {p['within1']} of {p['seconds']} s "
              f"({p['within1'] / max(1, p['seconds']):.0%}), within +-3 in {p['within3']} "
              f"({p['within3'] / max(1, p['seconds']):.0%}); mean error {p['mean_abs_error']:.1f}, "
              f"bias {p['bias']:+.1f}")
    ids = result["ids"]
    ratio = f" = {ids['ids'] / ids['people']:.1f}x" if ids["people"] else ""
    print(f"  ids: {ids['ids']} tracks stored ({ids['shown']} ids shown) for {ids['people']} people{ratio}")
    if "faces" in result:
        f = result["faces"]
        print(f"  faces: found in {f['found']} of {f['seconds']} s with a clear frontal face")
    print(f"  faces at once: at most {result['faces_at_once']}")
    if result.get("empty_seconds_with_faces") and result["empty_seconds_with_faces"][1]:
        n, of = result["empty_seconds_with_faces"]
        print(f"  faces reported in {n} of {of} empty seconds")
    if "plate_boxes" in result:
        n, of = result["plate_boxes"]
        print(f"  plate boxed in {n} of {of} s with a legible plate")
    if "plates" in result:
        p = result["plates"]
        first = p["first_right"]
        when = (f"{first[0]:.1f} s into the recording" if first and first[0] < 1e6 else
                time.strftime("%H:%M:%S", time.localtime(first[0])) if first else "")
        right = (f"read right {p['read_right']} times, stored at {when} with confidence {first[2]}" if first
                 else "never read right")
        print(f"  plate {', '.join(p['wanted'])}: {right}; {p['reads']} reads in all: {', '.join(p['texts']) or '-'}")
    stages = ", ".join(f"{k} {v:.2f}" for k, v in sorted(result["stages_ms"].items(), key=lambda kv: -kv[1]))
    print(f"  CPU ms per analysed frame: {result['process_ms']:.2f} in all ({stages})")
    print(f"  CPU of the whole process: {100 * result['cpu_share']:.0f}% of one core (process time per second of "
          f"recording; decoding, capture and analysis)")
    if result.get("detectors"):
        print(f"  detectors: {result['detectors']}")


def sound(root: Path) -> None:
    try:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from real_sound import measure_sound, print_sound  # type: ignore[import-not-found]
    except ImportError as exc:
        print(f"\nsound: not measured (bench/real_sound.py is not there yet: {exc})")
        return
    print_sound(measure_sound(root))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", nargs="?", type=Path, default=DEFAULT_DIR, help="recordings and their truth.json")
    parser.add_argument("--fast", action="store_true", help="every frame, as fast as it goes (not real time)")
    parser.add_argument("--only", help="only recordings whose name contains this")
    parser.add_argument("--size", help="the camera's [camera] width x height instead of the kit's default, as WxH")
    parser.add_argument("--no-sound", action="store_true", help="skip the sound recordings")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    truth_file = args.dir / "truth.json"
    if not truth_file.is_file():
        print(f"real recordings: none at {args.dir} (no truth.json there); nothing measured")
        return
    files = json.loads(truth_file.read_text())["files"]
    mode = ("fast: every frame in lockstep, as fast as it goes" if args.fast
            else "real time: at each recording's own rate, newest frame wins")
    print(f"real recordings in {args.dir}, played through file: camera -> frame hub -> vision service ({mode}); "
          f"camera size {args.size or 'the default 640x480'}, the picture's shape kept")
    import cv2
    print(f"OpenCV {cv2.__version__}")
    results = []
    for name, truth in files.items():
        if not str(truth.get("kind", "")).startswith("video/") or (args.only and args.only not in name):
            continue
        path = args.dir / name
        if not path.is_file():
            print(f"\n{name}: absent from {args.dir}; not measured")
            continue
        size = tuple(int(v) for v in args.size.lower().split("x")) if args.size else None
        result = measure(path, truth, fast=args.fast, size=size)  # type: ignore[arg-type]
        results.append(result)
        show(result, truth)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str))
    if not args.no_sound:
        sound(args.dir)


if __name__ == "__main__":
    main()
