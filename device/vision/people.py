"""People as the foreground shapes that stand out from the learnt empty room, split into one box a person.

A face needs someone to look at the camera; a body does not. A background model of the empty room at the
320-wide analysis size (about a millisecond) finds whatever differs from it, moving or standing still. The
model learns only where nobody stands, so a visitor who stays still is not absorbed into the room;
something left for minutes is. A still shape whose outline is in the learnt room rather than in the
picture (a ghost: the room as it was under someone now gone) is learnt at once. Shadows (darker, same
colour) are not people.

A group walking together is one shape. The detector learns the scene's perspective from shapes that are
clearly one person (how tall someone is whose feet are at this height of the picture), and splits a shape
wider than one person at the dips between heads along its top edge. Real cameras use a neural detector for
the same job; the principle, and what it reveals, are the same.
"""

from __future__ import annotations

from collections import deque

import cv2
import numpy as np

from device.vision.motion import Box

ONE_PERSON = (1.7, 4.5)        # height / width of a shape that is one person standing or walking
GHOST_EVERY = 5             # frames between checks for ghosts (the room as it was under someone gone)
EDGE = 40.0                 # gradient magnitude of an edge
WIDTH_OF_HEIGHT = 0.36         # a person's width, as a share of their height (shoulders, arms swinging)


class Perspective:
    """How tall a person is whose feet are at row y: a line fitted to lone people seen so far.

        perspective.add(bottom_y, height); perspective.height(bottom_y) -> pixels, or None until learnt
    """

    def __init__(self, size: int = 400, min_samples: int = 30) -> None:
        self.samples: deque[tuple[float, float]] = deque(maxlen=size)
        self.min_samples = min_samples
        self._fit: tuple[float, float] | None = None
        self._since_fit = 0

    def add(self, bottom: float, height: float) -> None:
        self.samples.append((bottom, height))
        self._since_fit += 1
        if len(self.samples) >= self.min_samples and (self._fit is None or self._since_fit >= 20):
            self._refit()

    def _refit(self) -> None:
        self._since_fit = 0
        ys, hs = np.array(self.samples, np.float32).T
        if float(ys.max() - ys.min()) < 0.1 * max(1.0, float(ys.max())):
            self._fit = (0.0, float(np.median(hs)))           # all at one depth: one size
            return
        slope, offset = np.polyfit(ys, hs, 1)
        keep = np.abs(hs - (slope * ys + offset)) <= 0.35 * np.maximum(hs, 1.0)   # drop pairs, halves
        if keep.sum() >= self.min_samples // 2:
            slope, offset = np.polyfit(ys[keep], hs[keep], 1)
        self._fit = (max(0.0, float(slope)), float(offset))

    def height(self, bottom: float) -> float | None:
        if self._fit is None:
            return None
        return max(6.0, self._fit[0] * bottom + self._fit[1])


