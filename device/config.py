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
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from device.errors import ConfigError
from device.exhibition.settings import MqttConfig, SimConfig
from device.notice.operator import NoticeConfig
from device.observations import KINDS

ENV_PREFIX = "AWARENESS_KIT_"


def setting(default: Any, help: str, *, min: float | None = None, max: float | None = None,
            pattern: str | None = None, expected: str | None = None,
            parse: Callable[[Any], Any] | None = None, render: Callable[[Any], str] | None = None) -> Any:
    """Declare one setting: its default, a one-line help, what values are allowed, and for a structure how it
    is parsed (*parse* raises ValueError saying what was expected, or blank) and written (*render*)."""
    return field(default=default, metadata={"help": help, "min": min, "max": max, "pattern": pattern,
                                            "expected": expected, "parse": parse, "render": render})


class KindHours(Mapping[str, float]):
    """Hours per kind, immutable and hashable so a frozen config can hold it: KindHours({"motion": 6.0})."""

    def __init__(self, hours: Mapping[str, float] | None = None) -> None:
        self._hours = dict(hours or {})

    def __getitem__(self, kind: str) -> float:
        return self._hours[kind]

    def __iter__(self) -> Iterator[str]:
        return iter(self._hours)

    def __len__(self) -> int:
        return len(self._hours)

    def __hash__(self) -> int:
        return hash(frozenset(self._hours.items()))

    def __repr__(self) -> str:
        return f"KindHours({self._hours!r})"


RETENTION_H = (0.1, 24 * 365)      # bounds of [store] retention_h, and of each retention_by_kind exception


def parse_kind_hours(value: Any) -> KindHours:
    """"motion=6, distance=2.5" or a table {motion = 6} -> KindHours of registered kinds, hours in bounds."""
    if isinstance(value, str):
        value = [[s.strip() for s in p.partition("=")[::2]] for p in value.split(",") if p.strip()]
    elif isinstance(value, Mapping):
        value = value.items()
    else:
        raise ValueError("")
    hours: dict[str, float] = {}
    for kind, h in value:
        h = _parse_env(h, float) if isinstance(h, str) else h
        if kind not in KINDS:
            raise ValueError(f"no kind {kind!r}: expected kinds among {', '.join(KINDS)}")
        if kind in hours:
            raise ValueError(f"{kind} given twice: expected each kind once")
        if isinstance(h, bool) or not isinstance(h, int | float) or not RETENTION_H[0] <= h <= RETENTION_H[1]:
            raise ValueError(f"{kind}={h!r}: expected hours from {RETENTION_H[0]} to {RETENTION_H[1]}")
        hours[kind] = float(h)
    return KindHours(hours)


def parse_words(value: Any) -> tuple[str, ...]:
    """"hello, camera" or a list ["hello", "camera"] -> ("hello", "camera"): lower-case words or phrases."""
    words = value.split(",") if isinstance(value, str) else value if isinstance(value, list | tuple) else []
    words = tuple(" ".join(w.split()) if isinstance(w, str) else "" for w in words)
    if not words or not all(re.fullmatch(r"[a-z']+( [a-z']+)*", w) for w in words):
        raise ValueError("")
    return words


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
    keywords: tuple[str, ...] = setting(("hello", "camera", "password", "recording"),
                                        "Words listened for, separated by commas.",
                                        expected="lower-case words separated by commas, or a list of them",
                                        parse=parse_words, render=", ".join)
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
                                 min=RETENTION_H[0], max=RETENTION_H[1])
    retention_by_kind: KindHours = setting(
        KindHours({"motion": 6.0, "sound_level": 6.0, "distance": 6.0}),
        "Shorter or longer retention for some kinds, as kind=hours pairs.", parse=parse_kind_hours,
        render=lambda hours: ", ".join(f"{kind}={int(h) if h.is_integer() else h}" for kind, h in hours.items()),
        expected=f"kind=hours pairs separated by commas, or a table; hours from {RETENTION_H[0]} to {RETENTION_H[1]}")
    min_free_mb: int = setting(500, "Free disk space (MB) below which the least valuable kinds stop being "
                                    "stored and the oldest rows are pruned.", min=10, max=10_000_000)


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
    notice: NoticeConfig = field(default_factory=NoticeConfig)
    mqtt: MqttConfig = field(default_factory=MqttConfig)

    @property
    def data_dir(self) -> Path:
        return Path(self.store.data_dir).expanduser()

    def replace(self, section: str, **values: Any) -> Config:
        """Return a copy with some keys of one section changed, each checked like a file value."""
        current = getattr(self, section)
        checked = {key: _check(section, key, value, f"[{section}] {key}") for key, value in values.items()}
        return dataclasses.replace(self, **{section: dataclasses.replace(current, **checked)})

    def retention_hours(self) -> dict[str, float]:
        """Hours each kind of observation is kept: [store] retention_h, or its retention_by_kind exception."""
        return {kind: self.store.retention_by_kind.get(kind, self.store.retention_h) for kind in KINDS}


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
    return kind if meta["min"] is None else f"{kind} from {meta['min']} to {meta['max']}"


def _field(section: str, key: str) -> dataclasses.Field:
    return {f.name: f for f in dataclasses.fields(sections()[section])}[key]


def _check(section: str, key: str, value: Any, where: str) -> Any:
    """Return value converted to the field's type, or raise ConfigError naming where it came from."""
    f = _field(section, key)
    if f.metadata["parse"]:
        try:
            return f.metadata["parse"](value)
        except ValueError as exc:
            raise ConfigError(f"{where} = {value!r}: {str(exc) or 'expected ' + _expected(f)}") from None
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


def _parse_env(text: str, kind: type | None) -> Any:
    """Turn an environment variable's text into the setting's type, leaving bad text for _check to reject
    (and a structure's text for its parser)."""
    try:
        if kind is bool:
            return {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}[text.lower()]
        return kind(text) if kind in (int, float) else text       # type: ignore[misc]
    except (KeyError, ValueError):
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
        except OSError as exc:         # a directory, no permission, an I/O error
            raise ConfigError(f"{path}: the config file cannot be read: {exc.strerror or exc}") from None
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
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
        f = _field(section, key)
        value = _parse_env(text, None if f.metadata["parse"] else _kind(f))
        values[section][key] = _check(section, key, value, f"environment variable {name}")
    return Config(**{name: cls(**values[name]) for name, cls in sections().items()})


def example_toml() -> str:
    """The documented example config, generated from the registry (config.example.toml is this text)."""
    lines = ["# awareness-kit configuration. Every key is optional; shown here with its default.",
             "# Environment variables AWARENESS_KIT_<SECTION>_<KEY> override this file.", ""]
    for name, cls in sections().items():
        lines.append(f"[{name}]")
        for f in dataclasses.fields(cls):
            lines.append(f"# {f.metadata['help']} ({_expected(f)})")
            default = f.metadata["render"](f.default) if f.metadata["render"] else f.default
            lines.append(f"{f.name} = {_toml_value(default)}")
        lines.append("")
    return "\n".join(lines)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(value)
