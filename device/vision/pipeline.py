"""The vision analyzer: what a smart camera infers, each step gated on a cheaper one before it.

    analyzer = VisionAnalyzer(config.vision, publish=hub.publish)
    detections = analyzer.process(frame)     # boxes in the frame's own pixels; observations published

Per frame: a 160x120 frame difference (motion) and background model (people), about a millisecond
together; the tracker carries people between detections. Faces are searched only in a tracked person's
head, when they are new, when their head moves, or once every face_recheck_s; eyes and smiles only on a
face that is new or due for a re-check; licence plates only in moving regions, twice a second.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np

from device.config import VisionConfig
from device.hub import Frame
from device.observations import Observation
from device.vision.faces import FaceDetector, expand, overlaps, union
from device.vision.motion import Box, MotionDetector
from device.vision.people import PeopleDetector
from device.vision.plates import PlateDetector
from device.vision.reports import Reporter
from device.vision.signature import face_vector
from device.vision.tracker import Track, Tracker, TrackEvent

ANALYSIS_SIZE = (320, 240)
MOTION_SIZE = (160, 120)
DETAIL_RECHECK_S = 2.0
HEAD_MOTION_RECHECK_S = 0.2
PLATE_EVERY_S = 0.5


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


@dataclass(frozen=True)
class Detections:
    """What the analyzer last saw, in the viewed frame's pixels, for overlays and the status page."""

    ts: float = 0.0
    motion: list[Box] = field(default_factory=list)
    faces: list[Box] = field(default_factory=list)
    people: list[TrackView] = field(default_factory=list)
    plates: list[Box] = field(default_factory=list)
    line_x: int | None = None


def _offset(box: Box, roi: Box) -> Box:
    return box[0] + roi[0], box[1] + roi[1], box[2], box[3]


def _scale(box: Box, fx: float, fy: float) -> Box:
    return int(box[0] * fx), int(box[1] * fy), int(box[2] * fx), int(box[3] * fy)


