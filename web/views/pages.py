"""The pages: the live dashboard (/) and everything stored (/data). Bad input gets a 400 with the reason."""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, current_app, render_template, request, url_for

from device.observations import KINDS, Observation
from device.store import SIDE_TABLES
from web.clients import is_local

bp = Blueprint("pages", __name__)
PER_PAGE = 20             # observation cards a page: a phone's page stays a few screens tall
SIDE_PER_PAGE = 12        # a side table's cards a page (the snapshots: a grid of three or four across)
SHORT = 60                # characters of a long value shown before "…"; the whole one is a tap away
PARTS = {"rows": "page", **{name: f"{name}_page" for name in SIDE_TABLES}}     # each list's page parameter
ANCHORS = {"rows": "rows", **{name: f"table-{name}" for name in SIDE_TABLES}}


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


@bp.get("/")
def live():
    # The camera's size, so that the picture's box has its final shape before the first frame comes.
    return render_template("index.html", status=current_app.extensions["live"].status(),
                           camera=current_app.extensions["kit"].config.camera)


def _text(name: str, *, longest: int) -> str | None:
    """A parameter as text: None when missing or empty; 400 for one too long or with control characters
    (NUL included), which no form of this page sends."""
    text = request.args.get(name, "").strip()
    if not text:
        return None
    if len(text) > longest:
        abort(400, f"{name} is at most {longest} characters, not {len(text)}")
    if not text.isprintable():
        abort(400, f"{name} may not hold control characters: {text[:40]!r}")
    return text


def _when(name: str) -> float | None:
    """A time filter from the form: empty, a Unix time, or a local date-time (2026-11-26T14:30)."""
    text = _text(name, longest=40)
    if text is None:
        return None
    reason = f"{name} must be a date and time like 2026-11-26T14:30 or a Unix time, not {text!r}"
    if not text.isascii():              # float() takes other scripts' digits: the form sends none
        abort(400, reason)
    try:
        value = float(text)
    except ValueError:
        try:
            value = datetime.fromisoformat(text).timestamp()
        except (ValueError, OverflowError, OSError):
            abort(400, reason)
    if not math.isfinite(value):
        abort(400, f"{name} must be a finite time")
    return value


def _page(name: str = "page") -> int:
    """A page number: ASCII digits, from 1 (a page past the end is shown as the last one)."""
    text = request.args.get(name, "1").strip() or "1"
    if not re.fullmatch(r"[0-9]{1,9}", text) or int(text) < 1:
        abort(400, f"{name} must be a whole number from 1, not {text[:20]!r}")
    return int(text)


def _chosen(name: str, choices: Iterable[str], what: str) -> str | None:
    text = _text(name, longest=40)
    if text is not None and text not in choices:
        abort(400, f"unknown {name} {text!r}; {what}: {', '.join(choices)}")
    return text


def _files(data_dir: Path) -> list[dict]:
    """Every file under the data directory (the database included), for the page to show; one that goes
    while the page is made (a -wal checkpointed away, a snapshot pruned) is left out, not an error."""
    out = []
    for root, _, names in os.walk(data_dir):
        for name in sorted(names):
            path = Path(root) / name
            try:
                stat = path.stat()
            except OSError:
                continue
            out.append({"name": str(path.relative_to(data_dir)), "bytes": stat.st_size, "mtime": stat.st_mtime})
    return sorted(out, key=lambda f: f["name"])


def _pages(count: int, per_page: int) -> int:
    return max(1, math.ceil(count / per_page))


