"""Frozen, typed configuration: defaults with bounds and help, a TOML file, then AWARENESS_KIT_* variables.

Every setting is a field of a section dataclass; its metadata carries the help text and the bounds, so the
example file, ``--help`` and the tests all read the same registry::

    config = load_config(Path("config.toml"), environ=os.environ)
    config.camera.fps  # -> 15
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from device.errors import ConfigError

ENV_PREFIX = "AWARENESS_KIT_"


def setting(default: Any, help: str, *, min: float | None = None, max: float | None = None,
            pattern: str | None = None, expected: str | None = None) -> Any:
    """Declare one setting: its default, a one-line help, and what values are allowed."""
    return field(default=default, metadata={
        "help": help, "min": min, "max": max, "pattern": pattern, "expected": expected})


CAMERA_PATTERN = r"auto|simulated|picamera2|opencv:\d+|file:.+"
MIC_PATTERN = r"auto|simulated|sounddevice(:.+)?|file:.+"
SENSORS_PATTERN = r"auto|simulated|gpio"


@dataclass(frozen=True)
class CameraConfig:
    source: str = setting("auto", "Which camera: picamera2 is the Pi's camera, opencv:N USB webcam N, "
                                  "file:PATH plays a video.",
                          pattern=CAMERA_PATTERN, expected="auto, simulated, picamera2, opencv:N or file:PATH")
    loop: bool = setting(False, "Play a file: camera again from the start when it ends.")
    width: int = setting(640, "Width of the viewed frame in pixels.", min=160, max=1920)
    height: int = setting(480, "Height of the viewed frame in pixels.", min=120, max=1080)
    fps: int = setting(15, "Frames per second asked of the camera.", min=1, max=60)
    jpeg_quality: int = setting(70, "JPEG quality of the live view (higher is sharper and heavier).", min=20, max=95)


@dataclass(frozen=True)
class MicConfig:
    source: str = setting("auto", "Which microphone: sounddevice[:NAME_OR_INDEX] is a sound card input.",
                          pattern=MIC_PATTERN, expected="auto, simulated, sounddevice[:NAME_OR_INDEX] or file:PATH")
    samplerate: int = setting(16000, "Samples per second captured (mono).", min=8000, max=48000)
    block_ms: int = setting(100, "Length of one analysed block of sound, in milliseconds.", min=20, max=1000)
    spl_offset_db: float = setting(100.0, "Calibration: dB SPL = dBFS + this (measure once with a sound meter).",
                                   min=40.0, max=160.0)
    words: str = setting("auto", "Keyword spotting: on, off, or auto (on when pocketsphinx is installed).",
                         pattern=r"auto|on|off", expected="auto, on or off")
    keywords: str = setting("hello, camera, password, recording", "Words listened for, separated by commas.",
                            pattern=r"[a-z' ]+(,[a-z' ]+)*", expected="lower-case words separated by commas")
    keyword_threshold: float = setting(1e-15, "Keyword detection threshold: larger misses more, smaller "
                                              "imagines more.", min=1e-50, max=1e-1)
    store_words: bool = setting(False, "Store the words heard (otherwise they are only shown live).")
    record: bool = setting(False, "Keep short clips of speech as WAV files (raw audio is never kept otherwise).")
    clip_s: int = setting(5, "Longest recorded clip, in seconds.", min=1, max=30)
    clip_retention_h: float = setting(1.0, "Hours a recorded clip is kept before it is deleted.", min=0.05,
                                      max=168.0)


@dataclass(frozen=True)
class SensorsConfig:
    source: str = setting("auto", "Which sensors: gpio is the real header, simulated is gpiozero's mock pins.",
                          pattern=SENSORS_PATTERN, expected="auto, gpio or simulated")
    pir_pin: int = setting(4, "BCM pin of the PIR motion sensor's output.", min=2, max=27)
    trigger_pin: int = setting(23, "BCM pin of the HC-SR04 distance sensor's trigger.", min=2, max=27)
    echo_pin: int = setting(24, "BCM pin of the HC-SR04 echo (through a voltage divider to 3.3 V).", min=2, max=27)
    max_distance: float = setting(4.0, "Farthest distance the HC-SR04 reports, in metres.", min=0.5, max=4.0)
    light_pin: int = setting(17, "BCM pin of the light sensor (an LDR charging a 1 uF capacitor).", min=2, max=27)
    button_pin: int = setting(27, "BCM pin of the button (to ground): long press forgets everything, short "
                                  "press switches the kiosk view.", min=2, max=27)
    led_pin: int = setting(22, "BCM pin of the red 'recording' LED (through a 330 ohm resistor).", min=2, max=27)
    buzzer_pin: int = setting(18, "BCM pin of the optional buzzer.", min=2, max=27)
    chime: bool = setting(False, "Sound the buzzer when a new visitor is tracked.")
    presence_distance: float = setting(1.5, "Someone nearer than this (metres) counts as present.", min=0.2,
                                       max=4.0)
    lights_on_level: float = setting(0.3, "Light level (0-1) above which the room's lights count as on.",
                                     min=0.01, max=0.99)
    hold_s: float = setting(3.0, "Seconds the button must be held to forget everything.", min=1.0, max=10.0)


@dataclass(frozen=True)
class VisionConfig:
    motion_threshold: int = setting(25, "Grey-level change (0-255) that counts a pixel as moving.", min=1, max=255)
    motion_min_area: float = setting(0.002, "Share of the frame that must move before motion is reported.",
                                     min=0.0, max=1.0)
    face_scale_factor: float = setting(1.2, "Haar detector scale step: smaller finds more faces, slower.",
                                       min=1.01, max=2.0)
    face_min_size: int = setting(24, "Smallest face searched, in pixels of the 320-wide analysis frame.",
                                 min=12, max=240)
    face_recheck_s: float = setting(1.0, "Seconds between face checks while nothing moves.", min=0.1, max=60.0)
    count_line: float = setting(0.5, "Where the in/out counting line stands, as a share of the width from the left "
                                "(walking rightwards across it counts in).", min=0.05, max=0.95)
    reid_threshold: float = setting(0.75, "How alike (0-1) a returning person must look to get their old ID back.",
                                    min=0.3, max=0.99)
    blur_faces: bool = setting(True, "Blur faces in what remote viewers see and in stored snapshots.")
    blur_strength: int = setting(8, "How coarse the face blur is: the face is cut into this many blocks across "
                                    "(fewer is stronger).", min=2, max=32)
    kiosk_clear_faces: bool = setting(True, "Let the kiosk screen on the device itself show faces clear.")


@dataclass(frozen=True)
class WebConfig:
    host: str = setting("0.0.0.0", "Address to listen on (0.0.0.0: every interface, so phones can connect).")
    port: int = setting(8000, "TCP port of the dashboard (0 picks any free port).", min=0, max=65535)
    max_viewers: int = setting(40, "Most live streams (camera + events) served at once; more get a polite page.",
                               min=1, max=500)


@dataclass(frozen=True)
class StoreConfig:
    data_dir: str = setting("~/.local/share/awareness-kit", "Directory of the database and every stored file.")
    flush_interval_s: float = setting(0.5, "Most seconds an observation waits before it is written.",
                                      min=0.05, max=5.0)
    retention_h: float = setting(24.0, "Hours an observation is kept, unless retention_by_kind says otherwise.",
                                 min=0.1, max=24 * 365)
    retention_by_kind: str = setting("motion=6, sound_level=6, distance=6", "Shorter or longer retention for some "
                                     "kinds, as kind=hours pairs.", pattern=r"(\s*[a-z_]+\s*=\s*\d+(\.\d+)?\s*"
                                     r"(,\s*[a-z_]+\s*=\s*\d+(\.\d+)?\s*)*)?",
                                     expected="kind=hours pairs separated by commas")
    min_free_mb: int = setting(500, "Free disk space (MB) below which the least valuable kinds stop being "
                                    "stored and the oldest rows are pruned.", min=10, max=10_000_000)


@dataclass(frozen=True)
class SimConfig:
    seed: int = setting(1, "Seed of the simulated scene: the same seed plays the same visitors.", min=0,
                        max=2**31 - 1)


@dataclass(frozen=True)
class KioskConfig:
    wifi_ssid: str = setting("", "Name of the Wi-Fi network phones should join (empty: no Wi-Fi QR code).")
    wifi_password: str = setting("", "Its WPA password, put in the kiosk's QR code (empty for an open network).")
    url: str = setting("", "Address of the dashboard for the QR code (empty: this device's own address).")


@dataclass(frozen=True)
class Config:
    camera: CameraConfig = field(default_factory=CameraConfig)
    mic: MicConfig = field(default_factory=MicConfig)
    sensors: SensorsConfig = field(default_factory=SensorsConfig)
    vision: VisionConfig = field(default_factory=VisionConfig)
    web: WebConfig = field(default_factory=WebConfig)
    store: StoreConfig = field(default_factory=StoreConfig)
    sim: SimConfig = field(default_factory=SimConfig)
    kiosk: KioskConfig = field(default_factory=KioskConfig)

    @property
    def data_dir(self) -> Path:
        return Path(self.store.data_dir).expanduser()

    def replace(self, section: str, **values: Any) -> Config:
        """Return a copy with some keys of one section changed, each checked like a file value."""
        current = getattr(self, section)
        checked = {key: _check(section, key, value, f"[{section}] {key}") for key, value in values.items()}
        return dataclasses.replace(self, **{section: dataclasses.replace(current, **checked)})


def sections() -> dict[str, type]:
    """Section name -> its dataclass."""
    return {f.name: f.default_factory for f in dataclasses.fields(Config)}  # type: ignore[misc]


def settings() -> list[tuple[str, dataclasses.Field]]:
    """Every (section, field), in order: the registry that docs and tests check against."""
    return [(name, f) for name, cls in sections().items() for f in dataclasses.fields(cls)]


_TYPES = {"int": int, "float": float, "bool": bool, "str": str}


def _kind(f: dataclasses.Field) -> type:
    """The field's runtime type (annotations are strings under `from __future__ import annotations`)."""
    return _TYPES[f.type] if isinstance(f.type, str) else f.type


