"""What the tracker follows: a Track (one person), the copies other threads may read, the events it
raises, and how boxes are compared and matched to tracks.

    pairs = associate(tracks, boxes, hists, ts)     # track index -> box index, best matches first
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import cv2
import numpy as np

from device.vision.motion import Box
from device.vision.signature import Signature, clothes_histogram

SMALL = 60              # pixels tall: a smaller figure's clothing colours are too few pixels to tell people by
REVIVE_S = 10.0          # a track that ended this recently may be taken up again by a newcomer where it was


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
    id: int                         # the ID shown (0 until confirmed); re-identification may give an earlier one
    box: Box
    first_seen: float
    last_seen: float
    signature: Signature = field(default_factory=Signature)
    trail: deque = field(default_factory=lambda: deque(maxlen=90))   # (ts, x, y) of the box centre
    side: int = 0                   # -1 left of the counting line, +1 right of it
    face: Box | None = None
    face_anchor: tuple[int, int, int, int] = (0, 0, 0, 0)   # the body (centre x, top, w, h) when the face was found
    looking: bool = False
    smiling: bool = False
    looked: int = 0                 # how many times they turned to look at the camera
    last_face_check: float = -1e9
    last_detail_check: float = -1e9
    reid: tuple[int, float] | None = None     # (earlier ID, confidence)
    reid_decided: bool = False
    missed_since: float | None = None         # when it was last matched, if it is not now
    occluded_since: float | None = None       # when it vanished into someone else's shape
    hits: int = 0                   # frames matched; a track is confirmed after a few (flickers are not people)
    velocity: tuple[float, float] = (0.0, 0.0)   # pixels a second, of the box centre
    embedded_at: float = -1e9       # when a face embedding was last tried (it is computed once per person)
    trail_box: Box = (0, 0, 0, 0)   # the box before this frame's

    @property
    def confirmed(self) -> bool:
        return self.id > 0

    def predicted(self, ts: float) -> Box:
        """Where the box should be at *ts*, moving on as it moved (at most a second ahead)."""
        dt = min(1.0, max(0.0, ts - self.last_seen))
        return (int(self.box[0] + self.velocity[0] * dt), int(self.box[1] + self.velocity[1] * dt),
                self.box[2], self.box[3])

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
        """Move the face found earlier along with the body, between face checks; if the body's shape changed
        much (someone stepped out of a group, a shape was cut), the face is looked for again instead."""
        if self.face is None:
            return
        cx, top, w, h = self.face_anchor
        x, y, bw, bh = self.box
        if abs(bw - w) > 0.3 * max(w, 1) or abs(bh - h) > 0.3 * max(h, 1):
            self.face, self.last_face_check = None, -1e9
            return
        dx, dy = x + bw // 2 - cx, y - top
        self.face = (self.face[0] + dx, self.face[1] + dy, self.face[2], self.face[3])
        self.face_anchor = (x + bw // 2, y, bw, bh)

    def set_face(self, box: Box | None, looking: bool | None = None, smiling: bool | None = None) -> None:
        self.face_anchor = (self.box[0] + self.box[2] // 2, self.box[1], self.box[2], self.box[3])
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


def alike(track: Track, hist: np.ndarray | None) -> float:
    if track.signature.clothes is None or hist is None:
        return 0.0
    return 1.0 - cv2.compareHist(track.signature.clothes, hist, cv2.HISTCMP_BHATTACHARYYA)


def inside(a: Box, b: Box) -> bool:
    """The centre of a lies within b."""
    x, y = centre(a)
    return b[0] <= x <= b[0] + b[2] and b[1] <= y <= b[1] + b[3]


def _closeness(a: Box, b: Box, unseen_s: float) -> float:
    """1 where the centres coincide, down to 0 at about a body's width (more for a track unseen a while)."""
    (ax, ay), (bx, by) = centre(a), centre(b)
    reach = 1.0 + min(2.0, max(0.0, unseen_s))
    dx = abs(ax - bx) / (0.8 * reach * max(a[2], b[2], 12))
    dy = abs(ay - by) / (0.5 * reach * max(a[3], b[3], 12))
    return max(0.0, 1.0 - max(dx, dy))


