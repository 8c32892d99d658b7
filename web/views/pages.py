"""The pages: the live dashboard (/) and everything stored (/data)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request

from device.observations import KINDS

bp = Blueprint("pages", __name__)


@bp.get("/")
def live():
    return render_template("index.html", status=current_app.extensions["kit"].status())


@bp.get("/data")
def data():
    kit = current_app.extensions["kit"]
    kind = request.args.get("kind") or None
    if kind is not None and kind not in KINDS:
        abort(400, f"unknown kind {kind!r}; known kinds: {', '.join(KINDS)}")
    inventory = {row["kind"]: row for row in kit.store.inventory()}
    shown = [kind] if kind else list(KINDS) + sorted(set(inventory) - set(KINDS))
    rows = {name: list(reversed(kit.store.query(kind=name, limit=20))) for name in shown if name in inventory}
    return render_template("data.html", inventory=inventory, shown=shown, rows=rows, selected=kind,
                           db_bytes=kit.store.size_bytes(), db_path=kit.store.path)