def _expected(f: dataclasses.Field) -> str:
    meta = f.metadata
    if meta["expected"]:
        return meta["expected"]
    kind = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}[_kind(f)]
    if meta["min"] is not None and meta["max"] is not None:
        return f"{kind} from {meta['min']} to {meta['max']}"
    return kind


def _field(section: str, key: str) -> dataclasses.Field:
    for f in dataclasses.fields(sections()[section]):
        if f.name == key:
            return f
    raise KeyError(key)


def _check(section: str, key: str, value: Any, where: str) -> Any:
    """Return value converted to the field's type, or raise ConfigError naming where it came from."""
    f = _field(section, key)
    kind = _kind(f)
    ok = isinstance(value, kind) and not (kind is not bool and isinstance(value, bool))
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value, ok = float(value), True
    meta = f.metadata
    if ok and meta["min"] is not None and not (meta["min"] <= value <= meta["max"]):
        ok = False
    if ok and meta["pattern"] and not re.fullmatch(meta["pattern"], value):
        ok = False
    if not ok:
        raise ConfigError(f"{where} = {value!r}: expected {_expected(f)}")
    return value


def _parse_env(text: str, kind: type) -> Any:
    """Turn an environment variable's text into the setting's type, leaving bad text for _check to reject."""
    try:
        if kind is bool:
            return {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}[text.lower()]
        if kind is int:
            return int(text)
        if kind is float:
            return float(text)
    except (KeyError, ValueError):
        return text
    return text


