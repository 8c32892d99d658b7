"""The marker: every person in view gets an ID that follows them, with trail, dwell, direction and line
crossings; someone who comes back is given their old ID when their appearance matches.

    tracker = Tracker(line_x=320)
    events = tracker.update(ts, person_boxes, image)    # boxes in the image's pixels
    for track in tracker.active: track.id, track.dwell_s, track.trail
    tracker.forget(7)                                   # from any thread: the lock guards the gallery
    tracker.continue_after(41)                          # at start: the next person is #42 (41 are stored)
    tracker.restart()                                   # forget everything: nobody followed, the next is #1
    tracker.count_in, tracker.count_out, tracker.first_inside, tracker.since   # crossings (and who crossed none) since

The vision thread updates the tracker; other threads (forgetting, the phone-to-person guess) reach it only
through forget(), forget_all(), in_view(), continue_after() and restart(), which take the tracker's lock.
"""

from __future__ import annotations

import threading
import time
from collections import deque

import numpy as np

from device.vision.motion import Box
from device.vision.signature import clothes_histogram
from device.vision.tracks import (
    Seen,
    Track,
    TrackEvent,
    _closeness,
    adopt,
    alike,
    associate,
    centre,
    inside,
    iou,
    recognised,
    revive,
)

__all__ = ["Seen", "Track", "TrackEvent", "Tracker", "centre", "iou"]