class VisionAnalyzer:
    def __init__(self, config: VisionConfig, publish: Callable[[Observation], None],
                 snapshot: Callable[[str, np.ndarray, Box, float], None] | None = None) -> None:
        """*snapshot*(subject, image, face box, ts) is called once per person, when their face is first seen."""
        self.config = config
        self._snapshot = snapshot
        self.motion = MotionDetector(threshold=config.motion_threshold, min_area=config.motion_min_area)
        self.people = PeopleDetector()
        self.faces = FaceDetector(scale_factor=config.face_scale_factor, min_size=config.face_min_size)
        self.plates = PlateDetector()
        self.tracker: Tracker | None = None
        self.latest = Detections()
        self.face_checks = 0
        self.detail_checks = 0
        self._loose_faces: list[Box] = []      # faces with no tracked body, in analysis pixels
        self._last_loose_check = -1e9
        self._last_plate_check = -1e9
        self._plates: list[Box] = []
        self.reporter = Reporter(publish)

    def process(self, frame: Frame) -> Detections:
        height, width = frame.image.shape[:2]
        if self.tracker is None:
            self.tracker = Tracker(line_x=int(self.config.count_line * width), width=width,
                                   reid_threshold=self.config.reid_threshold)
        now = frame.ts
        grey = self._analysis_grey(frame)
        small = cv2.resize(grey, MOTION_SIZE, interpolation=cv2.INTER_NEAREST)
        motion = self.motion.detect(small)
        bodies = self.people.detect(cv2.resize(frame.image, MOTION_SIZE, interpolation=cv2.INTER_AREA))

        to_view = width / MOTION_SIZE[0], height / MOTION_SIZE[1]
        motion_view = [_scale(b, *to_view) for b in motion.boxes]
        events = self.tracker.update(now, [_scale(b, *to_view) for b in bodies], frame.image)
        for track in self.tracker.active:
            if track.visible:
                self._look_at_face(track, frame, grey, motion_view, now, events)
        faces = [t.face for t in self.tracker.active if t.face is not None and t.visible]
        faces += [_scale(b, width / ANALYSIS_SIZE[0], height / ANALYSIS_SIZE[1]) for b in
                  self._loose(grey, motion.boxes, now)]
        plates = self._look_for_plates(frame, motion_view, now)

        people = [TrackView(t.id, t.box, [(x, y) for _, x, y in list(t.trail)[-30:]], t.dwell_s, t.looking,
                            t.smiling, t.reid) for t in self.tracker.active if t.visible]
        self.latest = Detections(now, motion_view, faces, people, plates, self.tracker.line_x)
        self.reporter.report(now, motion.fraction, self.latest, self.tracker, events)
        return self.latest

    def summary(self) -> dict:
        """Counters for the dashboard: people in view now, and in/out across the line since start."""
        tracker = self.tracker
        return {"people": len(self.latest.people), "looking": sum(p.looking for p in self.latest.people),
                "in": tracker.count_in if tracker else 0, "out": tracker.count_out if tracker else 0,
                "tracked_total": tracker.started if tracker else 0}

    def heatmap_jpeg(self, size: tuple[int, int] = (320, 240)) -> bytes:
        """Where people have been, in colour over the learnt empty room (grey until the first frames)."""
        background, heat = self.people.background(), self.people.heat
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

    # ---- faces
    def _look_at_face(self, track: Track, frame: Frame, grey: np.ndarray, motion: list[Box], now: float,
                      events: list[TrackEvent]) -> None:
        x, y, w, h = track.box
        # The head is the top of a standing body; a shape no taller than wide is a head and shoulders close up.
        head = (x - w // 5, y - h // 10, w + 2 * (w // 5), int(h * (0.7 if h > 1.5 * w else 1.2)))
        since = now - track.last_face_check
        due = (since >= self.config.face_recheck_s or
               (since >= HEAD_MOTION_RECHECK_S and any(overlaps(head, m) for m in motion)))
        if not due:
            track.carry_face()
            return
        track.last_face_check = now
        self.face_checks += 1
        height, width = frame.image.shape[:2]
        # A head is small: search it at full resolution, where a face 3 m away is still 50 px wide.
        roi = expand(head, 0.0, (width, height))
        head_grey = cv2.cvtColor(frame.image[roi[1]:roi[1] + roi[3], roi[0]:roi[0] + roi[2]], cv2.COLOR_BGR2GRAY)
        head_min = 2 * self.config.face_min_size          # face_min_size is in 320-wide analysis pixels
        found = self.faces.detect(head_grey, min_size=head_min)
        if not found:
            side = self.faces.profile(head_grey, min_size=head_min) if since >= self.config.face_recheck_s else []
            track.set_face(_offset(side[0], roi) if side else None, looking=False)
            return
        face = _offset(max(found, key=lambda b: b[2] * b[3]), roi)
        was_looking = track.looking
        if track.face is None or not track.looking or now - track.last_detail_check >= DETAIL_RECHECK_S:
            track.last_detail_check = now
            self.detail_checks += 1
            crop = frame.image[max(0, face[1]):face[1] + face[3], max(0, face[0]):face[0] + face[2]]
            eyes, smiling = self.faces.details(cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY))
            track.set_face(face, looking=eyes > 0, smiling=smiling)
        else:
            track.set_face(face)
        if track.looking and not was_looking and track.signature.face is None:
            if self._snapshot is not None:
                x0, y0 = max(0, x), max(0, y)
                crop = frame.image[y0:y + h, x0:x + w].copy()
                self._snapshot(f"track:{track.id}", crop, (face[0] - x0, face[1] - y0, face[2], face[3]), now)
            grey_full = cv2.cvtColor(frame.image[max(0, face[1]):face[1] + face[3],
                                                 max(0, face[0]):face[0] + face[2]], cv2.COLOR_BGR2GRAY)
            track.signature.face = face_vector(grey_full, (0, 0, face[2], face[3]))
            self.tracker.refresh_clothes(track, frame.image)  # type: ignore[union-attr]
            event = self.tracker.reidentify(track, now)       # type: ignore[union-attr]
            if event is not None:
                events.append(event)

    def _loose(self, grey: np.ndarray, motion_small: list[Box], now: float) -> list[Box]:
        """Faces where no body is tracked (someone very close, or still): motion first, else now and then."""
        if self.tracker and self.tracker.active:
            self._loose_faces = []
            return []
        to_analysis = ANALYSIS_SIZE[0] / MOTION_SIZE[0]
        regions = [_scale(b, to_analysis, to_analysis) for b in motion_small]
        if regions and now - self._last_loose_check >= HEAD_MOTION_RECHECK_S:
            self._loose_faces = self.faces.detect(grey, expand(union(regions), 0.5, ANALYSIS_SIZE))
        elif now - self._last_loose_check >= self.config.face_recheck_s:
            self._loose_faces = self.faces.detect(grey)
        else:
            return self._loose_faces
        self._last_loose_check = now
        self.face_checks += 1
        return self._loose_faces

    def _look_for_plates(self, frame: Frame, motion: list[Box], now: float) -> list[Box]:
        """Plates are small: searched at full resolution, but only in what moves, twice a second."""
        if motion and now - self._last_plate_check >= PLATE_EVERY_S:
            self._last_plate_check = now
            height, width = frame.image.shape[:2]
            x, y, w, h = expand(union(motion), 0.1, (width, height))
            grey = cv2.cvtColor(frame.image[y:y + h, x:x + w], cv2.COLOR_BGR2GRAY)
            self._plates = [(px + x, py + y, pw, ph) for px, py, pw, ph in self.plates.detect(grey)]
        elif not motion and now - self._last_plate_check >= 5 * PLATE_EVERY_S:
            self._plates = []
        return self._plates

    @staticmethod
    def _analysis_grey(frame: Frame) -> np.ndarray:
        if frame.grey is not None and frame.grey.shape[::-1] == ANALYSIS_SIZE:
            return frame.grey
        small = cv2.resize(frame.image, ANALYSIS_SIZE, interpolation=cv2.INTER_AREA)
        return cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
