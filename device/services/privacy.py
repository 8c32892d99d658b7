"""Privacy settings an administrator may change while the kit runs, and what each viewer is shown.

    privacy = Privacy(config, detections=lambda: watching.latest)
    frames = FrameHub(encode=privacy.render)        # "public" blurs faces; "kiosk" may show them clear
    privacy.update(blur_public=False)               # from /admin; kept in <data dir>/settings.json -> True
    privacy.public(kind)                            # may remote viewers see this kind of observation?
    privacy.heatmap("public", watching)             # /heatmap.jpg over a coarse room where faces are blurred

The config file holds the defaults; what an administrator changes is kept in settings.json in the data
directory (written whole or not at all, mode 0600) and read at start, so it outlives a restart. Forgetting
everything leaves it: the settings say nothing about anyone. A damaged file is logged and the defaults used.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from device.config import Config
from device.files import load_json, save_json
from device.hub import Frame
from device.observations import KINDS, Observation

SETTINGS = ("blur_public", "kiosk_clear")
SETTINGS_FILE = "settings.json"         # under the data directory

logger = logging.getLogger(__name__)


def _masked_plate(value: dict[str, Any]) -> dict[str, Any]:
    from device.vision.privacy import mask_plate

    return {**value, "text": mask_plate(str(value.get("text", "")))}


# Kinds that are not public but that phones may see masked, as they see faces blurred.
MASKS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {"plate_text": _masked_plate}


class Privacy:
    def __init__(self, config: Config, *, detections: Callable[[], Any]) -> None:
        self._lock = threading.Lock()
        self._saving = threading.Lock()
        self.defaults = {"blur_public": config.vision.blur_faces, "kiosk_clear": config.vision.kiosk_clear_faces}
        self.path = config.data_dir / SETTINGS_FILE
        self._settings = {**self.defaults, **_load(self.path)}
        self._detections = detections
        self._plates: Any = None        # PlateMemory, made with the first frame (OpenCV is optional)
        self._heatmap_lock = threading.Lock()
        self._heatmap: tuple[bytes | None, bytes] = (None, b"")     # (the clear heatmap it was made for, JPEG)
        self.blocks = config.vision.blur_strength
        self.quality = config.camera.jpeg_quality

    @property
    def settings(self) -> dict[str, bool]:
        """A copy: change them with update()."""
        with self._lock:
            return dict(self._settings)

    def update(self, **values: bool) -> bool:
        """Change settings now, and keep them in settings.json; False if they could not be kept (they last until
        the kit restarts, and the log says why)."""
        unknown = set(values) - set(SETTINGS)
        if unknown:
            raise KeyError(f"no privacy setting {', '.join(sorted(unknown))}; the settings are {', '.join(SETTINGS)}")
        with self._saving:          # the file follows the changes in their order; frames never wait for it
            with self._lock:
                self._settings.update({key: bool(value) for key, value in values.items()})
                settings = dict(self._settings)
            try:
                save_json(self.path, settings)
            except OSError as exc:
                logger.warning("privacy: cannot keep the settings in %s (%s): they last until the kit restarts",
                               self.path, exc.strerror or exc)
                return False
        return True

    def blur(self, view: str) -> bool:
        """Whether faces are blurred in *view* ("public": every phone; "kiosk": the device's own screen)."""
        settings = self.settings
        return settings["blur_public"] and not (view == "kiosk" and settings["kiosk_clear"])

    def render(self, frame: Frame, view: str) -> bytes:
        """The JPEG viewers of *view* see, with what the kit inferred drawn over it (FrameHub's encoder)."""
        from device.vision.privacy import PlateMemory, render_view

        detections = self._detections()
        blur = self.blur(view)
        with self._lock:
            if self._plates is None:
                self._plates = PlateMemory()
        self._plates.observe(detections)        # every view: it learns when each plate box was found
        # Where plates seen lately are now, not where they were last found (the car drives on).
        plates = self._plates.regions(frame.ts, detections, frame.image.shape[1::-1]) if blur else None
        return render_view(frame.image, detections, blur=blur, blocks=self.blocks, quality=self.quality,
                           plates=plates)

    def heatmap(self, view: str, watching: Any) -> bytes:
        """/heatmap.jpg as viewers of *view* see it. The heat is drawn over the learnt empty room, where someone
        who stood still shows, face and all, as no detector's box: where faces are blurred, the room is made
        coarse (its shape, no face), once per heatmap the vision service makes. DeviceUnavailable without one."""
        clear = watching.heatmap_jpeg()
        if not self.blur(view):
            return clear
        with self._heatmap_lock:
            made_for, jpeg = self._heatmap
            if made_for is not clear:
                from device.vision.privacy import public_heatmap

                jpeg = public_heatmap(watching.analyzer.people)
                self._heatmap = (clear, jpeg)
            return jpeg

    @staticmethod
    def public(kind: str) -> bool:
        """Whether remote viewers (phones) may see observations of *kind*; unknown kinds are not shown."""
        entry = KINDS.get(kind)
        return entry is not None and entry.public

    def for_phones(self, obs: Observation) -> Observation | None:
        """*obs* as a phone may see it: as it is if its kind is public; masked, as faces are blurred, if its kind
        has a mask (a plate's text: "L** ****") unless an administrator turned blurring off; else None."""
        if self.public(obs.kind):
            return obs
        mask = MASKS.get(obs.kind)
        if mask is None:
            return None
        return obs if not self.blur("public") else dataclasses.replace(obs, value=mask(obs.value))


def _load(path: Path) -> dict[str, bool]:
    """The settings kept in *path*: {} when there is no file; those that are readable when it is damaged (a
    warning says what is wrong: the config's defaults are used instead)."""
    kept = load_json(path, "the privacy settings are the config's defaults")
    if kept is None:
        return {}
    if not isinstance(kept, dict):
        logger.warning("privacy: %s is not a JSON object: using the config's defaults", path)
        return {}
    settings = {key: value for key, value in kept.items() if key in SETTINGS and isinstance(value, bool)}
    if len(settings) != len(kept):
        ignored = ", ".join(sorted(repr(key)[:40] for key in set(kept) - set(settings))[:5])
        logger.warning("privacy: %s: ignored %s (the settings are %s, each true or false): the config's defaults "
                       "instead", path, ignored, ", ".join(SETTINGS))
    return settings
