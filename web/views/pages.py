"""The pages: the live dashboard (/) and everything stored (/data). Bad input gets a 400 with the reason."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from flask import Blueprint, abort, current_app, render_template, request, url_for

from device.observations import KINDS
from device.store import SIDE_TABLES
from web.clients import is_local
from web.views import stored
from web.visitor import visitor_subject

bp = Blueprint("pages", __name__)
bp.add_app_template_filter(stored.fixed, "fixed")      # a live figure, as the page's scripts first write it
PER_PAGE = 20             # observation cards a page: a phone's page stays a few screens tall
SIDE_PER_PAGE = 12        # a side table's cards a page (the snapshots: a grid of three or four across)
PARTS = {"rows": "page", **{name: f"{name}_page" for name in SIDE_TABLES}}     # each list's page parameter
ANCHORS = {"rows": "rows", **{name: f"table-{name}" for name in SIDE_TABLES}}


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
        cards = [stored.side_card(name, item) for item in items]
        if name == "visitors" and not local:    # a visitor reaches only their own phone's details (/you)
            mine = visitor_subject()
            for card in cards:
                if card["row"].get("subject") != mine:
                    card["details"] = None
        side[name] = {"count": count, "items": cards, "open": paged or (subject is not None and count > 0)}  # asked

    blur = kit.privacy.blur("kiosk" if local else "public")     # for pictures stored clear
    files_of = {o.id: o.value["file"] for o in rows if o.kind == "snapshot" and isinstance(o.value, dict)
                and isinstance(o.value.get("file"), str)}
    listed = store.snapshots_of_files(files_of.values())
    cards = [{"o": o, "says": stored.says(o), "fields": stored.fields(o.value),
              "picture": stored.picture(store.data_dir, listed.get(files_of[o.id]), blur) if o.id in files_of else None}
             for o in rows]
    for card in side["snapshots"]["items"]:
        card["picture"] = stored.picture(store.data_dir, card["row"], blur)

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
        kept_for={name: stored.shown(hours) for name, hours in kit.retention.hours.items()}, disk=kit.retention.disk,
        storage=storage, last_forget=kit.forgetting.last)
