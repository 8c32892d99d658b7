"""What the vision pipeline publishes: motion, faces and plates on every change of state and once a second
while something goes on; each tracked person every two seconds, and in full (trajectory, signature) when
they leave; re-identifications and line crossings as they happen.

    reporter = Reporter(publish)
    reporter.report(ts, motion_fraction, detections, tracker, events)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from device.observations import Observation, finite
from device.vision.tracker import Track, Tracker, TrackEvent

REPORT_EVERY_S = 1.0
TRACK_REPORT_EVERY_S = 2.0


class Reporter:
    def __init__(self, publish: Callable[[Observation], None]) -> None:
        self._publish = publish
        self._reported: dict[str, tuple[float, object]] = {}
        self._track_reported: dict[int, float] = {}

    def report(self, ts: float, fraction: float, det: Any, tracker: Tracker, events: list[TrackEvent]) -> None:
        """Publish on every change of state, and once a second (tracks: every two) while something goes on."""
        self._maybe(ts, "motion", bool(det.motion),
                    {"area": finite(fraction, 4), "boxes": [list(b) for b in det.motion]}, None)
        faces = [{"box": list(p.face), "track": p.id, "looking": p.looking, "smiling": p.smiling}
                 for p in tracker.active if p.face is not None and p.visible]
        faces += [{"box": list(b), "track": None, "looking": None, "smiling": None}
                  for b in det.faces[len(faces):]]
        self._maybe(ts, "face", (len(faces), sum(bool(f["looking"]) for f in faces)),
                    {"count": len(faces), "looking": sum(bool(f["looking"]) for f in faces),
                     "smiling": sum(bool(f["smiling"]) for f in faces), "faces": faces,
                     "boxes": [f["box"] for f in faces]}, 0.8 if faces else None)
        self._maybe(ts, "plate", len(det.plates), {"count": len(det.plates), "boxes": [list(b) for b in det.plates]},
                    0.5 if det.plates else None)
        for event in events:
            track = event.track
            if event.kind == "reid":
                self._publish(Observation(ts, "camera", "reid", f"track:{track.id}", event.detail,
                                          event.detail["confidence"]))
            elif event.kind == "cross":
                self._publish(Observation(ts, "camera", "crossing", f"track:{track.id}", {
                    "direction": event.detail["direction"], "in": tracker.count_in, "out": tracker.count_out}))
            elif event.kind in ("start", "end"):
                self._publish_track(ts, track, ended=event.kind == "end")
        for track in tracker.active:
            if ts - self._track_reported.get(track.number, -1e9) >= TRACK_REPORT_EVERY_S:
                self._publish_track(ts, track, ended=False)

    def _publish_track(self, ts: float, track: Track, *, ended: bool) -> None:
        self._track_reported[track.number] = ts
        if ended:
            self._track_reported.pop(track.number, None)
        value = {"id": track.id, "box": list(track.box), "dwell_s": round(track.dwell_s, 1),
                 "direction": track.direction, "looking": track.looking, "looked": track.looked,
                 "smiling": track.smiling, "state": "left" if ended else ("new" if track.dwell_s == 0 else "here")}
        if ended:
            points = list(track.trail)
            step = max(1, len(points) // 20)
            value["trajectory"] = [[round(t, 2), x, y] for t, x, y in points[::step]]
            signature = track.signature
            value["signature"] = {
                "clothes": [round(float(v), 4) for v in signature.clothes.ravel()] if signature.clothes is not None
                else None,
                "face": [round(float(v), 3) for v in signature.face] if signature.face is not None else None,
                "embedding": [round(float(v), 4) for v in signature.embedding]
                if signature.embedding is not None else None}
        self._publish(Observation(ts, "camera", "person", f"track:{track.id}", value, 0.6))

    def plate_read(self, ts: float, plate: Any) -> None:
        """A plate's text, agreed over a few reads: personal data (it names a car's keeper), not for phones."""
        self._publish(Observation(ts, "camera", "plate_text", None, {
            "text": plate.text, "box": list(plate.box), "method": "PP-OCR text detection and recognition"},
            plate.confidence))

    def _maybe(self, ts: float, kind: str, state: object, value: dict, confidence: float | None) -> None:
        last_ts, last_state = self._reported.get(kind, (-1e9, 0))   # 0 == False: nothing seen yet
        if isinstance(state, tuple) and last_state == 0:
            last_state = (0,) * len(state)
        changed = state != last_state
        ongoing = bool(state if not isinstance(state, tuple) else state[0]) and ts - last_ts >= REPORT_EVERY_S
        if changed or ongoing:
            self._reported[kind] = (ts, state)
            self._publish(Observation(ts, "camera", kind, None, value, confidence))
