"""Benchmark: the vision pipeline on the simulated scene: speed, against a naive pipeline, and accuracy.

    python bench/pipeline.py [--seconds 180] [--seed 1] [--naive-frames 40]

Frames are rendered first (not timed), then analysed one after another on one thread, as the vision
worker does; times are that thread's CPU time (time.thread_time), steady on a busy machine. The naive
baseline runs every detector on every full 640x480 frame; it is timed on
--naive-frames frames spread evenly over the same frames. Accuracy is scored against the scene's own
ground truth (where each visitor is, whether they look at the camera, who is a returning visitor).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

import cv2

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from device.config import VisionConfig  # noqa: E402
from device.hub import Frame  # noqa: E402
from device.scene import Scene  # noqa: E402
from device.vision.pipeline import VisionAnalyzer  # noqa: E402
from device.vision.privacy import render_view  # noqa: E402
from device.vision.tracker import iou  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Naive:
    """Every detector the kit has, on every full frame: what an ungated pipeline would cost."""

    def __init__(self) -> None:
        path = cv2.data.haarcascades
        self.cascades = {name: cv2.CascadeClassifier(path + f"haarcascade_{name}.xml")
                         for name in ("frontalface_default", "profileface", "eye", "smile", "fullbody",
                                      "russian_plate_number")}
        self.hog = cv2.HOGDescriptor()
        self.hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())

    def run(self, image) -> None:
        grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        for name, cascade in self.cascades.items():
            cascade.detectMultiScale(grey, 1.1, 3 if name != "smile" else 15)
        self.cascades["profileface"].detectMultiScale(cv2.flip(grey, 1), 1.1, 3)
        self.hog.detectMultiScale(grey)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=180.0, help="length of scene to analyse")
    parser.add_argument("--fps", type=int, default=15, help="camera frame rate of the scene")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--naive-frames", type=int, default=40, help="frames the naive baseline is timed on")
    parser.add_argument("--no-models", action="store_true",
                        help="OpenCV's own detectors only, as on a kit without the optional model packages")
    args = parser.parse_args()

    cv2.setNumThreads(1)      # single-threaded, as on one Pi core
    scene = Scene(args.seed)
    times = [i / args.fps for i in range(int(args.seconds * args.fps))]
    images = [scene.render(t) for t in times]

    published: list = []
    analyzer = VisionAnalyzer(VisionConfig(), publish=published.append, models=not args.no_models)
    costs, results = [], []
    for index, (t, image) in enumerate(zip(times, images, strict=True), start=1):
        begin = time.thread_time()
        detections = analyzer.process(Frame(index, t, image))
        costs.append((time.thread_time() - begin) * 1000)
        results.append(detections)

    naive = Naive()
    step = max(1, len(images) // args.naive_frames)
    naive_costs = []
    for image in images[::step][:args.naive_frames]:
        begin = time.thread_time()
        naive.run(image)
        naive_costs.append((time.thread_time() - begin) * 1000)

    encode = []
    for image, det in list(zip(images, results, strict=True))[:300]:
        begin = time.thread_time()
        render_view(image, det, blur=True)
        encode.append((time.thread_time() - begin) * 1000)

    # Accuracy against the scene's ground truth.
    face_frames = faces_found = false_alarm_frames = 0
    visit_ids: dict[int, list[int]] = defaultdict(list)   # visit number -> track ID per frame
    for t, image, det in zip(times, images, results, strict=True):
        width = image.shape[1]
        people = scene.people(t)
        truth = [p.face_box for p in people
                 if p.looking and p.face_box[0] >= 0 and p.face_box[0] + p.face_box[2] <= width]
        if truth:
            face_frames += 1
            faces_found += all(any(iou(f, g) > 0.3 for f in det.faces) for g in truth)
        heads = [p.face_box for p in people]
        if any(not any(iou(f, h) > 0.2 for h in heads) for f in det.faces):
            false_alarm_frames += 1
        for p in people:
            numbered = [tv for tv in det.people if tv.id]     # counted at once, numbered once they have stayed
            best = max(numbered, key=lambda tv: iou(tv.box, p.box), default=None)
            if best is not None and iou(best.box, p.box) > 0.3:
                visit_ids[p.visitor.number].append(best.id)
    switches = relabels = 0
    last_id_of_person: dict[int, int] = {}
    returns = correct_returns = false_reids = 0
    visits = {v.number: v for v in scene.visitors_between(0, args.seconds)}
    reid_to = {o.value["id"]: o.value["previous"] for o in published if o.kind == "reid"}
    for number in sorted(visit_ids):
        ids = visit_ids[number]
        changes = [(a, b) for a, b in zip(ids, ids[1:], strict=False) if a != b]
        relabel = [c for c in changes if reid_to.get(c[1]) == c[0]]
        relabels += len(relabel)
        switches += len(changes) - len(relabel)
        person = visits[number].person
        final = ids[-1]
        if person != number:
            returns += 1
            correct_returns += last_id_of_person.get(person) == final
        elif final in reid_to.values() or final in last_id_of_person.values():
            false_reids += 1
        last_id_of_person[person] = final

    total_s = sum(costs) / 1000
    fps = len(images) / total_s
    naive_fps = 1000 / statistics.mean(naive_costs)
    print(f"scene: seed {args.seed}, {args.seconds:.0f} s at {args.fps} fps = {len(images)} frames of 640x480, "
          f"{len(visits)} visits ({returns} of them returning visitors)")
    print(f"vision pipeline: {fps:.0f} frames/s single-threaded (goal >= 150); per frame mean "
          f"{statistics.mean(costs):.2f} ms, p50 {percentile(costs, 0.5):.2f} ms, "
          f"p95 {percentile(costs, 0.95):.2f} ms (goal <= 35), max {max(costs):.2f} ms")
    print(f"naive baseline (every detector, every full frame, {len(naive_costs)} frames): {naive_fps:.1f} frames/s, "
          f"{statistics.mean(naive_costs):.0f} ms per frame; the pipeline is {fps / naive_fps:.0f}x faster "
          "(goal >= 35)")
    print(f"detectors: {analyzer.detectors}")
    print(f"work done: face search on {analyzer.face_checks} checks over {len(images)} frames, eyes/smile on "
          f"{analyzer.detail_checks}")
    print(f"faces reported on {faces_found} of {face_frames} frames with a face looking at the camera "
          f"({faces_found / max(face_frames, 1):.3f}, goal >= 0.95); false-alarm frames (a face reported where "
          f"there is none): {false_alarm_frames}")
    print(f"tracking: {switches} ID switches over {len(visit_ids)} visits; {relabels} re-identification relabels; "
          f"returning visitors given their old ID: {correct_returns} of {returns}; new visitors given someone "
          f"else's ID: {false_reids}")
    print(f"observations published: {len(published)} ({len(published) / args.seconds:.1f}/s)")
    print(f"around it: view blur+overlays+JPEG {statistics.mean(encode):.2f} ms/frame (once per frame and view, "
          "whatever the number of viewers)")


if __name__ == "__main__":
    main()