class Tracker:
    def __init__(self, *, line_x: int, width: int, lost_after_s: float = 8.0, left_after_s: float = 0.3,
                 reid_window_s: float = 24 * 3600, reid_threshold: float = 0.75, gallery_size: int = 200,
                 confirm_hits: int = 3, confirm_s: float = 1.0) -> None:
        self.line_x = line_x
        self.width = width
        self.lost_after_s = lost_after_s          # unseen this long in the middle of the picture: gone
        self.left_after_s = left_after_s          # lost at the edge of the picture: they walked out
        self.max_occluded_s = 8.0
        self.confirm_hits = confirm_hits          # frames a new shape must be seen in before it is a person
        self.confirm_s = confirm_s                # and for how long (a ghost or a flicker does not last)
        self.reid_window_s = reid_window_s
        self.reid_threshold = reid_threshold
        self.active: list[Track] = []             # confirmed people, visible or not
        self.tentative: list[Track] = []          # shapes seen in too few frames yet
        self.gallery: deque[Track] = deque(maxlen=gallery_size)     # tracks that ended, for re-identification
        self.count_in = self.count_out = 0       # line crossings since `since` (the start, or restart())
        # people first seen on the inside (there at a wipe, say): their leaving is an out with no in; out <= in + these
        self.first_inside = 0
        self.since = time.time()
        self._next = 1                            # the ID the next new person is given
        self._first = 1                           # the first ID given since the start or the last restart()
        self._numbers = 0                         # Track.number: never given twice in a run, restart() or not
        self._lock = threading.RLock()

    @property
    def started(self) -> int:
        """How many people (confirmed tracks) have been given an ID since the kit started, or since everything
        was last forgotten."""
        return self._next - self._first

    def continue_after(self, highest: int) -> None:
        """Number the people from *highest* + 1 on (the highest track stored: a new person must not take the
        number of someone whose rows are still kept); a lower *highest* changes nothing."""
        with self._lock:
            shift = highest + 1 - self._next
            if shift > 0:
                self._next += shift
                self._first += shift

    def restart(self, *, numbers: bool = True) -> None:
        """Forget everything: nobody is followed or remembered, nobody has come in or gone out, and (with
        *numbers*) the next person is #1 again. Only once nothing stored names a track (forgetting erased
        it all), and between two frames: a frame half analysed would publish the old numbers afterwards."""
        with self._lock:
            self.active.clear()
            self.tentative.clear()
            self.gallery.clear()
            self.count_in = self.count_out = self.first_inside = 0
            self.since = time.time()
            if numbers:
                self._next = 1
            self._first = self._next

    def update(self, ts: float, boxes: list[Box], image: np.ndarray) -> list[TrackEvent]:
        """Match this frame's person boxes to tracks: by overlap with where each track should be now, by
        distance and by clothing colour; when two people merge into one shape, the one hidden is kept
        (occluded) and found again by colour when they part."""
        with self._lock:
            return self._update(ts, boxes, image)

    def _update(self, ts: float, boxes: list[Box], image: np.ndarray) -> list[TrackEvent]:
        events: list[TrackEvent] = []
        hists = [clothes_histogram(image, b) for b in boxes]
        tracks = self.active + self.tentative
        matched = associate(tracks, boxes, hists, ts)
        for i, j in matched.items():
            self._move(tracks[i], boxes[j], ts, events)
        taken = {id(tracks[i]) for i in matched}
        # A shape where someone followed is now, or was a frame ago, is a piece of them (an arm, a shadow,
        # a body cut in two where the shirt matches the wall behind), not a newcomer.
        held = [(tracks[i], b) for i in matched if tracks[i].confirmed for b in (tracks[i].box, tracks[i].trail_box)]
        for j, box in enumerate(boxes):
            if j in matched.values():
                continue
            track = self._reclaim(box, hists[j], taken)
            if track is None and any(iou(box, b) >= 0.3 or inside(box, b)
                                     or (alike(t, hists[j]) >= 0.7 and _closeness(b, box, 0.0) > 0) for t, b in held):
                continue
            if track is None:
                self._numbers += 1
                track = Track(self._numbers, 0, box, ts, ts)
                track.signature.clothes = hists[j]
                track.side = -1 if centre(box)[0] < self.line_x else 1
                self.tentative.append(track)
            taken.add(id(track))
            self._move(track, box, ts, events)
        self._unmatched(ts, boxes, taken, events)
        return events

    def _unmatched(self, ts: float, boxes: list[Box], taken: set[int], events: list[TrackEvent]) -> None:
        """Tracks not seen this frame: hidden in someone's shape, missed for now, or gone."""
        seen = [t for t in self.active if id(t) in taken]
        for track in self.active:
            if id(track) in taken:
                track.occluded_since = None
                continue
            hiding = [b for b in boxes if iou(track.box, b) >= 0.2 or inside(track.box, b)]
            if track.occluded_since is None and any(iou(track.box, t.trail_box) >= 0.4 for t in seen):
                hiding = []           # it was on top of someone else already: a double of them, not hidden
            if hiding and (track.occluded_since is None or ts - track.occluded_since < self.max_occluded_s):
                track.occluded_since = track.occluded_since or ts
                track.box = hiding[0]       # somewhere in there
                track.last_seen, track.missed_since, track.velocity = ts, None, (0.0, 0.0)
            elif track.missed_since is None:
                track.missed_since = ts
        for track in [t for t in self.active if t.missed_since is not None
                      and ts - t.missed_since >= (self.left_after_s if self._at_edge(t) else self.lost_after_s)]:
            self.active.remove(track)
            self.gallery.append(track)
            events.append(TrackEvent("end", track, {}))
        self.tentative = [t for t in self.tentative if id(t) in taken or ts - t.last_seen < 0.35]

    def _reclaim(self, box: Box, hist: np.ndarray | None, taken: set[int]) -> Track | None:
        """A track not yet matched this frame (hidden, just lost, or part of a shape that has split) near
        *box*, whose clothes look the same: they stepped out again. Someone hidden in a group's shape who
        steps out of it needs to look only a little alike (small figures' colours are few pixels)."""
        best, best_score = None, 0.0
        for track in self.active:
            if id(track) in taken:
                continue
            if abs(centre(track.box)[0] - centre(box)[0]) > 1.5 * max(track.box[2], box[2]):
                continue
            stepped_out = track.occluded_since is not None and inside(box, track.box)
            score = alike(track, hist) - (0.3 if stepped_out else 0.6)
            if score > best_score:
                best, best_score = track, score
        return best

    def _at_edge(self, track: Track) -> bool:
        x, _, w, _ = track.box
        return x <= 4 or x + w >= self.width - 4

    def _move(self, track: Track, box: Box, ts: float, events: list[TrackEvent]) -> None:
        (x0, y0), (x, y) = centre(track.box), centre(box)
        dt = ts - track.last_seen
        if 0 < dt <= 1.0 and track.hits and track.occluded_since is None and track.missed_since is None:
            vx, vy = (x - x0) / dt, (y - y0) / dt
            track.velocity = (0.6 * track.velocity[0] + 0.4 * vx, 0.6 * track.velocity[1] + 0.4 * vy)
        track.trail_box = track.box
        track.box, track.last_seen, track.missed_since = box, ts, None
        track.hits += 1
        track.trail.append((ts, x, y))
        if not track.confirmed and track.hits >= self.confirm_hits and ts - track.first_seen >= self.confirm_s:
            self.tentative.remove(track)
            lost = adopt(self.active, track, ts)
            if lost is not None:          # someone followed, missed a moment where this shape was: them
                return
            earlier = revive(self.gallery, self.active, track, ts)
            if earlier is not None:       # the same person, lost a moment ago: their ID, not a new one
                track.id, track.first_seen, track.signature = earlier.id, earlier.first_seen, earlier.signature
                track.side = earlier.side
            else:
                track.id = self._next
                self._next += 1
                self.first_inside += track.side > 0        # a newcomer's side is the one they were first seen on
            self.active.append(track)
            events.append(TrackEvent("start", track, {}))
        side = -1 if x < self.line_x else 1
        if side != track.side and track.confirmed:
            track.side = side
            direction = "in" if side > 0 else "out"
            if direction == "in":
                self.count_in += 1
            else:
                self.count_out += 1
            events.append(TrackEvent("cross", track, {"direction": direction}))

    def reidentify(self, track: Track, ts: float) -> TrackEvent | None:
        """Once a track has a face: give it an earlier ID back if someone gone matches well enough."""
        with self._lock:
            return self._reidentify(track, ts)

    def _reidentify(self, track: Track, ts: float) -> TrackEvent | None:
        if track.reid_decided or track.signature.face is None:
            return None
        track.reid_decided = True
        best, best_score = recognised(self.gallery, self.active, track, ts, self.reid_window_s)
        if best is None or best_score < self.reid_threshold:
            return None
        previous = track.id
        track.id = best.id
        track.reid = (best.id, round(best_score, 2))
        self.gallery.remove(best)
        method = ("face recognition: a face embedding" if track.signature.embedding is not None
                  and best.signature.embedding is not None
                  else "appearance: clothing colours and a coarse face pattern")
        return TrackEvent("reid", track, {"previous": previous, "id": best.id, "confidence": round(best_score, 2),
                                          "method": method})

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


