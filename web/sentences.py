"""One plain sentence per observation, in each language the kit speaks: the one table of them.

/data and /you's rows say it (says(o), in the page's language), and so does the live feed on / and /kiosk: each
observation sent on /events carries {"en": ..., "sr": ...} (in_every_language(o), made once per observation for
every viewer, web/live.py), which web/static/feed.js shows. Texts inside a value (a sound's label, the pitch's
claim, sensors, directions) are translated here too, and numbers are written as the language writes them (62,5).

    says(Observation(ts, "face", ...), translations("sr"))     # "Lica u kadru: 2; gledaju u kameru: 1; smeše se: 0"
    in_every_language(o)                                      # {"en": "Faces in view: 2; ...", "sr": "Lica ..."}
"""

from __future__ import annotations

import functools
import logging
import math
from typing import Any

from device.notice.kinds import N_
from device.observations import Observation
from web.i18n import LANGUAGES, Translations, current, translations

logger = logging.getLogger(__name__)


def ngettext(singular: str, plural: str) -> tuple[str, str]:
    """A message with plural forms, marked where it is written (the catalog's test extracts it as ngettext's
    pair); the form is chosen by the count when the sentence is made."""
    return singular, plural


# What each kind's value reads as. A pair has plural forms, chosen by the count it names (n).
SAYS: dict[str, str | tuple[str, str]] = {
    "still": N_("Everything is still"),
    "motion": ngettext("Movement in %(n)s place (%(p)s%% of the picture)",
                       "Movement in %(n)s places (%(p)s%% of the picture)"),
    "face": N_("Faces in view: %(n)s; looking at the camera: %(looking)s; smiling: %(smiling)s"),
    "no_face": N_("No face in view any more"),
    "new": N_("Person #%(id)s appeared"),
    "left": ngettext("Person #%(id)s left after %(s)s s; looked at the camera once",
                     "Person #%(id)s left after %(s)s s; looked at the camera %(n)s times"),
    "here": ngettext("Person #%(id)s has been here %(s)s s, looked at the camera once",
                     "Person #%(id)s has been here %(s)s s, looked at the camera %(n)s times"),
    "walking": N_(", walking %(direction)s"),
    "looking": N_(", and is looking now"),
    "smiling": N_(", smiling"),
    "reid": N_("Person #%(id)s is back: they look like someone seen before (appearance match %(p)s%%, "
               "not identity)"),
    "crossing": N_("Person #%(id)s went %(direction)s (%(came)s in, %(went)s out so far)"),
    "plate": N_("Licence plates in view: %(n)s"),
    "no_plate": N_("No licence plate in view any more"),
    "plate_text": N_("Read a licence plate: %(text)s (%(p)s%% sure)"),
    "sound_level": N_("Sound level %(dbfs)s dBFS, about %(spl)s dB SPL (loudest moment %(peak)s dBFS)"),
    "voice": N_("Someone spoke for %(s)s s, voice pitch %(hz)s Hz: %(claim)s"),
    "voice_only": N_("Someone spoke for %(s)s s"),
    "speech_minute": ngettext("In the last minute: %(s)s s of speech, in %(n)s turn",
                              "In the last minute: %(s)s s of speech, in %(n)s turns"),
    "loud_event": N_("A loud sound: probably a %(label)s (%(dbfs)s dBFS, %(ms)s ms)"),
    "keyword": N_("Heard the word “%(word)s”"),
    "audio_clip": N_("Kept a %(s)s s recording of speech"),
    "present": N_("Someone is here, according to %(sensors)s"),
    "absent": N_("Nobody is here, all sensors agree"),
    "light_on": N_("The lights are on (level %(level)s)"),
    "light_off": N_("The lights are off (level %(level)s)"),
    "health": N_("The kit runs at %(c)s °C, load %(load)s"),
    "load": N_("The kit's load is %(load)s (no temperature sensor)"),
    "pir_on": N_("The infrared sensor feels someone moving"),
    "pir_off": N_("The infrared sensor feels no one"),
    "distance": N_("The nearest person or object is %(m)s m away"),
    "snapshot": N_("Kept a picture of person #%(id)s"),
    "guess": N_("The kit guessed that a phone is held by person #%(id)s (%(p)s%% sure)"),
    "confirmed": N_("A phone's owner said they are person #%(id)s"),
    "denied": N_("A phone's owner said they are not person #%(id)s"),
}
SENSORS = {"pir": N_("the infrared sensor"), "camera": N_("the camera"), "distance": N_("the distance sensor")}
DIRECTIONS = {"left": N_("left"), "right": N_("right"), "in": N_("in"), "out": N_("out")}


def number(value: Any) -> float | None:
    """*value* if it is a finite number (not a bool), else None: a stored value may hold anything."""
    return value if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) else None


@functools.lru_cache(maxsize=4096)
def _number(code: str, value: float, digits: int) -> str:
    """A number as *code*'s language writes it, kept: Babel takes ~10 µs a number, and readings repeat."""
    return translations(code).number(value, digits)


def in_every_language(o: Observation) -> dict[str, str]:
    """{language code: the observation's sentence} for each language the kit speaks; {} when its value does not
    have the shape its kind has (the live feed then shows the kind's title)."""
    try:
        said = {code: says(o, translations(code)) for code, _ in LANGUAGES}
    except (ArithmeticError, ValueError, TypeError) as exc:
        # A value no sensor gives (an infinite confidence, 1e30 dB) must not stop the fan-out that sends every
        # viewer's events: the observation goes out with its fields, and the feed shows the kind's title.
        logger.warning("no sentence for a %s observation (%s: %s)", o.kind, type(exc).__name__, exc)
        return {}
    return {code: text for code, text in said.items() if text is not None}


