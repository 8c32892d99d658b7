"""The vision service: analyses the newest frame in its own thread, and is what other parts ask of vision.

    watching = Watching(config, frames, publish=hub.publish, snapshot=snapshots.save)
    Worker("vision", watching.loop).start()        # only when watching.available
    watching.in_view()                              # people visible now (copies, safe from any thread)
    watching.heatmap_jpeg()                         # where people have been
    watching.forget(7); watching.forget_all()       # the tracker's remembered signatures
    watching.continue_after(store.write(highest_track))     # at start: number people after those stored
    with watching.paused():                         # forget everything: between two frames,
        store.forget_all(); watching.restart()      # nobody followed any more, the next person is #1

When no frame has come for STOPPED_AFTER_S (a video file ended, a camera went offline), nobody is in view any
more: the people followed end, motion and faces go to none, and the last picture is shown again without boxes.

Without OpenCV (or its face cascades) the kit runs on without vision and says why (watching.error).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from device.config import Config
from device.errors import DeviceUnavailable
from device.health import RateMeter
from device.hub import Frame, FrameHub
from device.observations import Observation

logger = logging.getLogger(__name__)

HEATMAP_EVERY_S = 2.0
STOPPED_AFTER_S = 2.0       # no new frame this long: the camera has stopped (a file ended, a camera unplugged)
TRACK_DETAIL = ("trajectory", "signature")     # kept in the tracks table, not repeated in observations


class Watching:
    def __init__(self, config: Config, frames: FrameHub, *, publish: Callable[[Observation], None],
                 snapshot: Callable[..., None] | None = None) -> None:
        self.frames = frames
        self.rate = RateMeter()
        self.analysed = 0
        self.skipped = 0
        self.error: str | None = None
        self.stopped = False                        # no frame for STOPPED_AFTER_S: nothing is seen now
        self.analyzer: Any = None
        self._heatmap: tuple[float, bytes] = (-HEATMAP_EVERY_S, b"")
        self._heatmap_lock = threading.Lock()
        self._frame_lock = threading.RLock()       # held while a frame is analysed: paused() waits for it
        self._after: int | None = None              # continue_after() before the tracker is made (first frame)
        try:
            import cv2

            # One thread: the pipeline's pictures are small, and OpenCV's worker pool spins (sched_yield)
            # between calls, about a tenth of the kit's CPU here for nothing (bench/pipeline.py measures
            # this way too). The Pi's other cores are left for the camera, the microphone and the phones.
            cv2.setNumThreads(1)
            from device.vision.pipeline import VisionAnalyzer
            self.analyzer = VisionAnalyzer(config.vision, publish=publish, snapshot=snapshot)
        except ImportError:
            self.error = "vision analysis needs OpenCV: pip install 'awareness-kit[vision]'"
        except DeviceUnavailable as exc:     # OpenCV without its face cascades
            self.error = str(exc)
        if self.error:
            logger.warning("vision: %s", self.error)

    @property
    def available(self) -> bool:
        return self.analyzer is not None

    def loop(self, stop: threading.Event) -> None:
        """Analyse the newest frame, skipping (and counting) those that arrived meanwhile."""
        last, seen = 0, time.monotonic()
        while not stop.is_set():
            frame: Frame | None = self.frames.wait_newer(last, timeout=0.5)
            if frame is None:
                if not self.stopped and time.monotonic() - seen >= STOPPED_AFTER_S and last:
                    last = self._camera_stopped()
                continue
            seen, self.stopped = time.monotonic(), False
            if last:
                self.skipped += frame.index - last - 1
            last = frame.index
            with self._frame_lock:
                self.analyzer.process(frame)
                self._number_after()        # the tracker is made with the first frame (nobody is numbered yet)
            self.analysed += 1
            self.rate.tick()

    def _camera_stopped(self) -> int:
        """The camera stopped (its file ended, it went offline): it sees nobody and nothing now, so nobody is
        followed any more (each track ends as if they had left, and is published so), no motion, no faces, and
        the last picture is shown again without boxes (a new frame for viewers, not analysed), its faces and
        plates still masked where faces are blurred. Returns that frame's index."""
        with self._frame_lock:
            self.stopped = True
            analyzer, tracker, frame = self.analyzer, self.analyzer.tracker, self.frames.latest
            events = []
            if tracker is not None and frame is not None:
                # Unseen long enough to have gone, in the tracker's own terms (its clock is the frames' time)
                gone = max(tracker.lost_after_s, tracker.left_after_s)
                ts = max(time.time(), *(t.last_seen for t in tracker.active), frame.ts)
                events = tracker.update(ts, [], frame.image) + tracker.update(ts + gone, [], frame.image)
            from device.vision.pipeline import Detections
            from device.vision.privacy import plate_band

            now, last = time.time(), analyzer.latest
            analyzer.latest = Detections(now, line_x=last.line_x)
            if tracker is not None:
                analyzer.reporter.report(now, 0.0, analyzer.latest, tracker, events)
            # The last picture still holds the faces and plates it showed: blurred views keep them masked.
            size = frame.image.shape[1::-1] if frame is not None else (0, 0)
            analyzer.latest = Detections(now, line_x=last.line_x, hidden=[
                *last.faces, *last.hidden, *last.plates, *(plate_band(v, size) for v in last.vehicles)])
            if frame is None:
                return 0
            return self.frames.publish(frame.image, ts=frame.ts, grey=frame.grey).index

    @property
    def latest(self) -> Any:
        """What was last seen (boxes, people, faces), for drawing on what viewers see."""
        if self.analyzer is not None:
            return self.analyzer.latest
        from device.vision.pipeline import Detections
        return Detections()

    def status(self) -> dict[str, Any]:
        """For /api/status's camera: analysis rate, frames, and which detector does each job (optional models)."""
        detectors = self.analyzer.detectors if self.analyzer is not None else None
        return {"analysis_fps": round(self.rate.rate, 1), "frames_analysed": self.analysed,
                "frames_skipped": self.skipped, "vision_error": self.error, "detectors": detectors}

    def summary(self) -> dict[str, Any] | None:
        return self.analyzer.summary() if self.analyzer is not None else None

    def heatmap_jpeg(self) -> bytes:
        """Where people have stood and walked, drawn at most every HEATMAP_EVERY_S however many ask."""
        if self.analyzer is None:
            raise DeviceUnavailable("no heatmap: {reason}", reason=self.error)
        with self._heatmap_lock:
            made, jpeg = self._heatmap
            if time.monotonic() - made >= HEATMAP_EVERY_S:
                jpeg = self.analyzer.heatmap_jpeg()
                self._heatmap = (time.monotonic(), jpeg)
            return jpeg

    # ---- what other threads may ask of the tracker (each call takes its lock)
    def in_view(self) -> list[Any]:
        tracker = self.analyzer.tracker if self.analyzer is not None else None
        return tracker.in_view() if tracker is not None else []

    def forget(self, track_id: int) -> int:
        tracker = self.analyzer.tracker if self.analyzer is not None else None
        return tracker.forget(track_id) if tracker is not None else 0

    def forget_all(self) -> int:
        tracker = self.analyzer.tracker if self.analyzer is not None else None
        return tracker.forget_all() if tracker is not None else 0

    # ---- numbering: at start, and after forgetting everything
    @contextmanager
    def paused(self) -> Iterator[None]:
        """The vision thread waits between two frames while this is held, so that nothing it publishes
        afterwards is about what was seen before (forget everything erases the store meanwhile). It publishes
        without waiting on anyone, so holding this while the store's writer works cannot deadlock."""
        with self._frame_lock:
            yield

    def continue_after(self, highest: int) -> None:
        """Number people from *highest* + 1 (the highest track stored, read once at start): after a restart,
        a new person must not take the number, and the rows, of someone stored earlier."""
        with self._frame_lock:
            self._after = max(highest, self._after or 0)
            self._number_after()

    def restart(self, *, numbers: bool = True) -> None:
        """After forgetting everything, inside the same paused(): nobody followed or remembered, nobody in or
        out, nowhere anyone has been (the heatmap), and with *numbers* the next person is #1 (nothing stored
        names a track any more)."""
        with self._frame_lock:
            tracker = self.analyzer.tracker if self.analyzer is not None else None
            if numbers:
                self._after = None
            if tracker is not None:
                tracker.restart(numbers=numbers)
            heat = self.analyzer.people.heat if self.analyzer is not None else None
            if heat is not None:
                heat[:] = 0
        with self._heatmap_lock:
            self._heatmap = (-HEATMAP_EVERY_S, b"")

    def _number_after(self) -> None:
        """Hand a number waiting for the tracker to it, once it exists. Call with the frame lock held."""
        tracker = self.analyzer.tracker if self.analyzer is not None else None
        if tracker is not None and self._after is not None:
            tracker.continue_after(self._after)
            self._after = None