@bp.get("/data")
def data():
    """Everything stored: a summary per kind, the observations as cards, the side tables (tracks, visitors, and
    the snapshots with their pictures) and the files. Every parameter is checked (400 with the reason).

    page is the observations' page (with table=NAME, as older links have it, that side table's); tracks_page,
    visitors_page and snapshots_page are each side table's own. Every pager link keeps the filters and the other
    lists' pages and lands on its own list; a page past the end shows the last one and says so. subject= narrows
    the side tables too."""
    kit = current_app.extensions["kit"]
    store = kit.store
    kind = _chosen("kind", KINDS, "known kinds")
    subject = _text("subject", longest=80)
    since, until = _when("since"), _when("until")
    table = _chosen("table", SIDE_TABLES, "the side tables are")
    first = _page()
    asked = {"rows": 1 if table else first}
    for name in SIDE_TABLES:
        own = _page(PARTS[name])
        asked[name] = first if name == table and not request.args.get(PARTS[name], "").strip() else own

    local = is_local()
    total = store.count(kind=kind, subject=subject, since=since, until=until)
    pages = {"rows": _pages(total, PER_PAGE)}
    shown = {"rows": min(asked["rows"], pages["rows"])}
    rows = store.query(kind=kind, subject=subject, since=since, until=until, limit=PER_PAGE,
                       offset=(shown["rows"] - 1) * PER_PAGE, newest_first=True)
    if not local:       # a kind that is not public stays on the kit's own screen
        rows = [seen for o in rows if (seen := kit.privacy.for_phones(o)) is not None]
    side = {}
    for name in SIDE_TABLES:
        count, items = store.side_rows(name, limit=SIDE_PER_PAGE, offset=(asked[name] - 1) * SIDE_PER_PAGE,
                                       subject=subject)
        pages[name] = _pages(count, SIDE_PER_PAGE)
        shown[name] = min(asked[name], pages[name])
        if shown[name] != asked[name]:
            count, items = store.side_rows(name, limit=SIDE_PER_PAGE, offset=(shown[name] - 1) * SIDE_PER_PAGE,
                                           subject=subject)
        paged = name == table or bool(request.args.get(PARTS[name], "").strip())
        side[name] = {"count": count, "items": [_side_card(name, item) for item in items],   # open: asked for
                      "open": paged or (subject is not None and count > 0)}

    blur = not local and kit.privacy.settings["blur_public"]
    files_of = {o.id: o.value["file"] for o in rows if o.kind == "snapshot" and isinstance(o.value, dict)
                and isinstance(o.value.get("file"), str)}
    listed = store.snapshots_of_files(files_of.values())
    cards = [{"o": o, "says": _says(o), "fields": _fields(o.value),
              "picture": _picture(store.data_dir, listed.get(files_of[o.id]), blur) if o.id in files_of else None}
             for o in rows]
    for card in side["snapshots"]["items"]:
        card["picture"] = _picture(store.data_dir, card["row"], blur)

    filters = {"kind": kind or "", "subject": subject or "", "since": request.args.get("since", "").strip(),
               "until": request.args.get("until", "").strip()}
    kept = {key: value for key, value in filters.items() if value} | \
        {PARTS[part]: number for part, number in shown.items() if number > 1}

    def link(part: str, number: int) -> str:
        return url_for("pages.data", **{**kept, PARTS[part]: number}, _anchor=ANCHORS[part])

    pagers = {part: {"page": shown[part], "pages": pages[part], "asked": asked[part],
                     "newer": link(part, shown[part] - 1) if shown[part] > 1 else None,
                     "older": link(part, shown[part] + 1) if shown[part] < pages[part] else None,
                     "newest": link(part, 1) if shown[part] > 2 else None,
                     "oldest": link(part, pages[part]) if shown[part] < pages[part] - 1 else None}
              for part in shown}
    inventory = {row["kind"]: row for row in store.inventory()}
    files = _files(store.data_dir)
    storage = store.status()
    return render_template(
        "data.html", inventory=inventory, kinds_shown=list(KINDS) + sorted(set(inventory) - set(KINDS)),
        cards=cards, total=total, pagers=pagers, filters=filters, side=side, files=files,
        db_bytes=storage["bytes"], files_bytes=sum(f["bytes"] for f in files),
        kept_for={name: _shown(hours) for name, hours in kit.retention.hours.items()}, disk=kit.retention.disk,
        storage=storage, last_forget=kit.forgetting.last)


def _number(value: Any) -> float | None:
    return value if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) else None


def _shown(value: float, digits: int = 1) -> str:
    """A measurement for a sentence: whole numbers as such, others to *digits* decimals."""
    return str(int(value)) if float(value).is_integer() else f"{value:.{digits}f}"