def load_config(path: Path | None = None, *, environ: Mapping[str, str] | None = None) -> Config:
    """Build the config: defaults, then the TOML file at *path*, then AWARENESS_KIT_<SECTION>_<KEY> variables."""
    values: dict[str, dict[str, Any]] = {name: {} for name in sections()}
    if path is not None:
        try:
            with open(path, "rb") as fh:
                data = tomllib.load(fh)
        except FileNotFoundError:
            raise ConfigError(f"{path}: no such config file (copy config.example.toml to start one)") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
        for section, table in data.items():
            if section not in values:
                raise ConfigError(f"{path}: unknown section [{section}]: expected one of {', '.join(values)}")
            if not isinstance(table, dict):
                raise ConfigError(f"{path}: {section} = {table!r}: expected a [{section}] table")
            known = {f.name for f in dataclasses.fields(sections()[section])}
            for key, value in table.items():
                if key not in known:
                    raise ConfigError(f"{path}: unknown key [{section}] {key}: expected one of {', '.join(known)}")
                values[section][key] = _check(section, key, value, f"{path}: [{section}] {key}")
    for name, text in (environ or {}).items():
        if not name.startswith(ENV_PREFIX):
            continue
        rest = name[len(ENV_PREFIX):].lower()
        section, _, key = rest.partition("_")
        if section not in values or key not in {f.name for f in dataclasses.fields(sections()[section])}:
            raise ConfigError(f"environment variable {name}: no such setting; expected "
                              f"{ENV_PREFIX}<SECTION>_<KEY>, for example {ENV_PREFIX}CAMERA_FPS")
        kind = _kind(_field(section, key))
        values[section][key] = _check(section, key, _parse_env(text, kind), f"environment variable {name}")
    return Config(**{name: cls(**values[name]) for name, cls in sections().items()})


def example_toml() -> str:
    """The documented example config, generated from the registry (config.example.toml is this text)."""
    lines = ["# awareness-kit configuration. Every key is optional; shown here with its default.",
             "# Environment variables AWARENESS_KIT_<SECTION>_<KEY> override this file.", ""]
    for name, cls in sections().items():
        lines.append(f"[{name}]")
        for f in dataclasses.fields(cls):
            lines.append(f"# {f.metadata['help']} ({_expected(f)})")
            lines.append(f"{f.name} = {_toml_value(f.default)}")
        lines.append("")
    return "\n".join(lines)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(value)



def retention_hours(config: Config, kinds: list[str]) -> dict[str, float]:
    """Hours each kind is kept: [store] retention_h, with retention_by_kind's exceptions (checked)."""
    hours = {kind: config.store.retention_h for kind in kinds}
    for pair in filter(None, (p.strip() for p in config.store.retention_by_kind.split(","))):
        kind, _, value = (part.strip() for part in pair.partition("="))
        if kind not in hours:
            raise ConfigError(f"[store] retention_by_kind: no kind {kind!r}; the kinds are {', '.join(kinds)}")
        hours[kind] = float(value)
    return hours
