"""The vision analyzer: what a smart camera infers, each step gated on a cheaper one before it.

    analyzer = VisionAnalyzer(config.vision, publish=hub.publish)
    detections = analyzer.process(frame)     # boxes in the frame's own pixels; observations published
    analyzer.detectors                       # which detector does each job (models are optional extras)

Per frame: a 160-wide frame difference (motion) and a 320-wide background model split into people, about
two milliseconds together; the tracker carries people between frames. The face detector scans the whole
picture about once a second while something moves (faces with no body found: a crowd, a face close up), and
each person's head when they are new, when their head moves, or once every face_recheck_s. A face embedding
is computed once per person, when their face is first seen turned to the camera and large enough;
licence plates are looked for only on moving vehicles, a few times a second, and read once per vehicle.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np

from device.config import VisionConfig
from device.hub import Frame
from device.observations import Observation
from device.vision.centerface import Face
from device.vision.faces import expand, overlaps, union
from device.vision.finder import FaceFinder
from device.vision.motion import Box, MotionDetector
from device.vision.people import PeopleDetector
from device.vision.plates import Plate, PlateWatch
from device.vision.recognition import MIN_FACE, FaceRecogniser
from device.vision.reports import Reporter
from device.vision.signature import face_vector
from device.vision.tracker import Track, Tracker, TrackEvent, iou
from device.vision.tracks import blend_clothes, inside

logger = logging.getLogger(__name__)

ANALYSIS_WIDTH = 320
MOTION_WIDTH = 160
SCAN_EVERY_S = 1.0          # the whole picture searched for faces while something moves
DETAIL_RECHECK_S = 2.0
HEAD_MOTION_RECHECK_S = 0.2
EMBED_RETRY_S = 1.0
PLATE_SHOWN_S = 5.0
SMALL_FACE = 24             # pixels: faces this small are found only by a full-resolution scan
BODY_FROM_FACE = 20         # pixels: a face this tall with no body found around it stands for a person
HIDDEN_COUNTED_S = 2.0      # someone hidden in a group's shape still counts, for so long
MIN_BODY_FOR_FACE = 70      # pixels: a body shorter than this has a face under ten pixels


@dataclass(frozen=True)
class TrackView:
    """A tracked person as viewers see them drawn."""

    id: int
    box: Box
    trail: list[tuple[int, int]]
    dwell_s: float
    looking: bool
    smiling: bool
    reid: tuple[int, float] | None
    hidden: bool = False        # behind someone else in a group: counted, not drawn


@dataclass(frozen=True)
class Detections:
    """What the analyzer last saw, in the viewed frame's pixels, for overlays and the status page."""

    ts: float = 0.0
    motion: list[Box] = field(default_factory=list)
    faces: list[Box] = field(default_factory=list)
    people: list[TrackView] = field(default_factory=list)
    plates: list[Box] = field(default_factory=list)
    line_x: int | None = None
    plate_texts: list[tuple[Box, str]] = field(default_factory=list)
    vehicles: list[Box] = field(default_factory=list)   # moving vehicles, found or not: their plates masked
    hidden: list[Box] = field(default_factory=list)     # masked on blurred views, not drawn (a stopped camera's last
                                                        # picture: its faces and plates are still in it)


def _scale(box: Box, fx: float, fy: float) -> Box:
    return int(box[0] * fx), int(box[1] * fy), int(box[2] * fx), int(box[3] * fy)


