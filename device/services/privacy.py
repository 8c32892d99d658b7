"""Privacy settings an administrator may change while the kit runs, and what each viewer is shown.

    privacy = Privacy(config, detections=lambda: watching.latest)
    frames = FrameHub(encode=privacy.render)        # "public" blurs faces; "kiosk" may show them clear
    privacy.update(blur_public=False)               # from /admin
    privacy.public(kind)                            # may remote viewers see this kind of observation?
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from typing import Any

from device.config import Config
from device.hub import Frame
from device.observations import KINDS, Observation

SETTINGS = ("blur_public", "kiosk_clear")


def _masked_plate(value: dict[str, Any]) -> dict[str, Any]:
    from device.vision.privacy import mask_plate

    return {**value, "text": mask_plate(str(value.get("text", "")))}


# Kinds that are not public but that phones may see masked, as they see faces blurred.
MASKS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {"plate_text": _masked_plate}


class Privacy:
    def __init__(self, config: Config, *, detections: Callable[[], Any]) -> None:
        self._lock = threading.Lock()
        self._settings = {"blur_public": config.vision.blur_faces, "kiosk_clear": config.vision.kiosk_clear_faces}
        self._detections = detections
        self.blocks = config.vision.blur_strength
        self.quality = config.camera.jpeg_quality

    @property
    def settings(self) -> dict[str, bool]:
        """A copy: change them with update()."""
        with self._lock:
            return dict(self._settings)

    def update(self, **values: bool) -> None:
        unknown = set(values) - set(SETTINGS)
        if unknown:
            raise KeyError(f"no privacy setting {', '.join(sorted(unknown))}; the settings are {', '.join(SETTINGS)}")
        with self._lock:
            self._settings.update({key: bool(value) for key, value in values.items()})

    def blur(self, view: str) -> bool:
        """Whether faces are blurred in *view* ("public": every phone; "kiosk": the device's own screen)."""
        settings = self.settings
        return settings["blur_public"] and not (view == "kiosk" and settings["kiosk_clear"])

    def render(self, frame: Frame, view: str) -> bytes:
        """The JPEG viewers of *view* see, with what the kit inferred drawn over it (FrameHub's encoder)."""
        from device.vision.privacy import render_view

        return render_view(frame.image, self._detections(), blur=self.blur(view), blocks=self.blocks,
                           quality=self.quality)

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
