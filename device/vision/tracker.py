"""The marker: every person in view gets an ID that follows them, with trail, dwell, direction and line
crossings; someone who comes back is given their old ID when their appearance matches.

    tracker = Tracker(line_x=320)
    events = tracker.update(ts, person_boxes, image)    # boxes in the image's pixels
    for track in tracker.active: track.id, track.dwell_s, track.trail
    tracker.forget(7)                                   # from any thread: the lock guards the gallery

The vision thread updates the tracker; other threads (forgetting, the phone-to-person guess) reach it only
through forget(), forget_all() and in_view(), which take the tracker's lock.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field

import cv2
import numpy as np

from device.vision.motion import Box
from device.vision.signature import Signature, clothes_histogram


def iou(a: Box, b: Box) -> float:
    ax1, ay1, bx1, by1 = a[0] + a[2], a[1] + a[3], b[0] + b[2], b[1] + b[3]
    w = min(ax1, bx1) - max(a[0], b[0])
    h = min(ay1, by1) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def centre(box: Box) -> tuple[int, int]:
    return box[0] + box[2] // 2, box[1] + box[3] // 2


@dataclass
class Track:
    number: int                     # unique for this run
    id: int                         # the ID shown; re-identification may give an earlier one back
    box: Box
    first_seen: float
    last_seen: float
    signature: Signature = field(default_factory=Signature)
    trail: deque = field(default_factory=lambda: deque(maxlen=90))   # (ts, x, y) of the box centre
    side: int = 0                   # -1 left of the counting line, +1 right of it
    face: Box | None = None
    face_anchor: tuple[int, int] = (0, 0)     # where the body was when the face was found
    looking: bool = False
    smiling: bool = False
    looked: int = 0                 # how many times they turned to look at the camera
    last_face_check: float = -1e9
    last_detail_check: float = -1e9
    reid: tuple[int, float] | None = None     # (earlier ID, confidence)
    reid_decided: bool = False
    missed_since: float | None = None         # when it was last matched, if it is not now
    occluded_since: float | None = None       # when it vanished into someone else's shape

    @property
    def visible(self) -> bool:
        return self.missed_since is None and self.occluded_since is None

    @property
    def dwell_s(self) -> float:
        return self.last_seen - self.first_seen

    @property
    def direction(self) -> str:
        """Where they are heading, from the last second of their trail."""
        recent = [p for p in self.trail if p[0] >= self.last_seen - 1.0]
        if len(recent) < 2:
            return "standing"
        dx = recent[-1][1] - recent[0][1]
        return "standing" if abs(dx) < 15 else ("right" if dx > 0 else "left")

    def carry_face(self) -> None:
        """Move the face found earlier along with the body, between face checks."""
        if self.face is not None:
            dx, dy = self.box[0] - self.face_anchor[0], self.box[1] - self.face_anchor[1]
            self.face = (self.face[0] + dx, self.face[1] + dy, self.face[2], self.face[3])
            self.face_anchor = (self.box[0], self.box[1])

    def set_face(self, box: Box | None, looking: bool | None = None, smiling: bool | None = None) -> None:
        self.face_anchor = (self.box[0], self.box[1])
        if box is None:
            self.face, self.looking, self.smiling = None, False, False
            return
        self.face = box
        if looking is not None:
            if looking and not self.looking:
                self.looked += 1
            self.looking = looking
        if smiling is not None:
            self.smiling = smiling


@dataclass(frozen=True)
class Seen:
    """A person in view as another thread may read them: a copy, taken under the tracker's lock."""

    id: int
    first_seen: float
    looking: bool


@dataclass(frozen=True)
class TrackEvent:
    kind: str                       # start, reid, cross, end
    track: Track
    detail: dict


