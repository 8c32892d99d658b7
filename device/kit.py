"""The kit: builds the sources, analyzers, services and sinks from the config, starts them in order,
supervises their workers, and stops them in the reverse order.

    kit = Kit(config)                    # Kit(config, camera=..., mic=..., pin_factory=...) for tests
    kit.start()
    kit.status()                         # each part's own status(), gathered for /api/status
    kit.stop()                           # within 2 s, everything published is written

Data flows one way: source -> analyzer -> hub -> sinks. The web layer reads kit.frames, kit.observations
and kit.store, and talks to the services (kit.visitors, kit.forgetting, kit.privacy, kit.retention,
kit.screen, kit.listening, kit.watching); it never touches a camera, a microphone or a pin.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from typing import Any

from device.admin import AdminPin
from device.audio import SimulatedMic, open_mic
from device.audio.listening import Listening
from device.camera import open_camera
from device.capture import CameraFeed
from device.config import Config
from device.errors import StoreError
from device.exhibition.service import Exhibition
from device.exhibition.settings import scene_rooms
from device.health import SourceState
from device.hub import FrameHub, ObservationHub
from device.scene import Scene, face_bank
from device.sensors import open_sensors
from device.services.forgetting import Forgetting
from device.services.pin_display import PinDisplay
from device.services.presence import Presence
from device.services.privacy import Privacy
from device.services.retention import Retention
from device.services.screen import Screen
from device.services.snapshots import Snapshots
from device.services.visitors import Visitors
from device.store import Store
from device.vision.watching import Watching, highest_track, stored_person
from device.workers import Worker

logger = logging.getLogger(__name__)

STOP_WORKERS_S = 1.2        # how long stop() waits for the workers together; the store's flush comes after


class Kit:
    def __init__(self, config: Config, *, camera: Any = None, mic: Any = None, pin_factory: Any = None) -> None:
        """*camera*, *mic*, *pin_factory*: devices to use instead of those the config names (as gpiozero's
        pin_factory=): a test's camera, a recorded microphone, gpiozero's MockFactory."""
        self.config = config
        self._devices = {"camera": camera, "mic": mic, "pin_factory": pin_factory}
        self.epoch = time.monotonic()
        self.started_at = time.time()
        self.scene = Scene(config.sim.seed, **scene_rooms(config))     # a simulated exhibition's room, or the only one
        self.observations = ObservationHub()
        self.store = Store(config.data_dir / "awareness.db", flush_interval_s=config.store.flush_interval_s,
                           recover=True)          # a damaged database is moved aside: the kit comes back up
        self.admin = AdminPin(config.data_dir)
        self.pin_display = PinDisplay(self.admin)       # the button shows the admin PIN on the kiosk, briefly
        self.sources = {name: SourceState(name, self._show_recording) for name in ("camera", "microphone", "sensors")}
        self.screen = Screen()
        self.retention = Retention(config, self.store)
        self.snapshots = Snapshots(config, publish=self.observations.publish)
        self.frames = FrameHub(encode=lambda frame, view: self.privacy.render(frame, view))
        self.watching = Watching(config, self.frames, publish=self.observations.publish, snapshot=self.snapshots.save)
        self.privacy = Privacy(config, detections=lambda: self.watching.latest)
        self.visitors = Visitors(self.store, publish=self.observations.publish, in_view=self.watching.in_view,
                                hold=self.watching.paused)
        self.exhibition = Exhibition(config, self.observations, self.store, watching=lambda: self.watching,
                                     visitors=self.visitors)    # the MQTT link: off unless [mqtt] url is set
        self.forgetting: Forgetting | None = None
        self.camera: CameraFeed | None = None
        self.listening: Listening | None = None
        self.sensors: Any = None
        self.presence: Presence | None = None
        self._stimuli: Any = None
        self._workers: list[Worker] = []
        self._stopped = False
        self._before: dict[str, float] = {}     # figures counted up to the last "forget everything" (status())

    # ---- lifecycle
    def start(self) -> None:
        """Build every part, then start the workers: the store's writer first, so nothing is lost."""
        publish = self.observations.publish
        self.store.route("person", stored_person)
        self.store.route("snapshot", self.snapshots.stored)
        self.store.start(self.observations)
        try:        # a new person must not take the number (and the rows) of one still stored
            self.watching.continue_after(self.store.write(highest_track))
        except (StoreError, TimeoutError, sqlite3.Error) as exc:
            logger.warning("store: could not read the highest track stored (%s): people are numbered from 1", exc)
        camera = self._devices["camera"] or open_camera(self.config.camera.source, self.config, scene=self.scene)
        self.camera = CameraFeed(camera, self.frames, self.sources["camera"])
        mic = self._devices["mic"] or open_mic(self.config.mic.source, self.config, scene=self.scene,
                                               epoch=self.epoch)
        self.listening = Listening(self.config, mic, self.sources["microphone"], publish=publish)
        self.forgetting = Forgetting(self.store, visitors=self.visitors, signatures=self.watching,
                                     files=[self.snapshots.erase_all, self.listening.forget_all],
                                     restart=self._count_again, numbers=not self.exhibition.enabled)
        self.forgetting = self.exhibition.everywhere(self.forgetting)      # "forget me" reaches every kit
        board, self._stimuli = open_sensors(self.config.sensors.source, self.config.sensors, publish=publish,
                                            scene=self.scene, epoch=self.epoch,
                                            pin_factory=self._devices["pin_factory"])
        self.sensors = board
        self.sources["sensors"].describe(board)
        board.on_forget, board.on_toggle, board.on_show_pin = (self.forgetting.everything, self.screen.toggle,
                                                               self.pin_display.show)
        board.start()
        self.sources["sensors"].set("running" if not board.errors else "degraded",
                                    "; ".join(board.errors.values()) or None)
        self.presence = Presence(self.config.sensors, self.observations, board)
        if isinstance(mic, SimulatedMic) or self._stimuli is not None:
            # The simulated scene gives its visitors faces from the face bank (built once, ~5 s here): built now,
            # before the workers start, rather than by the microphone's and the stimuli's threads at once, which
            # built it twice and could still be inside OpenCV when the kit stopped. A missing package is said by
            # the source that needs it.
            try:
                face_bank()
            except Exception as exc:        # noqa: BLE001 (a broken install: the source says it, as it did)
                logger.warning("simulated scene: no faces yet (%s); the source that needs them will say why", exc)

        self._workers.append(Worker("capture", self.camera.loop, on_failure=self.camera.failed))
        if self.watching.available:
            self._workers.append(Worker("vision", self.watching.loop))
        self._workers.append(Worker("audio", self.listening.loop, on_failure=self.listening.failed))
        self._workers.append(Worker("sensors", board.poll))
        self._workers.append(Worker("housekeeping", self.retention.loop))
        self._workers.append(Worker("fusion", self.presence.loop))
        if self._stimuli is not None:
            self._workers.append(Worker("sensor-stimuli", self._stimuli.loop))
        self.exhibition.start()
        if self.exhibition.enabled:
            self._workers.append(Worker("exhibition", self.exhibition.loop))
        for worker in self._workers:
            worker.start()

    def stop(self) -> None:
        """Stop every worker and close every device, then flush the store; idempotent."""
        if self._stopped:
            return
        self._stopped = True
        self.frames.close()
        for worker in self._workers:
            worker.stop_event.set()
        deadline = time.monotonic() + STOP_WORKERS_S      # one deadline for all: stop stays within 2 s
        for worker in self._workers:
            worker.close(timeout=max(0.05, deadline - time.monotonic()))
        if self.sensors is not None:
            self.sensors.close()        # the LED goes out with it
        if self._stimuli is not None:
            self._stimuli.close()
        if self.listening is not None:
            self.listening.close()
        if self.presence is not None:
            self.presence.close()
        self.exhibition.close()
        self.observations.close()
        self.store.close()
        logger.info("stopped; %d of %d observations stored%s", self.store.written - self._before.get("written", 0),
                    sum(self.observations.counts.values()), " since everything was forgotten" if self._before else "")

    # ---- the recording light
    def _show_recording(self) -> None:
        """The LED and the page's red dot: lit exactly while any source is capturing."""
        if self.sensors is not None:
            self.sensors.set_recording(self.recording)

    @property
    def recording(self) -> bool:
        return not self._stopped and any(source.capturing for source in self.sources.values())

    # ---- forgetting everything: what is counted "so far" starts again
    def _count_again(self) -> None:
        """After forgetting everything (the tracker restarted its own counts): the hub's counts, and the
        observations written and sound analysed and kept, which status() shows from here on."""
        self.observations.restart()
        microphone = self.listening.status() if self.listening else {}
        before = {key: microphone.get(key, 0) for key in ("seconds_analysed", "seconds_stored")}
        try:        # on the writer thread: the rows written since the wipe are in the table, and stay counted
            before["written"] = self.store.write(lambda conn: self.store.written - conn.execute(
                "SELECT COUNT(*) FROM observations").fetchone()[0])
        except (StoreError, TimeoutError, sqlite3.Error) as exc:
            logger.warning("store: observations written are counted from now (%s)", exc)
            before["written"] = self.store.written
        self._before = before

    def _since_forgotten(self, section: dict[str, Any], *keys: str) -> dict[str, Any]:
        """*section* with its figures *keys* counted since everything was last forgotten."""
        out = dict(section)
        for key in keys:
            if key in out and key in self._before:
                value = out[key] - self._before[key]
                out[key] = round(value, 1) if isinstance(value, float) else value
        return out

    # ---- reading
    def _vision(self) -> dict[str, Any] | None:
        """The vision summary, its in/out counted since the start or the last wipe also before the first frame."""
        vision = self.watching.summary()
        if vision is not None and vision.get("counted_since") is None:
            last = self.forgetting.last if self.forgetting else None
            vision["counted_since"] = max(self.started_at, last["at"] if last else 0.0)
        return vision

    def status(self) -> dict[str, Any]:
        """What /api/status shows: each part's own status, gathered. Its counts (observations published and
        stored, people numbered and in/out, sound analysed and kept) are since the start, or since everything
        was last forgotten (last_forget)."""
        latest, counts = self.observations.snapshot()
        return {
            "uptime_s": round(time.time() - self.started_at, 1),
            "sources": {key: state.to_dict() for key, state in self.sources.items()},
            "camera": {**(self.camera.status() if self.camera else {}), **self.watching.status(),
                       "jpeg_encodes": self.frames.encodes},
            "vision": self._vision(),
            "microphone": self._since_forgotten(self.listening.status(), "seconds_analysed", "seconds_stored")
            if self.listening else {},
            "sensors": self.sensors.status() if self.sensors is not None else {},
            "presence": self.presence.status() if self.presence else None,
            "recording": self.recording,
            "kiosk_view": self.screen.view,
            "last_forget": self.forgetting.last if self.forgetting else None,
            "exhibition": self.exhibition.status(),
            "now": {kind: obs.to_dict() for kind, obs in latest.items()},
            "counts": counts,
            "store": {**self._since_forgotten(self.store.status(), "written"), "disk": self.retention.disk},
            "workers": {w.name: {"alive": w.alive, "failures": w.failures, "last_error": w.last_error}
                        for w in self._workers},
        }
