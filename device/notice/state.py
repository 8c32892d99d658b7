"""What the notice is written from: the kit as it runs now, or, offline, its config and what is installed.

    state = LiveState.of_kit(kit)          # the registry, the config, the admin's settings, the active detectors
    state = LiveState.of_config(config)    # `awareness-kit notice`: no kit running
    state.stores("plate_text")             # -> False without a plate reader
"""

from __future__ import annotations

import importlib.util
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from device.config import Config
from device.notice.kinds import note_for
from device.observations import KINDS, Kind

SERVICE = "awareness-kit.service"
APPEARANCE = "appearance"           # the tracker's own re-identification, named so when no recogniser runs


@dataclass(frozen=True)
class LiveState:
    config: Config
    kinds: dict[str, Kind]
    blur_public: bool                      # faces blurred in what phones see
    kiosk_clear: bool                      # the device's own screen may show faces clear
    vision: bool                           # the camera's pictures are analysed at all
    recognition: str | None                # the face recogniser that runs, or None
    plates: bool                           # licence plates are looked for
    plate_reader: str | None               # the plate reader (OCR) that runs, or None
    words: tuple[str, ...] | None          # the words listened for, or None: no keyword spotting
    record: bool                           # clips of speech are recorded
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)   # camera, microphone, sensors
    under_systemd: bool = False
    link: str | None = None                # the exhibition's MQTT broker (host[:port]) this kit sends to, or None
    share_signatures: bool = False         # people's signatures go to the other kits too
    running: bool = True                   # read from a running kit (False: from the config, offline)
    at: float = field(default_factory=time.time)

    @classmethod
    def of_kit(cls, kit: Any) -> LiveState:
        """Read a running kit: its status, its config, and the privacy settings an admin changed."""
        status = kit.status()
        config: Config = kit.config
        camera = status.get("camera") or {}
        vision = status.get("vision") is not None or bool(camera.get("detectors"))
        detectors = camera.get("detectors") or (installed_detectors() if vision else {})
        settings = kit.privacy.settings
        words = ((status.get("microphone") or {}).get("words") or {}).get("listening")
        return cls(config=config, kinds=dict(KINDS), blur_public=settings["blur_public"],
                   kiosk_clear=settings["kiosk_clear"], vision=vision,
                   recognition=recogniser(detectors.get("recognition")) if vision else None,
                   plates=vision and _on(detectors.get("plates", "")),
                   plate_reader=plate_reader(detectors.get("plates")) if vision else None,
                   words=tuple(words) if words else None,
                   record=bool((status.get("microphone") or {}).get("recording", config.mic.record)),
                   sources=dict(status.get("sources") or {}), under_systemd=under_the_service(), **_link(config))

    @classmethod
    def of_config(cls, config: Config) -> LiveState:
        """What a kit started with *config* here would do: the config's settings, the installed detectors."""
        vision = _installed("cv2")
        detectors = installed_detectors() if vision else {}
        spotting = config.mic.words == "on" or (config.mic.words == "auto" and _installed("pocketsphinx"))
        return cls(config=config, kinds=dict(KINDS), blur_public=config.vision.blur_faces,
                   kiosk_clear=config.vision.kiosk_clear_faces, vision=vision,
                   recognition=recogniser(detectors.get("recognition")), plates=vision,
                   plate_reader=plate_reader(detectors.get("plates")),
                   words=tuple(config.mic.keywords) if spotting else None, record=config.mic.record,
                   sources={name: {"name": getattr(config, section).source}
                            for name, section in (("camera", "camera"), ("microphone", "mic"),
                                                  ("sensors", "sensors"))},
                   running=False, **_link(config))

    # ---- what follows from it
    def stores(self, name: str) -> bool:
        """Whether the kit, as it is now, stores observations of kind *name*."""
        needs = note_for(name).needs
        if needs == "vision":
            return self.vision
        if needs == "plates":
            return self.vision and self.plates
        if needs == "plate_reader":
            return self.vision and self.plates and self.plate_reader is not None
        if needs == "record":
            return self.record
        if needs == "store_words":
            return self.words is not None and self.config.mic.store_words
        return True

    def stored(self) -> list[str]:
        return [name for name in self.kinds if self.stores(name)]

    def special(self, name: str) -> bool:
        """Whether kind *name* is special-category (biometric) data as the kit runs now."""
        special = note_for(name).special
        return special == "always" or (special == "recognition" and self.recognition is not None)

    def hours(self) -> dict[str, float]:
        return self.config.retention_hours()

    def changed_by_admin(self) -> list[str]:
        """The privacy settings an administrator set apart from the config file (settings.json keeps them):
        "blur_public", "kiosk_clear"."""
        vision = self.config.vision
        return [key for key, now, start in (("blur_public", self.blur_public, vision.blur_faces),
                                            ("kiosk_clear", self.kiosk_clear, vision.kiosk_clear_faces))
                if now != start]


def under_the_service(cgroup: Path = Path("/proc/self/cgroup")) -> bool:
    """Whether this process runs in the hardened unit (systemd/awareness-kit.service), as its control group says."""
    try:
        return any(line.rstrip().endswith(f"/{SERVICE}") for line in cgroup.read_text().splitlines())
    except OSError:
        return False


def _link(config: Config) -> dict[str, Any]:
    """Whether the kit sends to an exhibition's MQTT broker ([mqtt] url): its host and port, never the password."""
    mqtt = getattr(config, "mqtt", None)
    url = str(getattr(mqtt, "url", "") or "")
    if not url:
        return {"link": None, "share_signatures": False}
    try:
        parts = urlsplit(url)
        host = f"{parts.hostname}:{parts.port}" if parts.port else (parts.hostname or "?")
    except ValueError:
        host = "?"
    return {"link": host, "share_signatures": bool(getattr(mqtt, "share_signatures", False))}


def _on(name: Any) -> bool:
    return isinstance(name, str) and name.strip().lower() not in ("", "off", "none")


def recogniser(name: Any) -> str | None:
    """The face recogniser a "recognition" detector name says runs, or None for the appearance signature."""
    return name if _on(name) and not name.lower().startswith(APPEARANCE) else None


def plate_reader(name: Any) -> str | None:
    """The plate reader a "plates" detector name says runs (an OCR), or None when plates are only boxed."""
    return name if _on(name) and ("reader" in name.lower() or "ocr" in name.lower()) else None


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def installed_detectors() -> dict[str, str]:
    """The detectors a kit would load here (without loading them): the optional models that are installed."""
    faces = _installed("dlib") and _installed("face_recognition_models")
    return {"recognition": "dlib face embedding (installed)" if faces else f"{APPEARANCE} signature",
            "plates": "PP-OCR plate reader (installed)" if _installed("rapidocr") else "plate cascade (OpenCV)"}