def _says(o: Observation) -> str | None:
    """One plain sentence for a stored observation, in the page's language; None when its value does not have
    the shape its kind has (the stored fields are shown all the same)."""
    tr = current_app.jinja_env.filters["translate"]
    v = o.value if isinstance(o.value, dict) else {}
    n = {key: _number(value) for key, value in v.items()}
    track = o.subject.removeprefix("track:") if isinstance(o.subject, str) and o.subject.startswith("track:") else None
    person = n.get("id") if n.get("id") is not None else track

    def say(message: str, **values: Any) -> str:
        return tr(SAYS[message]) % values

    def word(text: Any) -> str:
        return tr(str(text))

    match o.kind:
        case "motion" if n.get("area") is not None:
            boxes = v.get("boxes") if isinstance(v.get("boxes"), list) else []
            return say("motion", p=_shown(100 * n["area"]), n=len(boxes)) if boxes else say("still")
        case "face" if n.get("count") is not None:
            return say("face", n=_shown(n["count"]), looking=_shown(n.get("looking") or 0),
                       smiling=_shown(n.get("smiling") or 0)) if n["count"] else say("no_face")
        case "person" if person is not None:
            if v.get("state") == "new":
                return say("new", id=person)
            values = {"id": person, "s": _shown(n.get("dwell_s") or 0, 0), "n": _shown(n.get("looked") or 0)}
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
            return say("plate", n=_shown(n["count"])) if n["count"] else say("no_plate")
        case "plate_text" if isinstance(v.get("text"), str):
            return say("plate_text", text=v["text"], p=round(100 * (o.confidence or 0)))
        case "sound_level" if n.get("dbfs") is not None:
            return say("sound_level", dbfs=_shown(n["dbfs"]), spl=_shown(n.get("spl_db") or 0),
                       peak=_shown(n.get("peak_dbfs") if n.get("peak_dbfs") is not None else n["dbfs"]))
        case "voice" if n.get("duration_s") is not None:
            if n.get("pitch_hz") and isinstance(v.get("claimed"), str):
                return say("voice", s=_shown(n["duration_s"]), hz=round(n["pitch_hz"]), claim=word(v["claimed"]))
            return say("voice_only", s=_shown(n["duration_s"]))
        case "speech_minute" if n.get("speaking_s") is not None:
            return say("speech_minute", s=_shown(n["speaking_s"]), n=_shown(n.get("turns") or 0))
        case "loud_event" if isinstance(v.get("label"), str):
            return say("loud_event", label=word(v["label"]), dbfs=_shown(n.get("peak_dbfs") or 0),
                       ms=_shown(n.get("duration_ms") or 0, 0))
        case "keyword" if isinstance(v.get("word"), str):
            return say("keyword", word=v["word"])
        case "audio_clip" if n.get("duration_s") is not None:
            return say("audio_clip", s=_shown(n["duration_s"]))
        case "presence" if isinstance(v.get("present"), bool):
            agree = v.get("agree") if isinstance(v.get("agree"), list) else []
            sensors = ", ".join(word(SENSORS.get(str(s), str(s))) for s in agree)
            return say("present", sensors=sensors) if v["present"] else say("absent")
        case "light" if n.get("level") is not None:
            return say("light_on" if v.get("on") else "light_off", level=_shown(n["level"], 2))
        case "health" if n.get("temperature_c") is not None:
            return say("health", c=_shown(n["temperature_c"]), load=_shown(n.get("load_1m") or 0, 2))
        case "pir" if isinstance(v.get("motion"), bool):
            return say("pir_on" if v["motion"] else "pir_off")
        case "distance" if n.get("metres") is not None:
            return say("distance", m=_shown(n["metres"], 2))
        case "snapshot" if track is not None:
            return say("snapshot", id=track)
        case "correlation" if isinstance(v.get("track"), str):
            linked = v["track"].removeprefix("track:")
            if "reasons" in v:
                return say("guess", id=linked, p=round(100 * (n.get("confidence") or o.confidence or 0)))
            if isinstance(v.get("confirmed"), bool):
                return say("confirmed" if v["confirmed"] else "denied", id=linked)
    return None


def _field(key: str, value: Any) -> dict[str, Any]:
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


def _fields(value: Any) -> list[dict[str, Any]]:
    """A stored JSON value as key: value pairs (a value that is not an object: one pair, "value")."""
    if isinstance(value, dict):
        return [_field(str(key), item) for key, item in value.items()]
    return [_field("value", value)]


def _loads(text: Any) -> Any:
    try:
        return json.loads(text) if isinstance(text, str) else None
    except ValueError:
        return None


def _side_card(table: str, row: dict[str, Any]) -> dict[str, Any]:
    """A side table's row for its card: the row, and its long JSON columns summarised (the whole behind a tap)."""
    card: dict[str, Any] = {"row": row}
    if table == "tracks":
        path = _loads(row.get("trajectory"))
        points = [p for p in path if isinstance(p, list) and len(p) >= 3] if isinstance(path, list) else []
        card["path"] = {"n": len(points), "first": points[0][1:3] if points else None,
                        "last": points[-1][1:3] if points else None, "whole": row.get("trajectory")}
        signature = _loads(row.get("signature"))
        card["signature"] = {
            "parts": [(str(key), len(part) if isinstance(part, list) else None)
                      for key, part in signature.items()] if isinstance(signature, dict) else [],
            "whole": row.get("signature")}
    elif table == "visitors":
        details = _loads(row.get("details"))
        card["details"] = _fields(details if details is not None else row.get("details"))
    return card


def _picture(data_dir: Path, row: dict[str, Any] | None, blur: bool) -> dict[str, Any] | None:
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
