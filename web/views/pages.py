"""The pages: the live dashboard (/) and everything stored (/data)."""

from __future__ import annotations

import math
import os
import time
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


def _when(name: str) -> float | None:
    """A time filter from the form: empty, a Unix time, or a local date-time (2026-11-26T14:30)."""
    text = request.args.get(name, "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        try:
            value = datetime.fromisoformat(text).timestamp()
        except ValueError:
            abort(400, f"{name} must be a date and time like 2026-11-26T14:30, not {text[:40]!r}")
    if not math.isfinite(value):
        abort(400, f"{name} must be a finite time")
    return value


def _page() -> int:
    text = request.args.get("page", "1")
    if not text.isdigit() or not 1 <= int(text) <= 1_000_000:
        abort(400, "page must be a whole number from 1")
    return int(text)


def _files(data_dir: Path) -> list[dict]:
    """Every file under the data directory (the database included), for the page to show."""
    out = []
    for root, _, names in os.walk(data_dir):
        for name in sorted(names):
            path = Path(root) / name
            stat = path.stat()
            out.append({"name": str(path.relative_to(data_dir)), "bytes": stat.st_size, "mtime": stat.st_mtime})
    return sorted(out, key=lambda f: f["name"])


@bp.get("/data")
def data():
    kit = current_app.extensions["kit"]
    store = kit.store
    kind = request.args.get("kind") or None
    if kind is not None and kind not in KINDS:
        abort(400, f"unknown kind {kind[:40]!r}; known kinds: {', '.join(KINDS)}")
    subject = (request.args.get("subject") or "").strip()[:80] or None
    since, until = _when("since"), _when("until")
    table = request.args.get("table") or None
    if table is not None and table not in SIDE_TABLES:
        abort(400, f"unknown table {table[:40]!r}; the side tables are {', '.join(SIDE_TABLES)}")
    page = _page()

    inventory = {row["kind"]: row for row in store.inventory()}
    total = store.count(kind=kind, subject=subject, since=since, until=until)
    rows = store.query(kind=kind, subject=subject, since=since, until=until, limit=PER_PAGE,
                       offset=(page - 1) * PER_PAGE, newest_first=True)
    if not is_local():      # a kind that is not public stays on the kit's own screen
        rows = [o for o in rows if kit.privacy.public(o.kind)]
    side = {name: store.side_rows(name, limit=PER_PAGE, offset=(page - 1) * PER_PAGE if name == table else 0)
            for name in SIDE_TABLES}
    files = _files(store.data_dir)
    return render_template(
        "data.html", inventory=inventory, kinds_shown=list(KINDS) + sorted(set(inventory) - set(KINDS)),
        rows=rows, total=total, page=page, pages=max(1, math.ceil(total / PER_PAGE)), per_page=PER_PAGE,
        filters={"kind": kind or "", "subject": subject or "", "since": request.args.get("since", ""),
                 "until": request.args.get("until", "")},
        side=side, table=table, columns=store.tables(), files=files, db_bytes=store.size_bytes(),
        files_bytes=sum(f["bytes"] for f in files), retention=kit.retention.hours, disk=kit.retention.disk,
        last_forget=kit.forgetting.last, now=time.time())
