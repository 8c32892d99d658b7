"""What viewers see: faces pixelated (on by default), plates pixelated and their text masked with them, and
what the kit inferred drawn over the picture.

render_view() runs once per frame and per view (public, or the kiosk's clear view), whatever the number
of viewers: the result is one JPEG that every viewer of that view shares.

Plates are found a few times a second at most, and not again once read, while the car drives on: where a
blurred view hides a plate is where PlateMemory predicts it is now (its last two positions give a velocity),
widened by the time since it was seen, with the moving shape around it, for PLATE_HOLD_S after it was last
reported. A plate is found only once its vehicle is near, a few times a second: until then, and between
analyses, a blurred view masks each moving vehicle's plate band (the lower part of its box, where plates
are mounted, front, back or side on), carried on to the frame's time by its edges' last velocities (widened
while they are unknown), for VEHICLE_HOLD_S after the vehicle was last found, and for up to VEHICLE_COAST_S
while something still moves where a followed vehicle should be (a car that passes behind someone merges
with them into a shape that is no vehicle's).

The heatmap's background is the learnt room, where someone who stood still is drawn, face and all:
public_heatmap() draws it over a coarse room instead.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from device.vision.faces import overlaps, union
from device.vision.motion import Box
from device.vision.pipeline import Detections

FACE_COLOUR = (80, 220, 80)
LOOKING_COLOUR = (60, 200, 255)
MOTION_COLOUR = (0, 170, 255)
TRACK_COLOUR = (255, 160, 60)
PLATE_COLOUR = (200, 80, 255)
FONT = cv2.FONT_HERSHEY_SIMPLEX

PLATE_HOLD_S = 3.0          # a plate stays masked this long after the pipeline last reported it
PREDICT_S = 6.0             # a plate is followed by its velocity this long after it was found, at most
SPREAD = 0.3                # plate widths per second: how far a plate may stray from where it is predicted
SPEED_ERROR = 0.15          # of its speed: how wrong a velocity from two boxes found 0.1 s apart may be
MAX_SPEED = 1.5             # picture widths per second: faster is a misreading of two boxes
BAND_TOP = 0.4             # of a vehicle box's height: its plate band is from here to its bottom (and a little below)
VEHICLE_HOLD_S = 0.6        # a vehicle's band is masked this long after the pipeline last reported it
VEHICLE_COAST_S = 3.0       # a followed vehicle lost in a larger shape is carried on this long at most
VEHICLE_SPEED = 0.5         # picture widths per second: how far a vehicle not yet followed may have moved
PLATE_BLOCK = 16            # pixels: a masked plate's squares are at least this wide (a character's width)
ROOM_CELLS = 10             # squares across the heatmap's room on blurred views: its shape, no face


def blur_faces(image: np.ndarray, faces: list[tuple[int, int, int, int]], blocks: int = 8,
               least: int = 1) -> None:
    """Pixelate each face in place into blocks x blocks squares (each at least *least* pixels wide): cheap,
    and it cannot be sharpened back."""
    height, width = image.shape[:2]
    for x, y, w, h in faces:
        x0, y0, x1, y1 = max(0, x), max(0, y), min(width, x + w), min(height, y + h)
        if x1 - x0 < 2 or y1 - y0 < 2:
            continue
        region = image[y0:y1, x0:x1]
        across = max(1, min(blocks, (x1 - x0) // least))
        down = max(1, min(blocks, (y1 - y0) // least)) if least > 1 else blocks
        tiny = cv2.resize(region, (across, down), interpolation=cv2.INTER_AREA)
        image[y0:y1, x0:x1] = cv2.resize(tiny, (x1 - x0, y1 - y0), interpolation=cv2.INTER_NEAREST)


def mask_plate(text: str) -> str:
    """A plate as a blurred view shows it: its first character, the rest hidden ("L** ****")."""
    return "".join(c if i == 0 or c == " " else "*" for i, c in enumerate(text))


class Band(tuple):
    """A vehicle's plate band, where its plate may be whether found or not: masked as plates are, boxed
    thinly, not labelled "plate" (the kit has not found one there)."""

    __slots__ = ()


def plate_band(vehicle: Box, size: tuple[int, int]) -> Band:
    """Where a vehicle's plate may be: its box's width and lower part (bumpers, front, back or side on), a
    little beyond its bottom and sides (a box cut short by a shadow, or by the picture's edge)."""
    x, y, w, h = vehicle
    top = y + int(BAND_TOP * h)
    return Band(_clip((x - w // 20, top, w + 2 * (w // 20), y + h + h // 10 - top), size))


@dataclass
class _Vehicle:
    box: Box                                            # where it was last found
    ts: float                                           # when
    edges: tuple[float, float, float, float] | None     # its left, top, right, bottom edges' speeds (pixels/s)
    kept: float                                         # when last found, or something seen moving where it is


@dataclass
class _Seen:
    box: Box                                # where it was last found
    ts: float                               # when
    before: tuple[float, Box] | None        # the position before that, for its velocity
    reported: float                         # when the pipeline last reported it (found again, or kept)

    def velocity(self) -> tuple[float, float]:
        if self.before is None or self.ts - self.before[0] < 0.02:
            return 0.0, 0.0
        (_, b0), dt = self.before, self.ts - self.before[0]
        return ((self.box[0] + self.box[2] / 2 - b0[0] - b0[2] / 2) / dt,
                (self.box[1] + self.box[3] / 2 - b0[1] - b0[3] / 2) / dt)


class PlateMemory:
    """Where the plates seen lately may be now, from the pipeline's detections (render_view's regions).

        memory.observe(detections)                  # once per analysed frame (more calls are ignored)
        memory.regions(frame.ts, detections, (640, 480))    # boxes to mask in the frame taken at ts
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ts: float | None = None
        self._seen: list[_Seen] = []
        self._vehicles: list[_Vehicle] = []

    def observe(self, detections: Detections) -> None:
        """Take a new analysis in: a plate box that moved was found again (now); one that did not is kept."""
        with self._lock:
            if detections.ts == self._ts:
                return
            self._ts = ts = detections.ts
            for box in detections.plates:
                same = next((s for s in self._seen if s.box == box), None)
                if same is not None:
                    same.reported = ts
                    continue
                near = min(self._seen, key=lambda s: _distance(_moved(s, ts), box), default=None)
                if near is not None and _distance(_moved(near, ts), box) <= 3 * max(near.box[2], 40):
                    near.before, near.box, near.ts, near.reported = (near.ts, near.box), box, ts, ts
                else:
                    self._seen.append(_Seen(box, ts, None, ts))
            self._seen = [s for s in self._seen if ts - s.reported <= PLATE_HOLD_S]
            self._vehicles = _follow(self._vehicles, detections, ts)

    def regions(self, now: float, detections: Detections, size: tuple[int, int]) -> list[Box]:
        """What to mask in a frame taken at *now* (width, height *size*): each plate where it is predicted,
        widened by the time since it was found, and the moving shapes around it, carried on to *now*."""
        with self._lock:
            seen = [s for s in self._seen if now - s.reported <= PLATE_HOLD_S]
            vehicles = [v for v in self._vehicles if now - v.kept <= VEHICLE_HOLD_S]
        out: list[Box] = []
        for s in seen:
            vx, vy = s.velocity()
            speed = math.hypot(vx, vy)
            if speed > MAX_SPEED * size[0]:
                vx, vy = vx * MAX_SPEED * size[0] / speed, vy * MAX_SPEED * size[0] / speed
            dt = min(max(0.0, now - s.ts), PREDICT_S)
            x, y, w, h = s.box
            px, py = x + vx * dt, y + vy * dt
            grow = 0.25 * w + (SPREAD * w + SPEED_ERROR * math.hypot(vx, vy)) * dt
            region = _clip((int(px - grow), int(py - grow / 2), int(w + 2 * grow), int(h + grow)), size)
            if region[2] > 0 and region[3] > 0:
                out.append(region)
            # The moving vehicle around it when the picture was analysed, moved on to now.
            lag = max(0.0, now - detections.ts)
            then = _clip((int(x + vx * (detections.ts - s.ts)), int(y + vy * (detections.ts - s.ts)), w, h), size)
            for m in detections.motion:
                if overlaps(m, then):
                    body = union([m, (int(m[0] + vx * lag), int(m[1] + vy * lag), m[2], m[3])])
                    out.append(_clip(body, size))
        out += [plate_band(_carried(v, now, size), size) for v in vehicles]
        return [r for r in out if r[2] > 0 and r[3] > 0]


def _follow(vehicles: list[_Vehicle], detections: Detections, ts: float) -> list[_Vehicle]:
    """The vehicles of an analysis at *ts*, each matched to the nearest one before (its edges' speeds from
    the two). One not found again is kept a while, and carried on while something moves where it should be
    (merged with a passer-by, it is part of a shape that is no vehicle's)."""
    out, left = [], list(vehicles)
    for box in detections.vehicles:
        near = min(left, key=lambda v: _distance(v.box, box), default=None)
        if near is not None and ts > near.ts and _distance(near.box, box) <= max(near.box[2], box[2]):
            left.remove(near)
            dt = ts - near.ts
            (x0, y0, w0, h0), (x, y, w, h) = near.box, box
            edges = ((x - x0) / dt, (y - y0) / dt, (x + w - x0 - w0) / dt, (y + h - y0 - h0) / dt)
            out.append(_Vehicle(box, ts, edges, ts))
        else:
            out.append(_Vehicle(box, ts, None, ts))
    for v in left:
        if v.edges is not None and ts - v.ts <= VEHICLE_COAST_S and any(
                overlaps(m, _carried(v, ts, None)) for m in detections.motion):
            v.kept = ts
    return out + [v for v in left if ts - v.kept <= VEHICLE_HOLD_S]


def _carried(v: _Vehicle, now: float, size: tuple[int, int] | None) -> Box:
    """Where a vehicle found at v.ts may be at *now* (in a picture of *size*): its box with each edge moved on
    by its speed (and the box as found, in case it stopped), widened by how wrong that may be; by
    VEHICLE_SPEED where its speed is unknown."""
    lag = min(max(0.0, now - v.ts), VEHICLE_COAST_S if v.edges else VEHICLE_HOLD_S)
    x, y, w, h = v.box
    width = size[0] if size else 2 * (x + w)
    if v.edges is None:
        grow = VEHICLE_SPEED * width * lag
        return int(x - grow), int(y - grow / 2), int(w + 2 * grow), int(h + grow)
    limit = MAX_SPEED * width
    left, top, right, bottom = (max(-limit, min(limit, e)) * lag for e in v.edges)
    grow = SPEED_ERROR * max(abs(left), abs(right)) + 0.05 * w
    x0, y0 = x + min(0.0, left) - grow, y + min(0.0, top) - grow / 2
    x1, y1 = x + w + max(0.0, right) + grow, y + h + max(0.0, bottom) + grow / 2
    return int(x0), int(y0), int(x1 - x0), int(y1 - y0)


def _moved(s: _Seen, ts: float) -> Box:
    vx, vy = s.velocity()
    dt = min(max(0.0, ts - s.ts), PREDICT_S)
    return int(s.box[0] + vx * dt), int(s.box[1] + vy * dt), s.box[2], s.box[3]


def _distance(a: Box, b: Box) -> float:
    return math.hypot(a[0] + a[2] / 2 - b[0] - b[2] / 2, a[1] + a[3] / 2 - b[1] - b[3] / 2)


def _clip(box: Box, size: tuple[int, int]) -> Box:
    x0, y0 = max(0, box[0]), max(0, box[1])
    x1, y1 = min(size[0], box[0] + box[2]), min(size[1], box[1] + box[3])
    return x0, y0, max(0, x1 - x0), max(0, y1 - y0)


def _label(image: np.ndarray, text: str, x: int, y: int, colour: tuple[int, int, int]) -> None:
    (w, h), _ = cv2.getTextSize(text, FONT, 0.5, 1)
    y = max(h + 4, y)
    cv2.rectangle(image, (x, y - h - 4), (x + w + 4, y + 2), (0, 0, 0), -1)
    cv2.putText(image, text, (x + 2, y - 2), FONT, 0.5, colour, 1, cv2.LINE_AA)


def render_view(image: np.ndarray, detections: Detections, *, blur: bool, blocks: int = 8,
                quality: int = 70, plates: list[Box] | None = None) -> bytes:
    """One JPEG of the frame with what the kit inferred drawn on it; *plates*: where plates may be now
    (PlateMemory.regions, with the vehicles' plate bands), masked and boxed on a blurred view instead of
    where they were last found (without it, the plates and vehicles' bands of the analysis)."""
    view = image.copy()
    if blur:
        blur_faces(view, detections.faces + detections.hidden, blocks)
    height = view.shape[0]
    if detections.line_x is not None:
        cv2.line(view, (detections.line_x, 0), (detections.line_x, height), (200, 200, 200), 1)
    for x, y, w, h in detections.motion:
        cv2.rectangle(view, (x, y), (x + w, y + h), MOTION_COLOUR, 1)
    for person in detections.people:
        if person.hidden:
            continue
        if len(person.trail) > 1:
            cv2.polylines(view, [np.array(person.trail, np.int32)], False, TRACK_COLOUR, 2)
        x, y, w, h = person.box
        cv2.rectangle(view, (x, y), (x + w, y + h), TRACK_COLOUR, 2)
        text = f"#{person.id} {person.dwell_s:.0f}s" if person.id else "new"
        if person.reid:
            text += f" seen before ({person.reid[1]:.0%})"
        _label(view, text, x, y - 4, TRACK_COLOUR)
        if person.looking:
            _label(view, "looking" + (", smiling" if person.smiling else ""), x, y + h + 16, LOOKING_COLOUR)
    for x, y, w, h in detections.faces:
        cv2.rectangle(view, (x, y), (x + w, y + h), FACE_COLOUR, 2)
    boxes = list(detections.plates)
    if blur:
        size = view.shape[1::-1]
        boxes = plates if plates is not None else boxes + [plate_band(v, size) for v in detections.vehicles]
        blur_faces(view, boxes, blocks, PLATE_BLOCK)
    for x, y, w, h in (b for b in boxes if isinstance(b, Band)):
        cv2.rectangle(view, (x, y), (x + w, y + h), PLATE_COLOUR, 1)
    boxes = [b for b in boxes if not isinstance(b, Band)]
    for x, y, w, h in boxes:
        cv2.rectangle(view, (x, y), (x + w, y + h), PLATE_COLOUR, 2)
        _label(view, "plate", x, y - 4, PLATE_COLOUR)
    for box, text in detections.plate_texts:
        x, y, _, h = min(boxes, key=lambda b: _distance(b, box)) if blur and boxes else box
        _label(view, mask_plate(text) if blur else text, x, y + h + 16, PLATE_COLOUR)
    ok, jpeg = cv2.imencode(".jpg", view, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return jpeg.tobytes()


class _CoarseRoom:
    """A people detector's layers as a blurred view's heatmap draws them: the learnt room pixelated to *cells*
    squares across (the room's shape; a face there is a few squares), and the heat smoothed over twice as many:
    a still person's flickering motion mask traces their features, which the colours would otherwise show."""

    def __init__(self, people: Any, cells: int) -> None:
        self._people, self._cells = people, cells
        self.heat = _coarse(people.heat, 2 * cells, cv2.INTER_LINEAR)

    def background(self) -> np.ndarray | None:
        return _coarse(self._people.background(), self._cells, cv2.INTER_NEAREST)


def _coarse(layer: np.ndarray | None, cells: int, back: int) -> np.ndarray | None:
    """*layer* averaged over *cells* squares across and brought back to its size (*back*: blocks or smooth)."""
    if layer is None:
        return None
    height, width = layer.shape[:2]
    tiny = cv2.resize(layer, (cells, max(1, round(cells * height / width))), interpolation=cv2.INTER_AREA)
    return cv2.resize(tiny, (width, height), interpolation=back)


def public_heatmap(people: Any, size: tuple[int, int] = (320, 240), cells: int = ROOM_CELLS) -> bytes:
    """Where people have been, as phones see it: the heat over a coarse room (see _CoarseRoom)."""
    from device.vision.pipeline import heatmap_jpeg

    return heatmap_jpeg(_CoarseRoom(people, cells), size)