def associate(tracks: list[Track], boxes: list[Box], hists: list[np.ndarray | None], ts: float) -> dict[int, int]:
    """Track index -> box index: by overlap with where each track should be now, by distance, by clothing
    colour and size; confirmed people before new shapes; each box to one track, best pairs first."""
    pairs = []
    for i, track in enumerate(tracks):
        expected = track.predicted(ts)
        for j, box in enumerate(boxes):
            overlap, near = iou(expected, box), _closeness(expected, box, ts - track.last_seen)
            if overlap < 0.05 and near <= 0.0:
                continue
            same = alike(track, hists[j])
            large = min(box[3], track.box[3]) >= SMALL     # small figures: too few pixels of clothing to compare
            if large and ((same < 0.25 and overlap < 0.5) or (not track.visible and same < 0.5)):
                continue          # close by, but dressed differently (or found again after a while, unlike)
            size = min(box[2] * box[3], track.box[2] * track.box[3]) / max(1, box[2] * box[3],
                                                                          track.box[2] * track.box[3])
            pairs.append((overlap + 0.6 * near + 0.5 * same + 0.3 * size + 0.3 * track.confirmed, i, j))
    pairs.sort(reverse=True)
    matched: dict[int, int] = {}
    for _, i, j in pairs:
        if i not in matched and j not in matched.values():
            matched[i] = j
    return matched


def revive(gallery: deque[Track], active: list[Track], track: Track, ts: float) -> Track | None:
    """A track that ended moments ago near where *track* appeared, dressed alike: lost, not gone. Taken out
    of *gallery* (the tracker's, under its lock) and returned."""
    best, best_score = None, 0.0
    for old in reversed(gallery):
        unseen = ts - old.last_seen
        if unseen > REVIVE_S:
            break
        if any(t.id == old.id for t in active):
            continue
        near = _closeness(old.predicted(ts), track.box, unseen)
        same = alike(old, track.signature.clothes)
        if near > 0.0 and same >= 0.5 and near + same > best_score:
            best, best_score = old, near + same
    if best is not None:
        gallery.remove(best)
    return best


def adopt(active: list[Track], track: Track, ts: float) -> Track | None:
    """A followed person not seen this frame (missed, or hidden) near where the new shape *track* is: the
    shape is them, found again. They take its place and trail; returns them, or None."""
    best, best_score = None, 0.0
    for old in active:
        if old.visible:
            continue
        near = _closeness(old.predicted(ts), track.box, ts - old.last_seen)
        same = alike(old, track.signature.clothes)
        if min(old.box[3], track.box[3]) >= SMALL and same < 0.5:
            continue                  # large enough to see their clothes, and dressed otherwise: someone else
        if near > 0.0 and near + same > best_score:
            best, best_score = old, near + same
    if best is not None:
        best.trail_box, best.box, best.last_seen = best.box, track.box, ts
        best.missed_since = best.occluded_since = None
        best.trail.extend(track.trail)
        best.hits += track.hits
    return best


def recognised(gallery: deque[Track], active: list[Track], track: Track, ts: float,
               window_s: float) -> tuple[Track | None, float]:
    """The remembered track seen within *window_s* and not followed now whose signature is most like *track*'s,
    and how alike (0 to 1); (None, 0.0) if none. The gallery is the tracker's, read under its lock."""
    followed = {t.id for t in active if t is not track}
    best, best_score = None, 0.0
    for old in gallery:
        if old.id in followed or ts - old.last_seen > window_s:
            continue
        score = track.signature.similarity(old.signature)
        if score > best_score:
            best, best_score = old, score
    return best, best_score


def blend_clothes(track: Track, image: np.ndarray) -> None:
    """Blend a new look at their clothes into the signature (people turn, light changes)."""
    hist = clothes_histogram(image, track.box)
    if hist is None:
        return
    if track.signature.clothes is None:
        track.signature.clothes = hist
    else:
        track.signature.clothes = 0.7 * track.signature.clothes + 0.3 * hist