class PeopleDetector:
    """Person boxes in a small colour frame (colour: a grey shirt on a grey wall is still a blue shirt on a
    beige wall).

        detector = PeopleDetector()
        boxes = detector.detect(bgr_320x240)      # boxes in the small frame's pixels, one per person
        detector.vehicles                          # this frame's shapes wide, low and solid: cars
        detector.heat                              # float32 map (0-255) of where people have been
    """

    def __init__(self, *, min_area: float = 0.0006, threshold: int = 24, learn: float = 0.02,
                 absorb_after: int = 15 * 120) -> None:
        self.min_area = min_area
        self.threshold = threshold
        self.learn = learn
        self.absorb_after = absorb_after        # frames a pixel may stay foreground before it is the room
        self.perspective = Perspective()
        self._background: np.ndarray | None = None
        self._age: np.ndarray | None = None
        self._open = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
        self._close = cv2.getStructuringElement(cv2.MORPH_RECT, (3, 7))   # joins a head, a body and legs
        self.heat: np.ndarray | None = None
        self.vehicles: list[Box] = []
        self._frames = 0
        self._previous: np.ndarray | None = None

    def detect(self, image: np.ndarray) -> list[Box]:
        self.vehicles = []
        if self._background is None or self._background.shape != image.shape:
            self._background = image.astype(np.float32)
            self._age = np.zeros(image.shape[:2], np.uint16)
            self.heat = np.zeros(image.shape[:2], np.float32)
            return []
        self._frames += 1
        mask = self._foreground(image)
        if cv2.countNonZero(mask) > 0.6 * mask.size:      # the lights changed: this is the room now
            self._background = image.astype(np.float32)
            self._age[:] = 0
            return []
        # Learn the room where nobody is; absorb what has stood still for minutes (a moved chair).
        self._age = np.where(mask > 0, np.minimum(self._age + 1, 65535), 0).astype(np.uint16)
        learn_mask = cv2.bitwise_not(mask)
        learn_mask[self._age > self.absorb_after] = 255
        cv2.accumulateWeighted(image, self._background, self.learn, mask=learn_mask)
        mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, self._open)
        mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, self._close)
        cv2.accumulateWeighted(mask, self.heat, 0.002)
        contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        smallest = self.min_area * mask.size
        contours = [c for c in contours if cv2.contourArea(c) >= smallest / 3]
        solid = [c for c in contours if _vehicle(c, mask.size) and len(self._heads(c, mask)) <= 1]
        self.vehicles = [tuple(int(v) for v in cv2.boundingRect(c)) for c in solid]  # type: ignore[misc]
        contours = [c for c in contours if not any(c is v for v in solid)]
        if self._frames % GHOST_EVERY == 0:
            contours = [c for c in contours if not self._ghost(c, image, mask)]
        if self._frames % GHOST_EVERY == GHOST_EVERY - 1:
            self._previous = image.copy()     # the ghost check compares with a frame a moment before
        parts = [tuple(int(v) for v in cv2.boundingRect(c)) for c in contours]
        people: list[Box] = []
        for box in pair_slivers(stack(parts)):  # type: ignore[arg-type]
            people += self._people_in(box, mask, smallest)
        return people

    def _ghost(self, contour: np.ndarray, image: np.ndarray, mask: np.ndarray) -> bool:
        """A still shape whose outline is an edge of the learnt room, not of the picture now: the room as it
        was under someone who has since walked away (or who stood there when the kit started). It is learnt
        at once; someone standing still has an outline of their own, and stays."""
        x, y, w, h = cv2.boundingRect(contour)
        x0, y0 = max(0, x - 2), max(0, y - 2)
        x1, y1 = min(mask.shape[1], x + w + 2), min(mask.shape[0], y + h + 2)
        if self._previous is not None:
            moved = cv2.absdiff(image[y0:y1, x0:x1], self._previous[y0:y1, x0:x1]).max(axis=2) > self.threshold
            if moved.mean() > 0.02:
                return False            # something moves there: a ghost never does
        outline = np.zeros((y1 - y0, x1 - x0), np.uint8)
        cv2.drawContours(outline, [contour - np.array([x0, y0])], -1, 255, 2)
        ring = outline > 0
        now = _edges(cv2.cvtColor(image[y0:y1, x0:x1], cv2.COLOR_BGR2GRAY))[ring]
        room = _edges(cv2.cvtColor(cv2.convertScaleAbs(self._background[y0:y1, x0:x1]), cv2.COLOR_BGR2GRAY))[ring]
        if (now > EDGE).mean() >= 0.5 * (room > EDGE).mean():
            return False
        inside = np.zeros_like(outline)
        cv2.drawContours(inside, [contour - np.array([x0, y0])], -1, 255, -1)
        self._background[y0:y1, x0:x1][inside > 0] = image[y0:y1, x0:x1][inside > 0]
        self._age[y0:y1, x0:x1][inside > 0] = 0
        return True

    def _foreground(self, image: np.ndarray) -> np.ndarray:
        """Pixels unlike the room, less shadows: a shadow is the room darker, its colour unchanged."""
        background = cv2.convertScaleAbs(self._background)
        channels = cv2.split(cv2.absdiff(image, background))
        _, mask = cv2.threshold(cv2.max(cv2.max(channels[0], channels[1]), channels[2]), self.threshold, 255,
                                cv2.THRESH_BINARY)
        if not cv2.countNonZero(mask):
            return mask
        here = [c.astype(np.float32) for c in cv2.split(image)]
        room = [c.astype(np.float32) for c in cv2.split(background)]
        here_sum, room_sum = here[0] + here[1] + here[2] + 3, room[0] + room[1] + room[2] + 3
        darker = cv2.inRange(here_sum / room_sum, 0.4, 0.92)
        # Same hue and saturation: each channel's share of the brightness barely moves.
        limit = 0.06 * here_sum * room_sum
        for h, r in zip(here, room, strict=True):
            darker &= cv2.compare(cv2.absdiff(h * room_sum, r * here_sum), limit, cv2.CMP_LE)
        mask[darker > 0] = 0
        return mask

    def _people_in(self, box: Box, mask: np.ndarray, smallest: float) -> list[Box]:
        """One shape: nobody (too small, a car), one person, or a group split at the dips between heads."""
        x, y, w, h = box
        if w * h < smallest:
            return []
        tall = self.perspective.height(y + h)
        ratio = h / max(w, 1)
        edge = x <= 1 or x + w >= mask.shape[1] - 1 or y + h >= mask.shape[0] - 1
        if ONE_PERSON[0] <= ratio <= ONE_PERSON[1] and not edge:
            self.perspective.add(y + h, h)
        if tall is None:
            # Perspective not learnt yet: people are taller than wide; a wider shape is a group or a car.
            return [box] if ratio >= 0.9 else self._split(box, mask, h)
        if h < 0.35 * tall and not edge:
            return []                   # a bag, a dog, a flicker: too small for a person standing there
        if w <= 1.4 * WIDTH_OF_HEIGHT * max(tall, h):
            if h > 1.5 * tall:          # one behind another: the one further back stands out above
                front = (x, y + h - int(tall), w, int(tall))
                return [(x, y, w, h - int(tall * 0.6)), front]
            return [box]
        if ratio < 0.45 and h < 0.8 * tall:
            self.vehicles.append(box)   # long and low: a vehicle, not people
            return []
        return self._split(box, mask, tall)

    def _heads(self, contour: np.ndarray, mask: np.ndarray) -> list[int]:
        """Where heads stand out along the top edge of a shape (a group has several, a car's roof none)."""
        x, y, w, h = cv2.boundingRect(contour)
        tall = self.perspective.height(y + h) or h
        return _head_dips(mask[y:y + h, x:x + w] > 0, tall)[1]

    def _split(self, box: Box, mask: np.ndarray, tall: float) -> list[Box]:
        """Split a group at the dips between heads along its top edge; failing that, by expected width."""
        x, y, w, h = box
        region = mask[y:y + h, x:x + w] > 0
        one = max(3.0, WIDTH_OF_HEIGHT * tall)
        smooth, heads = _head_dips(region, tall)
        if len(heads) <= 1 and w > 1.2 * h and w * h >= 0.01 * mask.size:
            self.vehicles.append(box)   # wider than tall, one smooth roof line: a vehicle, not a group
            return []
        count = len(heads) if len(heads) >= 2 else (int(round(w / (1.25 * one))) if w > 2.2 * one else 1)
        if count <= 1:
            return [box]
        if len(heads) == count:
            cuts = [0] + [a + int(np.argmax(smooth[a:b])) for a, b in zip(heads, heads[1:], strict=False)] + [w]
        else:
            cuts = [round(i * w / count) for i in range(count + 1)]
        people = []
        for a, b in zip(cuts, cuts[1:], strict=False):
            columns = region[:, a:b]
            rows = np.flatnonzero(columns.any(axis=1))
            if b - a >= 2 and rows.size:
                people.append((x + a, y + int(rows[0]), b - a, int(rows[-1] - rows[0] + 1)))
        return people or [box]

    def background(self) -> np.ndarray | None:
        """The learnt empty room (small): what the heatmap is drawn over."""
        return None if self._background is None else cv2.convertScaleAbs(self._background)


