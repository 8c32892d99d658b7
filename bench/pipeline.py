"""Benchmark: the vision pipeline's frames per second and per-frame cost on the simulated scene.

    python bench/pipeline.py [--seconds 60] [--seed 1]

Frames are rendered first (not timed), then analysed one after another on one thread, as the vision
worker does. Also prints the cost of what surrounds analysis: rendering the scene and encoding the view.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from device.config import VisionConfig  # noqa: E402
from device.hub import Frame  # noqa: E402
from device.scene import Scene  # noqa: E402
from device.vision.pipeline import VisionAnalyzer  # noqa: E402
from device.vision.privacy import render_view  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="length of scene to analyse")
    parser.add_argument("--fps", type=int, default=15, help="camera frame rate of the scene")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    scene = Scene(args.seed)
    times = [i / args.fps for i in range(int(args.seconds * args.fps))]
    started = time.perf_counter()
    images = [scene.render(t) for t in times]
    render_ms = (time.perf_counter() - started) * 1000 / len(images)

    published = []
    analyzer = VisionAnalyzer(VisionConfig(), publish=published.append)
    costs, found, looking = [], 0, 0
    for index, (t, image) in enumerate(zip(times, images, strict=True), start=1):
        begin = time.perf_counter()
        detections = analyzer.process(Frame(index, t, image))
        costs.append((time.perf_counter() - begin) * 1000)
        visible = [p for p in scene.people(t) if p.looking and 0 <= p.face_box[0]
                   and p.face_box[0] + p.face_box[2] <= image.shape[1]]
        if visible:
            looking += 1
            found += len(detections.faces) >= len(visible)

    encode = []
    for image in images[:200]:
        begin = time.perf_counter()
        render_view(image, analyzer.latest, blur=True)
        encode.append((time.perf_counter() - begin) * 1000)

    total_s = sum(costs) / 1000
    print(f"scene: seed {args.seed}, {args.seconds:.0f} s at {args.fps} fps = {len(images)} frames of 640x480")
    print(f"vision pipeline: {len(images) / total_s:.0f} frames/s single-threaded; per frame mean "
          f"{statistics.mean(costs):.2f} ms, p50 {percentile(costs, 0.5):.2f} ms, p95 {percentile(costs, 0.95):.2f} ms,"
          f" max {max(costs):.2f} ms")
    print(f"face detector ran on {analyzer.face_checks} of {len(images)} frames "
          f"({100 * analyzer.face_checks / len(images):.0f}%); faces reported on {found} of {looking} frames "
          f"with a face in view ({found / max(looking, 1):.2f})")
    print(f"observations published: {len(published)} ({len(published) / args.seconds:.1f}/s)")
    print(f"around it: scene render {render_ms:.2f} ms/frame; view blur+boxes+JPEG {statistics.mean(encode):.2f} ms"
          "/frame (once per frame, whatever the number of viewers)")


if __name__ == "__main__":
    main()