def body_below(face: Box, bounds: tuple[int, int]) -> Box:
    """A person's box from their face: hair half a face above it, shoulders three faces wide, down to seven
    faces or the picture's edge."""
    x, y, w, h = face
    top = max(0, y - h // 2)
    return expand((x - w, top, 3 * w, min(8 * h, bounds[1] - top)), 0.0, bounds)


class VisionAnalyzer:
    def __init__(self, config: VisionConfig, publish: Callable[[Observation], None],
                 snapshot: Callable[[str, np.ndarray, Box, float], None] | None = None, *,
                 models: bool = True) -> None:
        """*snapshot*(subject, image, face box, ts) is called once per person, when their face is first seen;
        *models*: False keeps to OpenCV's own detectors even where the optional models are installed."""
        self.config = config
        self._snapshot = snapshot
        self.motion = MotionDetector(threshold=config.motion_threshold, min_area=config.motion_min_area)
        self.people = PeopleDetector()
        self.finder = FaceFinder(scale_factor=config.face_scale_factor, min_size=config.face_min_size, model=models)
        self._recognition = models and FaceRecogniser.installed()
        self._recogniser: FaceRecogniser | None = None      # loaded when the first face is large enough
        self.plates = PlateWatch(reader=models)
        logger.info("vision detectors: %s", "; ".join(f"{k}: {v}" for k, v in self.detectors.items()))
        self.tracker: Tracker | None = None
        self.latest = Detections()
        self.face_checks = 0
        self.detail_checks = 0
        self.embeddings = 0
        self.stage_s: dict[str, float] = {}
        self._scan: list[Face] = []
        self._moving = False
        self._small_until = -1e9
        self._last_scan = -1e9
        self._plate_texts: list[tuple[float, Box, str]] = []
        self.reporter = Reporter(publish)

    @property
    def detectors(self) -> dict[str, str]:
        """Which detector does each job: the optional models where installed, else OpenCV's own."""
        return {"people": "background model, split by perspective, tracked", "faces": self.finder.name,
                "recognition": FaceRecogniser.name if self._recognition
                else "appearance signature (clothes, face pattern)", "plates": self.plates.name}

    @property
    def recogniser(self) -> FaceRecogniser | None:
        if self._recogniser is None and self._recognition:
            self._recogniser = FaceRecogniser.load()
            self._recognition = self._recogniser is not None
        return self._recogniser

    def process(self, frame: Frame) -> Detections:
        image, now = frame.image, frame.ts
        height, width = image.shape[:2]
        if self.tracker is None:
            self.tracker = Tracker(line_x=int(self.config.count_line * width), width=width,
                                   reid_threshold=self.config.reid_threshold)
        tick = self._clock()
        analysis = (ANALYSIS_WIDTH, max(2, round(height * ANALYSIS_WIDTH / width)))
        small = cv2.resize(image, analysis, interpolation=cv2.INTER_AREA)
        grey = cv2.cvtColor(cv2.resize(small, (MOTION_WIDTH, analysis[1] // 2), interpolation=cv2.INTER_NEAREST),
                            cv2.COLOR_BGR2GRAY)
        motion = self.motion.detect(grey)
        to_view = width / MOTION_WIDTH, height / (analysis[1] // 2)
        motion_view = [_scale(b, *to_view) for b in motion.boxes]
        tick("motion")
        bodies = [_scale(b, width / analysis[0], height / analysis[1]) for b in self.people.detect(small)]
        tick("people")
        started_moving, self._moving = motion.moving and not self._moving, motion.moving
        # The network scans the picture while anything goes on; the cascades (slower, and fooled by posters)
        # only where nobody is followed, whose heads are searched instead.
        busy = motion.boxes or self.tracker.active if self.finder.model else motion.boxes and not self.tracker.active
        if (now - self._last_scan >= self.config.face_recheck_s or started_moving
                or (now - self._last_scan >= SCAN_EVERY_S and busy)):
            self._last_scan = now
            self.face_checks += 1
            # Every third scan at full resolution; the others at half (faces from ~20 px), unless small faces
            # (a crowd, someone far) were seen lately.
            fine = self.face_checks % 3 == 1 or now < self._small_until
            self._scan = self.finder.scan(image, fine=fine)
            if fine and any(f.box[3] < SMALL_FACE for f in self._scan):
                self._small_until = now + 10.0
            tick("faces")
        fresh = now - self._last_scan <= 1.5 * SCAN_EVERY_S
        loose = [f for f in self._scan if fresh]
        faced = [f.box for f in loose if f.box[3] >= BODY_FROM_FACE and f.score >= 0.6]
        known = [t.box for t in self.tracker.active if t.visible and t.face is not None and t.face[3] >= BODY_FROM_FACE]
        events = self.tracker.update(now, fuse(bodies, faced, known, (width, height)), image)
        tick("tracking")
        for track in self.tracker.active:
            if track.visible:
                self._look_at_face(track, image, motion_view, now, events)
        tick("faces")
        tracked = [t.face for t in self.tracker.active if t.face is not None and t.visible]
        faces = tracked + [f.box for f in loose if not any(overlaps(f.box, t) for t in tracked)]
        vehicles = [v for v in (_scale(b, width / analysis[0], height / analysis[1]) for b in self.people.vehicles)
                    if not any(overlaps(v, f) for f in faces)]        # someone close up is solid too
        plates, read = self.plates.look(image, vehicles, now)
        if read is not None:
            self._plate_texts.append((now, read.box, read.text))
            self.reporter.plate_read(now, read)
        self._plate_texts = [p for p in self._plate_texts if now - p[0] < PLATE_SHOWN_S]
        tick("plates")
        people = [TrackView(t.id, t.box, [(x, y) for _, x, y in list(t.trail)[-30:]], t.dwell_s, t.looking,
                            t.smiling, t.reid, hidden=t.occluded_since is not None) for t in self._in_view(now)]
        self.latest = Detections(now, motion_view, faces, people, plates, self.tracker.line_x,
                                 [(box, text) for _, box, text in self._plate_texts], vehicles)
        self.reporter.report(now, motion.fraction, self.latest, self.tracker, events)
        tick("report")
        return self.latest

    def _in_view(self, now: float) -> list[Track]:
        """Visible people (those not yet numbered too), and those hidden in a group's shape for a moment, as
        many as the shape can hold (about one person per 0.4 of its height across)."""
        tracks = self.tracker.active       # type: ignore[union-attr]
        # Someone seen in a few frames is counted at once, though given a number only once they have stayed.
        shown = [t for t in tracks if t.visible] + [t for t in self.tracker.tentative  # type: ignore[union-attr]
                                                    if t.visible and t.hits >= self.tracker.confirm_hits
                                                    and t.last_seen == now]
        room: dict[Box, int] = {}
        for t in tracks:
            if t.occluded_since is None or now - t.occluded_since > HIDDEN_COUNTED_S:
                continue
            if t.box not in room:
                holds = max(1, round(t.box[2] / (0.4 * max(1, t.box[3]))))
                room[t.box] = holds - sum(1 for v in shown if v.box == t.box)
            if room[t.box] > 0:
                room[t.box] -= 1
                shown.append(t)
        return shown

    def _clock(self) -> Callable[[str], None]:
        """tick(stage) adds the CPU time since the last tick to that stage's total (bench/real.py prints them)."""
        last = [time.thread_time()]

        def tick(stage: str) -> None:
            now = time.thread_time()
            self.stage_s[stage] = self.stage_s.get(stage, 0.0) + now - last[0]
            last[0] = now
        return tick

    def summary(self) -> dict:
        """Counters for the dashboard: people in view now, and in/out across the line since start or the last wipe."""
        tracker = self.tracker
        return {"people": len(self.latest.people), "looking": sum(p.looking for p in self.latest.people),
                "in": tracker.count_in if tracker else 0, "out": tracker.count_out if tracker else 0,
                "tracked_total": tracker.started if tracker else 0,
                "counted_since": tracker.since if tracker else None,      # in/out count from here (start or wipe)
                "first_inside": tracker.first_inside if tracker else 0}   # first seen inside: their leaving is an out

    def heatmap_jpeg(self, size: tuple[int, int] = (320, 240)) -> bytes:
        """Where people have been, in colour over the learnt empty room (grey until the first frames)."""
        return heatmap_jpeg(self.people, size)

    # ---- faces
    def _look_at_face(self, track: Track, image: np.ndarray, motion: list[Box], now: float,
                      events: list[TrackEvent]) -> None:
        x, y, w, h = track.box
        if h < MIN_BODY_FOR_FACE and w < MIN_BODY_FOR_FACE:
            return                  # a face there would be a few pixels: nothing any detector can find
        # The head is the top of a standing body; a shape no taller than wide is a head and shoulders close up.
        # From a little above the shape: its top may be the shoulders, the head cut off where hair meets wall.
        head = expand((x - w // 5, y - h // 4, w + 2 * (w // 5), int(h * (0.85 if h > 1.5 * w else 1.35))), 0.0,
                      image.shape[1::-1])
        scanned = [f for f in self._scan if now == self._last_scan and inside(f.box, head)]
        track.carry_face()          # with the body; dropped (and due again at once) if the body changed shape
        since = now - track.last_face_check
        due = (since >= self.config.face_recheck_s or (track.face is None and since >= 0.5) or
               (since >= HEAD_MOTION_RECHECK_S and any(overlaps(head, m) for m in motion)))
        if not scanned and not due:
            return
        track.last_face_check = now
        if not scanned:
            self.face_checks += 1
        found = scanned or self.finder.head(image, head)
        if not found:
            track.set_face(None)
            return
        face = max(found, key=lambda f: f.box[2] * f.box[3] * (2 if f.frontal else 1))
        was_looking = track.looking
        if track.face is None or not track.looking or now - track.last_detail_check >= DETAIL_RECHECK_S:
            track.last_detail_check = now
            self.detail_checks += 1
            looking, smiling = self.finder.looks(image, face)
            track.set_face(face.box, looking=looking, smiling=smiling)
        else:
            track.set_face(face.box)
        if track.looking and not was_looking and track.signature.face is None:
            self._first_look(track, image, face.box, now)
        if track.looking and track.signature.embedding is None and self._recognition \
                and min(face.box[2:]) >= MIN_FACE and now - track.embedded_at >= EMBED_RETRY_S \
                and self.recogniser is not None:
            track.embedded_at = now
            track.signature.embedding = self.recogniser.embed(image, face.box)
            self.embeddings += track.signature.embedding is not None
        if track.signature.face is not None and (track.signature.embedding is not None or not self._recognition
                                                 or min(face.box[2:]) < MIN_FACE):
            event = self.tracker.reidentify(track, now)       # type: ignore[union-attr]
            if event is not None:
                events.append(event)

    def _first_look(self, track: Track, image: np.ndarray, face: Box, now: float) -> None:
        """Their face first seen turned to the camera: a snapshot, and the coarse face pattern."""
        x, y, w, h = track.box
        if self._snapshot is not None:
            x0, y0 = max(0, x), max(0, y)
            crop = image[y0:y + h, x0:x + w].copy()
            self._snapshot(f"track:{track.id}", crop, (face[0] - x0, face[1] - y0, face[2], face[3]), now)
        grey = cv2.cvtColor(image[max(0, face[1]):face[1] + face[3], max(0, face[0]):face[0] + face[2]],
                            cv2.COLOR_BGR2GRAY)
        track.signature.face = face_vector(grey, (0, 0, face[2], face[3]))
        blend_clothes(track, image)     # a new look at their clothes, blended in


def heatmap_jpeg(people: PeopleDetector, size: tuple[int, int]) -> bytes:
    """Where people have been, in colour over the learnt empty room (grey until the first frames)."""
    background, heat = people.background(), people.heat
    if background is None or heat is None:
        background, heat = np.full((*size[::-1], 3), 60, np.uint8), np.zeros(size[::-1], np.float32)
    room = cv2.resize(background, size, interpolation=cv2.INTER_LINEAR)
    peak = float(heat.max())
    level = cv2.resize(heat * (255.0 / peak) if peak > 0 else heat, size).astype(np.uint8)
    colour = cv2.applyColorMap(level, cv2.COLORMAP_JET)
    alpha = (np.minimum(level, 160).astype(np.float32) / 255.0)[:, :, None]
    blended = (room * (1 - alpha) + colour * alpha).astype(np.uint8)
    ok, jpeg = cv2.imencode(".jpg", blended, [cv2.IMWRITE_JPEG_QUALITY, 75])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return jpeg.tobytes()


def fuse(bodies: list[Box], faces: list[Box], known: list[Box], bounds: tuple[int, int]) -> list[Box]:
    """One box per person from shapes and faces: the shapes around a face (or around someone whose face is
    known) are pieces of that one person, whose box is their union (a person sitting still shows only the
    parts that move); a face with no shape around it stands for a person of its own."""
    people, rest = [], list(bodies)
    for anchor, face in [(body_below(f, bounds), f) for f in faces] + [(k, None) for k in known]:
        mine = [b for b in rest if iou(b, anchor) > 0.1 or inside(b, anchor)]
        rest = [b for b in rest if b not in mine]
        together = union(mine) if mine else None
        if together is not None and (face is None or inside(face, together)):
            people.append(together)
        elif face is not None:
            people.append(anchor)
    return people + rest



__all__ = ["Detections", "Plate", "TrackView", "VisionAnalyzer"]