def _vehicle(contour: np.ndarray, size: int) -> bool:
    """A large, solid shape no taller than one and a half times its width: a car, not people (whose shapes
    are taller, or ragged where heads, arms and legs stand out)."""
    x, y, w, h = cv2.boundingRect(contour)
    return w * h >= 0.03 * size and h <= 1.5 * w and cv2.contourArea(contour) >= 0.6 * w * h


def _edges(grey: np.ndarray) -> np.ndarray:
    return cv2.magnitude(cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3), cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3))


def _head_dips(region: np.ndarray, tall: float) -> tuple[np.ndarray, list[int]]:
    """(the top edge of a shape's mask, smoothed over a third of a person's width; where heads stand out on it)."""
    one = max(3.0, WIDTH_OF_HEIGHT * tall)
    top = np.where(region.any(axis=0), region.argmax(axis=0), region.shape[0]).astype(np.float32)
    k = max(1, int(one / 3) | 1)
    smooth = np.convolve(np.pad(top, k // 2, mode="edge"), np.ones(k) / k, mode="valid")
    return smooth, _minima(smooth, min_gap=0.6 * one, depth=0.12 * tall)


def _minima(profile: np.ndarray, *, min_gap: float, depth: float) -> list[int]:
    """Columns where the top edge peaks (a head: the smallest row), at least *min_gap* apart, each rising
    *depth* above the dip to its neighbour."""
    order = np.argsort(profile, kind="stable")
    heads: list[int] = []
    for i in order:
        if profile[i] >= profile.max():
            break
        if all(abs(int(i) - j) >= min_gap for j in heads):
            heads.append(int(i))
    heads.sort()
    kept: list[int] = []
    for head in heads:
        if kept and float(profile[kept[-1]:head + 1].max()) - max(profile[kept[-1]], profile[head]) < depth:
            if profile[head] < profile[kept[-1]]:
                kept[-1] = head          # the same bump: keep its highest point
            continue
        kept.append(head)
    return kept


def pair_slivers(boxes: list[Box]) -> list[Box]:
    """Join two thin shapes side by side, as tall as each other, whose union is one person wide: a body cut
    in two where the middle of a shirt matches what is behind it."""
    boxes = list(boxes)
    for i, a in enumerate(boxes):
        for j in range(i + 1, len(boxes)):
            b = boxes[j]
            if a[2] >= 0.3 * a[3] or b[2] >= 0.3 * b[3] or min(a[3], b[3]) < 0.8 * max(a[3], b[3]):
                continue
            shared = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
            x0, x1 = min(a[0], b[0]), max(a[0] + a[2], b[0] + b[2])
            y0, y1 = min(a[1], b[1]), max(a[1] + a[3], b[1] + b[3])
            if shared >= 0.8 * min(a[3], b[3]) and x1 - x0 <= 0.8 * (y1 - y0):
                boxes[i] = (x0, y0, x1 - x0, y1 - y0)
                del boxes[j]
                return pair_slivers(boxes)
    return boxes


def stack(boxes: list[Box], gap: int = 6) -> list[Box]:
    """Join parts stacked one above the other (a head over a body, split where a collar matches the wall)."""
    boxes = sorted(boxes, key=lambda b: b[1])
    merged = True
    while merged:
        merged = False
        for i, a in enumerate(boxes):
            for j in range(i + 1, len(boxes)):
                b = boxes[j]
                overlap = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
                vertical_gap = max(a[1], b[1]) - min(a[1] + a[3], b[1] + b[3])
                if overlap >= 0.5 * min(a[2], b[2]) and vertical_gap <= gap:
                    x0, y0 = min(a[0], b[0]), min(a[1], b[1])
                    x1, y1 = max(a[0] + a[2], b[0] + b[2]), max(a[1] + a[3], b[1] + b[3])
                    boxes[i] = (x0, y0, x1 - x0, y1 - y0)
                    del boxes[j]
                    merged = True
                    break
            if merged:
                break
    return boxes