class Tracker:
    def __init__(self, *, line_x: int, width: int, lost_after_s: float = 1.5, left_after_s: float = 0.3,
                 reid_window_s: float = 24 * 3600,
                 reid_threshold: float = 0.75, gallery_size: int = 200) -> None:
        self.line_x = line_x
        self.width = width
        self.lost_after_s = lost_after_s
        self.left_after_s = left_after_s          # lost at the edge of the picture: they walked out
        self.max_occluded_s = 8.0
        self.reid_window_s = reid_window_s
        self.reid_threshold = reid_threshold
        self.active: list[Track] = []
        self.gallery: deque[Track] = deque(maxlen=gallery_size)     # tracks that ended, for re-identification
        self.count_in = 0
        self.count_out = 0
        self._next = 1
        self._lock = threading.RLock()

    @property
    def started(self) -> int:
        """How many tracks have been started since the kit started."""
        return self._next - 1

    def update(self, ts: float, boxes: list[Box], image: np.ndarray) -> list[TrackEvent]:
        """Match this frame's person boxes to tracks: by overlap and clothing colour; when two people
        merge into one shape, the one hidden is kept (occluded) and found again by colour when they part."""
        with self._lock:
            return self._update(ts, boxes, image)

    def _update(self, ts: float, boxes: list[Box], image: np.ndarray) -> list[TrackEvent]:
        events: list[TrackEvent] = []
        hists = [clothes_histogram(image, b) for b in boxes]
        pairs = []
        for i, track in enumerate(self.active):
            for j, box in enumerate(boxes):
                overlap = iou(track.box, box)
                alike = _alike(track, hists[j])
                if alike < 0.25 and overlap < 0.5:
                    continue          # close by, but dressed differently: someone else
                if overlap >= 0.2 or _near(track.box, box):
                    pairs.append((overlap + alike, i, j))
        pairs.sort(reverse=True)
        matched: dict[int, int] = {}          # track index -> box index
        for _, i, j in pairs:
            if i not in matched and j not in matched.values():
                matched[i] = j
        for i, j in matched.items():
            self._move(self.active[i], boxes[j], ts, events)
        taken = {id(self.active[i]) for i in matched}
        for j, box in enumerate(boxes):
            if j in matched.values():
                continue
            track = self._reclaim(box, hists[j], taken)
            if track is None:
                track = Track(self._next, self._next, box, ts, ts)
                self._next += 1
                track.signature.clothes = hists[j]
                track.side = -1 if centre(box)[0] < self.line_x else 1
                self.active.append(track)
                events.append(TrackEvent("start", track, {}))
            taken.add(id(track))
            self._move(track, box, ts, events)
        for track in self.active:
            if id(track) in taken:
                track.occluded_since = None
                continue
            hiding = [b for b in boxes if iou(track.box, b) >= 0.2 or _inside(track.box, b)]
            if hiding and (track.occluded_since is None or ts - track.occluded_since < self.max_occluded_s):
                track.occluded_since = track.occluded_since or ts
                track.box = hiding[0]       # somewhere in there
                track.last_seen, track.missed_since = ts, None
            elif track.missed_since is None:
                track.missed_since = ts
        for track in [t for t in self.active if t.missed_since is not None
                      and ts - t.missed_since >= (self.left_after_s if self._at_edge(t) else self.lost_after_s)]:
            self.active.remove(track)
            self.gallery.append(track)
            events.append(TrackEvent("end", track, {}))
        return events

    def _reclaim(self, box: Box, hist: np.ndarray | None, taken: set[int]) -> Track | None:
        """A track not yet matched this frame (hidden, just lost, or part of a shape that has split) near
        *box*, whose clothes look the same: they stepped out again."""
        best, best_score = None, 0.6
        for track in self.active:
            if id(track) in taken:
                continue
            if abs(centre(track.box)[0] - centre(box)[0]) > 1.5 * max(track.box[2], box[2]):
                continue
            score = _alike(track, hist)
            if score > best_score:
                best, best_score = track, score
        return best

    def _at_edge(self, track: Track) -> bool:
        x, _, w, _ = track.box
        return x <= 4 or x + w >= self.width - 4

    def _move(self, track: Track, box: Box, ts: float, events: list[TrackEvent]) -> None:
        track.box, track.last_seen, track.missed_since = box, ts, None
        x, y = centre(box)
        track.trail.append((ts, x, y))
        side = -1 if x < self.line_x else 1
        if side != track.side:
            direction = "in" if side > 0 else "out"
            if direction == "in":
                self.count_in += 1
            else:
                self.count_out += 1
            track.side = side
            events.append(TrackEvent("cross", track, {"direction": direction}))

    def refresh_clothes(self, track: Track, image: np.ndarray) -> None:
        """Blend a new look at their clothes into the signature (people turn, light changes)."""
        hist = clothes_histogram(image, track.box)
        if hist is None:
            return
        if track.signature.clothes is None:
            track.signature.clothes = hist
        else:
            track.signature.clothes = 0.7 * track.signature.clothes + 0.3 * hist

    def reidentify(self, track: Track, ts: float) -> TrackEvent | None:
        """Once a track has a face: give it an earlier ID back if someone gone matches well enough."""
        with self._lock:
            return self._reidentify(track, ts)

    def _reidentify(self, track: Track, ts: float) -> TrackEvent | None:
        if track.reid_decided or track.signature.face is None:
            return None
        track.reid_decided = True
        active_ids = {t.id for t in self.active if t is not track}
        best, best_score = None, 0.0
        for old in self.gallery:
            if old.id in active_ids or ts - old.last_seen > self.reid_window_s:
                continue
            score = track.signature.similarity(old.signature)
            if score > best_score:
                best, best_score = old, score
        if best is None or best_score < self.reid_threshold:
            return None
        previous = track.id
        track.id = best.id
        track.reid = (best.id, round(best_score, 2))
        self.gallery.remove(best)
        return TrackEvent("reid", track, {"previous": previous, "id": best.id, "confidence": round(best_score, 2)})

    def forget(self, track_id: int) -> int:
        """Drop every remembered signature of a track ID (for "forget me"); returns how many were dropped."""
        with self._lock:
            before = len(self.gallery)
            kept = [t for t in self.gallery if t.id != track_id]
            self.gallery.clear()
            self.gallery.extend(kept)
            return before - len(kept)

    def forget_all(self) -> int:
        """Drop every remembered signature (for "forget everything"); returns how many were dropped."""
        with self._lock:
            dropped = len(self.gallery)
            self.gallery.clear()
            return dropped

    def in_view(self) -> list[Seen]:
        """The people visible now, copied under the lock (for threads other than the vision thread)."""
        with self._lock:
            return [Seen(t.id, t.first_seen, t.looking) for t in self.active if t.visible]


def _alike(track: Track, hist: np.ndarray | None) -> float:
    if track.signature.clothes is None or hist is None:
        return 0.0
    return 1.0 - cv2.compareHist(track.signature.clothes, hist, cv2.HISTCMP_BHATTACHARYYA)


def _inside(a: Box, b: Box) -> bool:
    """The centre of a lies within b."""
    x, y = centre(a)
    return b[0] <= x <= b[0] + b[2] and b[1] <= y <= b[1] + b[3]


def _near(a: Box, b: Box) -> bool:
    (ax, ay), (bx, by) = centre(a), centre(b)
    return abs(ax - bx) < 0.6 * max(a[2], b[2]) and abs(ay - by) < 0.6 * max(a[3], b[3])
