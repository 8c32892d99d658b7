"""The pages: the live dashboard (/) and everything stored (/data). Bad input gets a 400 with the reason."""

from __future__ import annotations

import math
import os
import re
import time
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from flask import Blueprint, abort, current_app, render_template, request

from device.observations import KINDS
from device.store import SIDE_TABLES
from web.clients import is_local

bp = Blueprint("pages", __name__)
PER_PAGE = 50


@bp.get("/")
def live():
    return render_template("index.html", status=current_app.extensions["live"].status())


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


@bp.get("/data")
def data():
    """Everything stored. Every parameter is checked (400 with the reason); page is the observations' page,
    or the side table's when table= names one; a page past the end shows the last."""
    kit = current_app.extensions["kit"]
    store = kit.store
    kind = _chosen("kind", KINDS, "known kinds")
    subject = _text("subject", longest=80)
    since, until = _when("since"), _when("until")
    table = _chosen("table", SIDE_TABLES, "the side tables are")
    asked = _page()

    inventory = {row["kind"]: row for row in store.inventory()}
    total = store.count(kind=kind, subject=subject, since=since, until=until)
    pages = max(1, math.ceil(total / PER_PAGE))
    page = min(asked, pages) if table is None else 1
    rows = store.query(kind=kind, subject=subject, since=since, until=until, limit=PER_PAGE,
                       offset=(page - 1) * PER_PAGE, newest_first=True)
    if not is_local():      # a kind that is not public stays on the kit's own screen
        rows = [shown for o in rows if (shown := kit.privacy.for_phones(o)) is not None]
    counts = store.side_counts()
    side_pages = {name: max(1, math.ceil(n / PER_PAGE)) for name, n in counts.items()}
    side_page = {name: min(asked, side_pages[name]) if name == table else 1 for name in SIDE_TABLES}
    side = {name: store.side_rows(name, limit=PER_PAGE, offset=(side_page[name] - 1) * PER_PAGE)
            for name in SIDE_TABLES}
    files = _files(store.data_dir)
    storage = store.status()
    return render_template(
        "data.html", inventory=inventory, kinds_shown=list(KINDS) + sorted(set(inventory) - set(KINDS)),
        rows=rows, total=total, page=page, pages=pages, per_page=PER_PAGE, asked=asked,
        filters={"kind": kind or "", "subject": subject or "", "since": request.args.get("since", "").strip(),
                 "until": request.args.get("until", "").strip()},
        side=side, side_page=side_page, side_pages=side_pages, table=table, columns=store.tables(), files=files,
        db_bytes=storage["bytes"], files_bytes=sum(f["bytes"] for f in files), retention=kit.retention.hours,
        disk=kit.retention.disk, storage=storage, last_forget=kit.forgetting.last, now=time.time())