def says(o: Observation, tr: Translations | None = None) -> str | None:
    """One plain sentence for an observation, in *tr*'s language (the page's by default); None when its value
    does not have the shape its kind has (the stored fields are shown all the same)."""
    tr = tr or current()
    v = o.value if isinstance(o.value, dict) else {}
    n = {key: number(value) for key, value in v.items()}
    track = o.subject.removeprefix("track:") if isinstance(o.subject, str) and o.subject.startswith("track:") else None
    person = n.get("id") if n.get("id") is not None else track

    def shown(value: float, digits: int = 1) -> str:
        """A measurement as the language writes it, to at most *digits* decimals (62,5 in Serbian)."""
        return _number(tr.code, round(value, digits), digits)

    def say(message: str, count: float | None = None, **values: Any) -> str:
        """SAYS[message] in the language, with its values; *count* chooses a plural form (and is its n)."""
        text = SAYS[message]
        if isinstance(text, tuple):
            values["n"] = shown(count or 0, 0)
            return tr.ngettext(*text, count or 0) % values
        return tr.gettext(text) % values

    def word(text: Any, table: dict[str, str] | None = None) -> str:
        """A text the kit put in a value, translated (by its table's message first: "in" -> "in" -> "unutra")."""
        key = str(text)
        return tr.gettext(table.get(key, key) if table else key)

    match o.kind:
        case "motion" if n.get("area") is not None:
            boxes = v.get("boxes") if isinstance(v.get("boxes"), list) else []
            return say("motion", len(boxes), p=shown(100 * n["area"])) if boxes else say("still")
        case "face" if n.get("count") is not None:
            return say("face", n=shown(n["count"]), looking=shown(n.get("looking") or 0),
                       smiling=shown(n.get("smiling") or 0)) if n["count"] else say("no_face")
        case "person" if person is not None:
            if v.get("state") == "new":
                return say("new", id=person)
            looked, dwell = n.get("looked") or 0, shown(n.get("dwell_s") or 0, 0)
            if v.get("state") == "left":
                return say("left", looked, id=person, s=dwell)
            text = say("here", looked, id=person, s=dwell)
            if v.get("direction") and v.get("direction") != "standing":
                text += say("walking", direction=word(v["direction"], DIRECTIONS))
            if v.get("looking") is True:
                text += say("looking")
            if v.get("smiling") is True:
                text += say("smiling")
            return text
        case "reid" if person is not None and n.get("confidence") is not None:
            return say("reid", id=person, p=round(100 * n["confidence"]))
        case "crossing" if track is not None and v.get("direction"):
            counted = {key: shown(n[key], 0) if n.get(key) is not None else "?" for key in ("in", "out")}
            return say("crossing", id=track, direction=word(v["direction"], DIRECTIONS), came=counted["in"],
                       went=counted["out"])
        case "plate" if n.get("count") is not None:
            return say("plate", n=shown(n["count"])) if n["count"] else say("no_plate")
        case "plate_text" if isinstance(v.get("text"), str):
            return say("plate_text", text=v["text"], p=round(100 * (o.confidence or 0)))
        case "sound_level" if n.get("dbfs") is not None:
            return say("sound_level", dbfs=shown(n["dbfs"]), spl=shown(n.get("spl_db") or 0),
                       peak=shown(n.get("peak_dbfs") if n.get("peak_dbfs") is not None else n["dbfs"]))
        case "voice" if n.get("duration_s") is not None:
            if n.get("pitch_hz") and isinstance(v.get("claimed"), str):
                return say("voice", s=shown(n["duration_s"]), hz=round(n["pitch_hz"]), claim=word(v["claimed"]))
            return say("voice_only", s=shown(n["duration_s"]))
        case "speech_minute" if n.get("speaking_s") is not None:
            return say("speech_minute", n.get("turns") or 0, s=shown(n["speaking_s"]))
        case "loud_event" if isinstance(v.get("label"), str):
            return say("loud_event", label=word(v["label"]), dbfs=shown(n.get("peak_dbfs") or 0),
                       ms=shown(n.get("duration_ms") or 0, 0))
        case "keyword" if isinstance(v.get("word"), str):
            return say("keyword", word=v["word"])
        case "audio_clip" if n.get("duration_s") is not None:
            return say("audio_clip", s=shown(n["duration_s"]))
        case "presence" if isinstance(v.get("present"), bool):
            agree = v.get("agree") if isinstance(v.get("agree"), list) else []
            return say("present", sensors=", ".join(word(str(s), SENSORS) for s in agree)) if v["present"] \
                else say("absent")
        case "light" if n.get("level") is not None:
            return say("light_on" if v.get("on") else "light_off", level=shown(n["level"], 2))
        case "health" if n.get("temperature_c") is not None:
            return say("health", c=shown(n["temperature_c"]), load=shown(n.get("load_1m") or 0, 2))
        case "health" if n.get("load_1m") is not None:       # a machine without a thermal zone
            return say("load", load=shown(n["load_1m"], 2))
        case "pir" if isinstance(v.get("motion"), bool):
            return say("pir_on" if v["motion"] else "pir_off")
        case "distance" if n.get("metres") is not None:
            return say("distance", m=shown(n["metres"], 2))
        case "snapshot" if track is not None:
            return say("snapshot", id=track)
        case "correlation" if isinstance(v.get("track"), str):
            linked = v["track"].removeprefix("track:")
            if "reasons" in v:
                return say("guess", id=linked, p=round(100 * (n.get("confidence") or o.confidence or 0)))
            if isinstance(v.get("confirmed"), bool):
                return say("confirmed" if v["confirmed"] else "denied", id=linked)
    return None