def highest_track(conn: sqlite3.Connection) -> int:
    """The highest N of the subjects track:N stored (tracks, snapshots, observations), 0 when none: read once
    at start, on the store's connection (a range of the subject index, not the whole table)."""
    highest = 0
    for table in ("tracks", "snapshots", "observations"):
        try:
            row = conn.execute(f"SELECT MAX(CAST(substr(subject, 7) AS INTEGER)) FROM {table} "
                               "WHERE subject >= 'track:' AND subject < 'track;'").fetchone()
        except sqlite3.OperationalError:        # a table this database does not have
            continue
        highest = max(highest, int(row[0] or 0))
    return highest


def stored_person(obs: Observation) -> tuple[dict[str, Any], list[Any]]:
    """How a person observation is stored: its trajectory and signature go to the tracks table (one row per
    track, updated as it goes), the rest to the observations table (the store's route for "person")."""
    from device.store import SideRow

    value = obs.value
    if not obs.subject:
        return value, []
    detail = {k: json.dumps(value[k], separators=(",", ":")) if k in value else None for k in TRACK_DETAIL}
    dwell = value.get("dwell_s")
    row = SideRow("tracks", {"subject": obs.subject, "first_seen": obs.ts - float(dwell or 0.0),
                             "last_seen": obs.ts, "dwell_s": dwell, "looked": value.get("looked"), **detail},
                  key="subject", keep=TRACK_DETAIL, fixed=("first_seen",))
    return {k: v for k, v in value.items() if k not in TRACK_DETAIL}, [row]
