"""The kit: assembles sources, analyzers, the hub and the store; starts, supervises and stops them.

    kit = Kit(config)
    kit.start()
    kit.status()        # what /api/status shows
    kit.stop()          # within 2 s, everything published is written

Data flows one way: source -> analyzer -> hub -> sinks. The web layer reads kit.frames, kit.observations
and kit.store, and never touches a camera or a pin.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from device.admin import AdminPin
from device.audio import open_mic
from device.audio.analysis import AudioAnalyzer
from device.camera import open_camera
from device.config import Config, retention_hours
from device.hub import Frame, FrameHub, ObservationHub
from device.observations import KINDS, Observation
from device.scene import Scene
from device.sensors import open_sensors
from device.sensors.fusion import PresenceFusion
from device.store import Store
from device.workers import Worker

logger = logging.getLogger(__name__)


class RateMeter:
    """Events per second over the last few seconds (cheap enough to call on every frame)."""

    def __init__(self, window_s: float = 3.0) -> None:
        self.window = window_s
        self._times: deque[float] = deque()

    def tick(self, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        self._times.append(now)
        while self._times and self._times[0] < now - self.window:
            self._times.popleft()

    @property
    def rate(self) -> float:
        now = time.monotonic()
        while self._times and self._times[0] < now - self.window:
            self._times.popleft()
        return len(self._times) / self.window


class SourceState:
    """What the dashboard says about one source: which device, real or simulated, running or offline."""

    CAPTURING = ("running", "degraded")

    def __init__(self, device: str, on_change: Callable[[], None] = lambda: None) -> None:
        self.device = device
        self.name = ""
        self.real = False
        self.state = "starting"
        self.since = time.time()
        self.error: str | None = None
        self._on_change = on_change

    @property
    def capturing(self) -> bool:
        return self.state in self.CAPTURING

    def set(self, state: str, error: str | None = None) -> None:
        changed = state != self.state
        if changed:
            self.since = time.time()
        self.state, self.error = state, error
        if changed:
            self._on_change()

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "real": self.real, "kind": "real" if self.real else "simulated",
                "state": self.state, "since": self.since, "error": self.error}


class Kit:
    def __init__(self, config: Config, *, camera: Any = None) -> None:
        """*camera*: a camera object to use instead of the one config names (the seam tests use)."""
        self.config = config
        self._camera = camera
        self.epoch = time.monotonic()
        self.started_at = time.time()
        self.scene = Scene(config.sim.seed)
        self.observations = ObservationHub()
        self.frames = FrameHub(encode=self._encode_view)
        self.store = Store(config.data_dir / "awareness.db", flush_interval_s=config.store.flush_interval_s)
        self.retention = retention_hours(config, list(KINDS))
        self.admin = AdminPin(config.data_dir)
        # Privacy settings an administrator may change while the kit runs (they start from the config).
        self.settings = {"blur_public": config.vision.blur_faces, "kiosk_clear": config.vision.kiosk_clear_faces}
        self.disk: dict[str, Any] = {}
        self.sources = {name: SourceState(name, self._show_recording) for name in ("camera", "microphone", "sensors")}
        self.kiosk_view = "live"
        self.last_forget: dict[str, Any] | None = None
        self.capture_rate, self.analysis_rate, self.audio_rate = RateMeter(), RateMeter(), RateMeter()
        self.frames_captured = 0
        self.frames_analysed = 0
        self.frames_skipped = 0
        self.vision = None
        self.vision_error: str | None = None
        self.audio: AudioAnalyzer | None = None
        self.spotter = None
        self.recorder = None
        self.words: deque[tuple[float, str]] = deque(maxlen=20)     # heard live; stored only if configured
        self.sensors = None
        self._workers: list[Worker] = []
        self._stimuli = None
        self.fusion: PresenceFusion | None = None
        self._stopped = False

    # ---- lifecycle
    def start(self) -> None:
        self.store.start(self.observations)
        camera = self._camera or open_camera(self.config.camera.source, self.config, scene=self.scene)
        self._describe("camera", camera)
        mic = open_mic(self.config.mic.source, self.config, scene=self.scene, epoch=self.epoch)
        self._describe("microphone", mic)
        self._start_audio_analysis(mic.samplerate)
        try:
            import cv2

            # One thread: the pipeline's pictures are small, and OpenCV's worker pool spins (sched_yield)
            # between calls, about a tenth of the kit's CPU here for nothing (bench/pipeline.py measures
            # this way too). The Pi's other cores are left for the camera, the microphone and the phones.
            cv2.setNumThreads(1)
            from device.vision.pipeline import VisionAnalyzer
            self.vision = VisionAnalyzer(self.config.vision, publish=self.observations.publish,
                                         snapshot=self._snapshot)
        except Exception as exc:   # ImportError without OpenCV; DeviceUnavailable without cascades
            self.vision_error = str(exc) if not isinstance(exc, ImportError) else \
                "vision analysis needs OpenCV: pip install 'awareness-kit[vision]'"
            logger.warning("vision: %s", self.vision_error)
        board, stimuli = open_sensors(self.config.sensors.source, self.config.sensors,
                                      publish=self.observations.publish, scene=self.scene, epoch=self.epoch)
        self.sensors = board
        self.sources["sensors"].name, self.sources["sensors"].real = board.name, board.real
        board.on_forget, board.on_toggle = self.forget_everything, self.toggle_kiosk_view
        board.start()
        self._stimuli = stimuli
        self.sources["sensors"].set("running" if not board.errors else "degraded",
                                    "; ".join(board.errors.values()) or None)
        self.fusion = PresenceFusion(near_m=self.config.sensors.presence_distance,
                                     publish=self.observations.publish)
        self._fusion_feed = self.observations.subscribe(maxsize=1000)

        self._workers.append(Worker("capture", lambda stop: self._capture(camera, stop),
                                    on_failure=lambda e: self.sources["camera"].set("offline", str(e))))
        if self.vision is not None:
            self._workers.append(Worker("vision", self._analyse))
        self._workers.append(Worker("audio", lambda stop: self._listen(mic, stop),
                                    on_failure=lambda e: self.sources["microphone"].set("offline", str(e))))
        self._workers.append(Worker("sensors", board.poll))
        self._workers.append(Worker("housekeeping", self._housekeeping))
        self._workers.append(Worker("fusion", self._fuse))
        if stimuli is not None:
            self._workers.append(Worker("sensor-stimuli", stimuli.loop))
        for worker in self._workers:
            worker.start()

    def _housekeeping(self, stop: threading.Event) -> None:
        """Every minute: prune what is older than its retention, and guard the disk."""
        while not stop.is_set():
            self.keep_house()
            stop.wait(60.0)

    def keep_house(self, now: float | None = None) -> dict[str, int]:
        """Apply retention by age, then by disk space; returns how many rows went, per kind."""
        now = time.time() if now is None else now
        pruned = {}
        for kind, hours in self.retention.items():
            n = self.store.prune(kind=kind, before=now - hours * 3600)
            if n:
                pruned[kind] = n
        n = self.store.prune_side(now - max(self.retention.values()) * 3600)
        if n:
            pruned["side tables"] = n
        free_mb = shutil.disk_usage(self.config.data_dir).free / 1e6
        low = free_mb < self.config.store.min_free_mb
        self.store.skip_kinds = frozenset(k for k, kind in KINDS.items() if kind.low_value) if low else frozenset()
        if low:
            n = self.store.prune(oldest=max(1000, self.store.count() // 10))
            pruned["oldest (disk nearly full)"] = n
            logger.warning("store: %.0f MB free, under %d MB: not storing %s; pruned the oldest %d rows", free_mb,
                           self.config.store.min_free_mb, ", ".join(sorted(self.store.skip_kinds)), n)
        self.disk = {"free_mb": round(free_mb), "low": low, "min_free_mb": self.config.store.min_free_mb}
        return pruned

    def _fuse(self, stop: threading.Event) -> None:
        """Presence from every sensor's word, and the chime for a new visitor."""
        while not stop.is_set():
            for obs in self._fusion_feed.get_batch(timeout=0.5):
                self.fusion.update(obs)
                if obs.kind == "person" and obs.value.get("state") == "new" and self.sensors is not None:
                    self.sensors.chime()
            self.fusion.evaluate(time.time())

    def _snapshot(self, subject: str, image: Any, face: tuple[int, int, int, int], ts: float) -> None:
        """Keep one picture of a newly seen person, faces blurred unless configured otherwise."""
        import cv2

        from device.vision.privacy import blur_faces

        vision = self.config.vision
        if vision.blur_faces:
            blur_faces(image, [face], vision.blur_strength)
        folder = self.config.data_dir / "snapshots"
        folder.mkdir(exist_ok=True)
        name = f"{subject.replace(':', '-')}-{int(ts * 1000)}.jpg"
        ok, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 80])
        if ok:
            (folder / name).write_bytes(jpeg.tobytes())
            self.observations.publish(Observation(ts, "camera", "snapshot", subject, {
                "file": f"snapshots/{name}", "blurred": vision.blur_faces}))

    def _show_recording(self) -> None:
        """The LED and the page's red dot: lit exactly while any source is capturing."""
        if self.sensors is not None:
            self.sensors.set_recording(self.recording)

    @property
    def recording(self) -> bool:
        return not self._stopped and any(source.capturing for source in self.sources.values())

    def toggle_kiosk_view(self) -> None:
        """The button's short press: the kiosk screen switches between the live view and the stored data."""
        self.kiosk_view = "data" if self.kiosk_view == "live" else "live"
        logger.info("kiosk view: %s", self.kiosk_view)

    def forget_everything(self) -> dict[str, Any]:
        """Delete every observation, recorded clip and remembered appearance; say what was deleted and when."""
        counts = self.store.forget_all()
        files = 0
        for folder, pattern in (("clips", "clip-*.wav"), ("snapshots", "*.jpg")):
            for path in (self.config.data_dir / folder).glob(pattern):
                path.unlink(missing_ok=True)
                files += 1
        if self.vision is not None and self.vision.tracker is not None:
            self.vision.tracker.gallery.clear()
        self.words.clear()
        threading.Thread(target=self._reclaim, name="vacuum", daemon=True).start()
        self.last_forget = {"at": time.time(), "observations": counts, "files": files,
                            "total": sum(counts.values()) + files}
        logger.warning("forgot everything: %d observations and %d files deleted", sum(counts.values()), files)
        return self.last_forget

    def guess_person(self, visitor: str, ts: float) -> dict[str, Any] | None:
        """Which person the camera follows is holding this phone, as surveillance systems guess it: from
        who was there when the phone connected. Publishes the guess as a correlation and returns it."""
        tracker = self.vision.tracker if self.vision is not None else None
        if tracker is None:
            return None
        people = [t for t in tracker.active if t.visible]
        if not people:
            return None
        def score(track) -> tuple[float, list[dict[str, Any]]]:
            reasons, points = [], 0.2
            before = ts - track.first_seen
            if before <= 60:
                points += 0.3 * (1 - before / 60)
                reasons.append({"why": "appeared", "s": round(before)})
            if track.looking:
                points += 0.25
                reasons.append({"why": "looking"})
            if len(people) == 1:
                points += 0.25
                reasons.append({"why": "alone"})
            else:
                reasons.append({"why": "others", "n": len(people)})
            return min(points, 0.95), reasons
        best = max(people, key=lambda t: score(t)[0])
        confidence, reasons = score(best)
        guess = {"track": f"track:{best.id}", "id": best.id, "confidence": round(confidence, 2),
                 "reasons": reasons, "confirmed": None}
        self.observations.publish(Observation(ts, "phone", "correlation", visitor, guess, guess["confidence"]))
        return guess

    def answer_guess(self, visitor: str, track: str, confirmed: bool) -> None:
        """The visitor says whether the guess was right; the answer is stored like everything else."""
        self.observations.publish(Observation(time.time(), "phone", "correlation", visitor,
                                              {"track": track, "confirmed": confirmed}, 1.0))

    def forget_me(self, visitor: str) -> dict[str, int]:
        """Everything about one visitor: their visits, what their phone revealed, and every track linked to
        them (not those they said were someone else), with the tracks' observations, trajectories,
        signatures and snapshots."""
        subjects = {visitor}
        answers: dict[str, bool | None] = {}
        for obs in self.store.query(subject=visitor, kind="correlation", limit=1000):   # oldest first
            if obs.value.get("track"):
                answers[obs.value["track"]] = obs.value.get("confirmed")
        subjects |= {track for track, confirmed in answers.items() if confirmed is not False}
        counts = self.store.forget_subjects(subjects)
        if self.vision is not None and self.vision.tracker is not None:
            for subject in subjects - {visitor}:
                dropped = self.vision.tracker.forget(int(subject.split(":", 1)[1]))
                if dropped:
                    counts["signatures in memory"] = counts.get("signatures in memory", 0) + dropped
        logger.info("forgot %s: %s", visitor, counts)
        return counts

    def _reclaim(self) -> None:
        """After forgetting everything, give the space back to the file system, without holding anyone up."""
        try:
            self.store.vacuum()
        except Exception as exc:      # busy: the next forgetting or restart will try again
            logger.info("store: vacuum after forgetting did not run: %s", exc)

    def _start_audio_analysis(self, samplerate: int) -> None:
        from device.audio import words
        from device.audio.recorder import ClipRecorder

        mic = self.config.mic
        self.audio = AudioAnalyzer(samplerate=samplerate, publish=self.observations.publish,
                                   spl_offset_db=mic.spl_offset_db)
        if mic.words == "on" or (mic.words == "auto" and words.available()):
            keywords = [w.strip() for w in mic.keywords.split(",") if w.strip()]
            try:
                self.spotter = words.KeywordSpotter(keywords, samplerate=samplerate, on_word=self._heard,
                                                    threshold=mic.keyword_threshold)
                self.audio.speech_listeners.append(self.spotter.feed)
                logger.info("microphone: listening for %s (shown live%s)", ", ".join(keywords),
                            ", and stored" if mic.store_words else ", not stored")
            except Exception as exc:    # DeviceUnavailable, or pocketsphinx failing to load its model
                logger.warning("microphone: keyword spotting is off: %s", exc)
        if mic.record:
            self.recorder = ClipRecorder(self.config.data_dir / "clips", samplerate=samplerate, clip_s=mic.clip_s,
                                         retention_h=mic.clip_retention_h, publish=self.observations.publish)
            self.audio.speech_listeners.append(self.recorder.feed)
            logger.warning("microphone: recording clips of speech to %s (kept %.1f h)", self.recorder.directory,
                           mic.clip_retention_h)

    def _heard(self, word: str, ts: float) -> None:
        self.words.append((ts, word))
        if self.config.mic.store_words:
            self.observations.publish(Observation(ts, "microphone", "keyword", None, {"word": word}, None))

    def _describe(self, key: str, source: Any) -> None:
        state = self.sources[key]
        state.name, state.real = source.name, source.real

    def stop(self) -> None:
        """Stop every worker and close every device, then flush the store; idempotent."""
        if self._stopped:
            return
        self._stopped = True
        self.frames.close()
        for worker in self._workers:
            worker.stop_event.set()
        for worker in self._workers:
            worker.close(timeout=1.0)
        if self.sensors is not None:
            self.sensors.close()        # the LED goes out with it
        if self._stimuli is not None:
            self._stimuli.close()
        if self.recorder is not None:
            self.recorder.close()
        if self.spotter is not None:
            self.spotter.close()
        self.observations.close()
        self.store.close()
        logger.info("stopped; %d of %d observations stored", self.store.written,
                    sum(self.observations.counts.values()))

    # ---- workers
    def _capture(self, camera: Any, stop: threading.Event) -> None:
        camera.open()
        self.sources["camera"].set("running")
        try:
            while not stop.is_set():
                captured = camera.read(stop)
                if captured is None:
                    if not stop.is_set():
                        self.sources["camera"].set("ended", "the video file has ended")
                    return
                image, grey = captured
                self.frames.publish(image, grey=grey)
                self.frames_captured += 1
                self.capture_rate.tick()
        finally:
            camera.close()

    def _analyse(self, stop: threading.Event) -> None:
        assert self.vision is not None
        last = 0
        while not stop.is_set():
            frame: Frame | None = self.frames.wait_newer(last, timeout=0.5)
            if frame is None:
                continue
            if last:
                self.frames_skipped += frame.index - last - 1
            last = frame.index
            self.vision.process(frame)
            self.frames_analysed += 1
            self.analysis_rate.tick()

    def _listen(self, mic: Any, stop: threading.Event) -> None:
        assert self.audio is not None
        mic.open()
        self.sources["microphone"].set("running")
        try:
            while not stop.is_set():
                block = mic.read(stop)
                if block is None:
                    if not stop.is_set():
                        self.sources["microphone"].set("ended", "the sound file has ended")
                    return
                self.audio.feed(block, time.time())
                self.audio_rate.tick()
        finally:
            mic.close()

    def _encode_view(self, frame: Frame, view: str) -> bytes:
        """The JPEG viewers see: "public" blurs faces (unless configured off); "kiosk" may show them clear."""
        from device.vision.pipeline import Detections
        from device.vision.privacy import render_view

        vision = self.config.vision
        detections = self.vision.latest if self.vision is not None else Detections()
        blur = self.settings["blur_public"] and not (view == "kiosk" and self.settings["kiosk_clear"])
        return render_view(frame.image, detections, blur=blur, blocks=vision.blur_strength,
                           quality=self.config.camera.jpeg_quality)

    # ---- reading
    def status(self) -> dict[str, Any]:
        latest = self.observations.latest
        return {
            "uptime_s": round(time.time() - self.started_at, 1),
            "sources": {key: state.to_dict() for key, state in self.sources.items()},
            "camera": {"capture_fps": round(self.capture_rate.rate, 1),
                       "analysis_fps": round(self.analysis_rate.rate, 1),
                       "frames_captured": self.frames_captured, "frames_analysed": self.frames_analysed,
                       "frames_skipped": self.frames_skipped, "jpeg_encodes": self.frames.encodes,
                       "vision_error": self.vision_error},
            "vision": self.vision.summary() if self.vision is not None else None,
            "microphone": {"blocks_per_s": round(self.audio_rate.rate, 1),
                           **self._audio_status()},
            "sensors": self.sensors.status() if self.sensors is not None else {},
            "presence": {"present": self.fusion.present, "agree": self.fusion.agree} if self.fusion else None,
            "recording": self.recording,
            "kiosk_view": self.kiosk_view,
            "last_forget": self.last_forget,
            "now": {kind: obs.to_dict() for kind, obs in latest.items()},
            "counts": dict(self.observations.counts),
            "store": {"written": self.store.written, "dropped": self.store.dropped,
                      "skipped": self.store.skipped, "bytes": self.store.size_bytes(), "disk": self.disk},
        }

    def _audio_status(self) -> dict[str, Any]:
        audio = self.audio
        if audio is None:
            return {"level_dbfs": None, "seconds_analysed": 0, "seconds_stored": 0}
        return {"level_dbfs": round(audio.current_dbfs, 1), "spl_db": round(audio.spl_db),
                "speaking": audio.speaking, "pitch_hz": round(audio.pitch_hz) if audio.pitch_hz else None,
                "this_minute": audio.speech_this_minute(),
                "seconds_analysed": round(audio.seconds_analysed, 1),
                "seconds_stored": round(self.recorder.seconds_stored, 1) if self.recorder else 0,
                "recording": self.recorder is not None,
                "words": {"listening": self.spotter.keywords if self.spotter else None,
                          "stored": self.config.mic.store_words,
                          "heard": [{"ts": ts, "word": w} for ts, w in self.words]}}
