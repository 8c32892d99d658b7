"""The one data model: every thing the kit learns is an Observation of a registered Kind.

    obs = Observation(ts=time.time(), source="camera", kind="face", subject=None,
                      value={"count": 1, "boxes": [[10, 20, 80, 80]]}, confidence=0.8)

The dashboard, the store, the API and the event stream all use ``obs.to_dict()``, and the dashboard's
explanations come from ``KINDS``, so a kind registered here appears everywhere at once.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any

# What voice-analysis products commonly claim from a voice's pitch (below each bound, in Hz), as the "voice" kind's
# value says it; the kind's explanation says how unreliable it is. Here, not in device.audio, so that the dashboard
# can translate the claims without reaching the microphone's code.
PITCH_CLAIMS: tuple[tuple[float, str], ...] = (
    (165.0, "typical of an adult man's voice (85-165 Hz), so such systems would label it 'male'"),
    (255.0, "typical of an adult woman's voice (165-255 Hz), so such systems would label it 'female'"),
    (math.inf, "higher than most adults' voices, so such systems would guess 'a child'"),
)


@dataclass(frozen=True)
class Observation:
    ts: float
    source: str
    kind: str
    subject: str | None
    value: dict[str, Any]
    confidence: float | None = None
    id: int | None = field(default=None, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"), allow_nan=False)


@dataclass(frozen=True)
class Kind:
    """A registry entry: what a kind of observation is, in plain language, and how long it is kept."""

    name: str
    source: str
    title: str
    unit: str
    reveals: str
    real_world: str
    public: bool = True
    low_value: bool = False       # not stored while the disk is nearly full

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    """Add a kind to the registry (its name must be new)."""
    if kind.name in KINDS:
        raise ValueError(f"observation kind {kind.name!r} is registered twice")
    KINDS[kind.name] = kind
    return kind


register(Kind(
    "motion", "camera", "Motion", "share of the picture",
    "Where and how much something moved in front of the camera, a few times a second.",
    "Smart-city cameras use motion to decide when to record and where to look for people; "
    "over a day it shows the busy and quiet hours of a place.",
    low_value=True,
))
register(Kind(
    "face", "camera", "Faces", "faces",
    "That a human face is in view, where it is, whether its eyes look at the camera, and whether it smiles.",
    "Face detection is the first step of face recognition: the face is cropped, compared with "
    "watch lists, and counted for audience-measurement reports.",
))
register(Kind(
    "person", "camera", "People tracked", "person",
    "Each person in view gets a number that follows them: where they walk, how long they stay, which way "
    "they go, whether and how often they look at the camera or smile.",
    "This is the 'marker' of city surveillance: one person followed from camera to camera, their route and "
    "habits recorded without knowing their name.",
))
register(Kind(
    "reid", "camera", "Recognised again", "match",
    "Someone who left and came back was given their old number. With a face recogniser installed, their face "
    "was turned into 128 numbers (an embedding, computed once per person) and matched against the faces seen "
    "earlier, with the confidence shown; without one, their clothes and a coarse face pattern looked alike, "
    "which lookalikes confuse and a change of coat fools.",
    "Face recognition links a person's visits over days, and across cameras, into one profile, and matches "
    "faces against watch lists.",
))
register(Kind(
    "crossing", "camera", "In and out", "crossing",
    "A person crossed the counting line; the kit counts who came in and who went out.",
    "Shops and stations count footfall this way to measure busy hours and how long people stay.",
))
register(Kind(
    "plate", "camera", "Licence plates", "plates",
    "That a vehicle's licence plate is in view, and where. Reading it is one more step (Licence plates read).",
    "Automatic number-plate recognition logs every car that passes, with the time, for years.",
))
register(Kind(
    "plate_text", "camera", "Licence plates read", "plate",
    "The letters and digits of a passing vehicle's plate, read by text recognition, with the time and how sure "
    "the reading is. A plate names the car's keeper: this is personal data, and phones see it masked unless an "
    "administrator allows otherwise.",
    "Number-plate cameras on roads and car parks log every plate they read, with the time and place, for "
    "years; police and private firms search those logs to follow a car's journeys.",
    public=False,
))
register(Kind(
    "sound_level", "microphone", "Sound level", "dBFS",
    "How loud the room is, every second: decibels below the microphone's maximum (dBFS), and roughly in "
    "the decibels a sound meter shows (dB SPL, after calibration).",
    "Noise monitoring on streets and buses; a loud moment can trigger recording or an alert.",
    low_value=True,
))
register(Kind(
    "voice", "microphone", "Speech", "stretch of speech",
    "When someone spoke, for how long, and the pitch of their voice. Voice-analysis products claim to tell "
    "sex, age and even mood from pitch; it is unreliable: many women speak low and many men high, a cold or "
    "a shout moves it, and the claim says more about the product than about the speaker.",
    "Buses and shops with 'audio analytics' log when and how much people talk; pitch is used to guess who "
    "is speaking, and whether they are stressed.",
))
register(Kind(
    "speech_minute", "microphone", "Talk per minute", "seconds",
    "How many seconds of each minute someone was speaking, and in how many separate turns.",
    "Meeting and call-centre analytics score who talks and how much; the same numbers describe a room.",
))
register(Kind(
    "loud_event", "microphone", "Loud sounds", "event",
    "A sudden loud sound and a guess at what it was (clap, knock, door slam) from how bright and how short it was.",
    "Gunshot and aggression detectors on city streets listen for exactly this, and call the police.",
))
register(Kind(
    "keyword", "microphone", "Words heard", "word",
    "A listened-for word was heard. Stored only if an administrator turns it on; otherwise shown live only.",
    "Smart speakers and some city systems listen for wake words and trigger words all day.",
    public=True,
))
register(Kind(
    "audio_clip", "microphone", "Recorded clips", "clip",
    "A short recording of speech was kept as a sound file (only when recording is turned on).",
    "Recording is what turns listening into evidence: a clip can be replayed, transcribed and shared.",
))
register(Kind(
    "pir", "sensors", "Presence (PIR)", "on/off",
    "Whether the infrared motion sensor feels a warm body moving nearby.",
    "Building automation logs presence to learn when rooms are used and by how many people.",
))
register(Kind(
    "distance", "sensors", "Distance", "m",
    "How far the nearest object or person stands from the ultrasonic sensor.",
    "Retail displays measure how close shoppers come and how long they stay there.",
    low_value=True,
))


def finite(value: float, ndigits: int = 3) -> float | None:
    """Round a measurement for storage, mapping NaN and infinity (not valid JSON) to None."""
    return round(value, ndigits) if math.isfinite(value) else None


register(Kind(
    "presence", "sensors", "Someone is here", "on/off",
    "Whether someone is present, and which sensors agree: the infrared sensor, the camera, the distance "
    "sensor. More sensors agreeing means more certainty.",
    "Offices and shops fuse sensors like these to count occupancy, switch lights, and measure dwell time.",
))
register(Kind(
    "light", "sensors", "Room light", "0-1",
    "How bright the room is, and when the lights went on or off.",
    "Light levels tell when a room or a home is in use: when people get up, leave and come back.",
    low_value=True,
))
register(Kind(
    "health", "sensors", "Device health", "°C, load",
    "The kit's own processor temperature and how busy it is.",
    "Every connected device reports on itself to its maker; the same channel can carry much more.",
    low_value=True,
))
register(Kind(
    "snapshot", "camera", "Snapshots", "picture",
    "One picture of each person, taken when their face is first seen; the face is blurred unless an "
    "administrator turned blurring off.",
    "Smart cameras keep a 'best shot' of every face they see, to search and compare later.",
))
register(Kind(
    "correlation", "phone", "Phone linked to a person", "link",
    "A phone that opened this dashboard was linked to a person the camera follows, from the timing.",
    "Linking phones (Wi-Fi, Bluetooth, app logins) to faces on camera is how 'anonymous' tracking gets a name.",
))
