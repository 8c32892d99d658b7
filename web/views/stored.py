"""How /data shows what is stored: a plain sentence per observation in the page's language (the live feed,
web/static/feed.js, says the same as it happens), every field readable, the side tables' rows as cards, pictures."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from flask import url_for

from device.observations import Observation
from web.i18n import current

SHORT = 60                # characters of a long value shown before "…"; the whole one is a tap away


def N_(message: str) -> str:
    """A message to translate, marked where it is written (and found there by the catalog's test)."""
    return message


# The sentence each kind's stored value reads as (the live feed, web/static/feed.js, says the same as it happens).
SAYS = {
    "still": N_("Everything is still"),
    "motion": N_("Movement: %(p)s%% of the picture (areas: %(n)s)"),
    "face": N_("Faces in view: %(n)s; looking at the camera: %(looking)s; smiling: %(smiling)s"),
    "no_face": N_("No face in view any more"),
    "new": N_("Person #%(id)s appeared"),
    "left": N_("Person #%(id)s left after %(s)s s; times they looked at the camera: %(n)s"),
    "here": N_("Person #%(id)s has been here %(s)s s; times they looked at the camera: %(n)s"),
    "walking": N_(", walking %(direction)s"),
    "looking": N_(", and is looking now"),
    "smiling": N_(", smiling"),
    "reid": N_("Person #%(id)s looks like person #%(previous)s seen before (appearance match %(p)s%%, not identity)"),
    "crossing": N_("Person #%(id)s went %(direction)s (so far in: %(came)s, out: %(went)s)"),
    "plate": N_("Licence plates in view: %(n)s"),
    "no_plate": N_("No licence plate in view any more"),
    "plate_text": N_("Plate read: %(text)s (%(p)s%% sure)"),
    "sound_level": N_("Sound level %(dbfs)s dBFS, about %(spl)s dB SPL (loudest moment %(peak)s dBFS)"),
    "voice": N_("Someone spoke for %(s)s s, voice pitch %(hz)s Hz: %(claim)s"),
    "voice_only": N_("Someone spoke for %(s)s s"),
    "speech_minute": N_("In the last minute: %(s)s s of speech, turns: %(n)s"),
    "loud_event": N_("A loud sound: probably a %(label)s (%(dbfs)s dBFS, %(ms)s ms)"),
    "keyword": N_("Heard the word “%(word)s”"),
    "audio_clip": N_("Kept a %(s)s s recording of speech"),
    "present": N_("Someone is here, according to %(sensors)s"),
    "absent": N_("Nobody is here, all sensors agree"),
    "light_on": N_("The lights are on (level %(level)s)"),
    "light_off": N_("The lights are off (level %(level)s)"),
    "health": N_("The kit runs at %(c)s °C, load %(load)s"),
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
    return value if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) else None


def shown(value: float, digits: int = 1) -> str:
    """A measurement for a sentence, as the page's language writes it: to at most *digits* decimals (62,5 in
    Serbian), as the live feed writes it (t.number)."""
    return current().number(value, digits)


def says(o: Observation) -> str | None:
    """One plain sentence for a stored observation, in the page's language; None when its value does not have
    the shape its kind has (the stored fields are shown all the same)."""
    tr = current().gettext
    v = o.value if isinstance(o.value, dict) else {}
    n = {key: number(value) for key, value in v.items()}
    track = o.subject.removeprefix("track:") if isinstance(o.subject, str) and o.subject.startswith("track:") else None
    person = n.get("id") if n.get("id") is not None else track

    def say(message: str, **values: Any) -> str:
        return tr(SAYS[message]) % values

    def word(text: Any) -> str:
        return tr(str(text))

    match o.kind:
        case "motion" if n.get("area") is not None:
            boxes = v.get("boxes") if isinstance(v.get("boxes"), list) else []
            return say("motion", p=shown(100 * n["area"]), n=len(boxes)) if boxes else say("still")
        case "face" if n.get("count") is not None:
            return say("face", n=shown(n["count"]), looking=shown(n.get("looking") or 0),
                       smiling=shown(n.get("smiling") or 0)) if n["count"] else say("no_face")
        case "person" if person is not None:
            if v.get("state") == "new":
                return say("new", id=person)
            values = {"id": person, "s": shown(n.get("dwell_s") or 0, 0), "n": shown(n.get("looked") or 0)}
            if v.get("state") == "left":
                return say("left", **values)
            text = say("here", **values)
            if v.get("direction") and v.get("direction") != "standing":
                text += say("walking", direction=word(DIRECTIONS.get(v["direction"], v["direction"])))
            if v.get("looking") is True:
                text += say("looking")
            if v.get("smiling") is True:
                text += say("smiling")
            return text
        case "reid" if person is not None and n.get("confidence") is not None:
            return say("reid", id=person, previous=v.get("previous", "?"), p=round(100 * n["confidence"]))
        case "crossing" if track is not None and v.get("direction"):
            return say("crossing", id=track, direction=word(DIRECTIONS.get(v["direction"], v["direction"])),
                       came=v.get("in", "?"),
                       went=v.get("out", "?"))
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
            return say("speech_minute", s=shown(n["speaking_s"]), n=shown(n.get("turns") or 0))
        case "loud_event" if isinstance(v.get("label"), str):
            return say("loud_event", label=word(v["label"]), dbfs=shown(n.get("peak_dbfs") or 0),
                       ms=shown(n.get("duration_ms") or 0, 0))
        case "keyword" if isinstance(v.get("word"), str):
            return say("keyword", word=v["word"])
        case "audio_clip" if n.get("duration_s") is not None:
            return say("audio_clip", s=shown(n["duration_s"]))
        case "presence" if isinstance(v.get("present"), bool):
            agree = v.get("agree") if isinstance(v.get("agree"), list) else []
            sensors = ", ".join(word(SENSORS.get(str(s), str(s))) for s in agree)
            return say("present", sensors=sensors) if v["present"] else say("absent")
        case "light" if n.get("level") is not None:
            return say("light_on" if v.get("on") else "light_off", level=shown(n["level"], 2))
        case "health" if n.get("temperature_c") is not None:
            return say("health", c=shown(n["temperature_c"]), load=shown(n.get("load_1m") or 0, 2))
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


def field(key: str, value: Any) -> dict[str, Any]:
    """One stored field for a card: its text, shortened when long (then *whole* holds all of it)."""
    if isinstance(value, bool) or value is None:
        return {"key": key, "flag": value}
    if isinstance(value, str):
        text = value
    elif isinstance(value, int | float):
        text = str(value)
    else:
        text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    if len(text) <= SHORT:
        return {"key": key, "text": text}
    return {"key": key, "text": text[:SHORT - 1].rstrip() + "…", "whole": text}


def fields(value: Any) -> list[dict[str, Any]]:
    """A stored JSON value as key: value pairs (a value that is not an object: one pair, "value")."""
    if isinstance(value, dict):
        return [field(str(key), item) for key, item in value.items()]
    return [field("value", value)]


def loads(text: Any) -> Any:
    try:
        return json.loads(text) if isinstance(text, str) else None
    except ValueError:
        return None


def side_card(table: str, row: dict[str, Any]) -> dict[str, Any]:
    """A side table's row for its card: the row, and its long JSON columns summarised (the whole behind a tap)."""
    card: dict[str, Any] = {"row": row}
    if table == "tracks":
        path = loads(row.get("trajectory"))
        points = [p for p in path if isinstance(p, list) and len(p) >= 3] if isinstance(path, list) else []
        card["path"] = {"n": len(points), "first": points[0][1:3] if points else None,
                        "last": points[-1][1:3] if points else None, "whole": row.get("trajectory")}
        signature = loads(row.get("signature"))
        card["signature"] = {
            "parts": [(str(key), len(part) if isinstance(part, list) else None)
                      for key, part in signature.items()] if isinstance(signature, dict) else [],
            "whole": row.get("signature")}
    elif table == "visitors":
        details = loads(row.get("details"))
        card["details"] = fields(details if details is not None else row.get("details"))
    return card


def picture(data_dir: Path, row: dict[str, Any] | None, blur: bool) -> dict[str, Any] | None:
    """How a snapshot's picture is shown: its address, its size (for width and height), and whether this viewer
    sees it blurred; None when no row lists it or its file is gone."""
    from web.views.snapshots import jpeg_size, stored_file

    if row is None:
        return None
    path = stored_file(data_dir, row["file"])
    size = jpeg_size(path) if path is not None else None
    if size is None:
        return {"id": row["id"], "gone": True}
    width, height = size
    return {"id": row["id"], "src": url_for("snapshots.picture", id=row["id"]), "width": width, "height": height,
            "blurred": bool(row["blurred"]) or blur, "gone": False}
