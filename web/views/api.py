"""JSON: /api/status, /api/observations and /api/kinds. A bad query gets a 400 that says why."""

from __future__ import annotations

import math

from flask import Blueprint, abort, current_app, jsonify, request

from device.observations import KINDS
from device.services.privacy import MASKS
from web.clients import is_local

bp = Blueprint("api", __name__, url_prefix="/api")

MAX_LIMIT = 1000


@bp.get("/status")
def status():
    live = current_app.extensions["live"]
    out = live.status()
    out["viewers"] = {name: {"active": slots.active, "limit": slots.limit, "refused": slots.refused,
                             "waiting": len(slots.waiting)}
                      for name, slots in current_app.extensions["viewers"].items()}
    # Real time over completeness: frames a slow phone was not sent, so that it gets fresh ones instead.
    frames = live.frames
    out["viewers"]["camera"] |= {"frames_held_back": frames.held_back, "stalled_let_go": frames.let_go}
    return jsonify(out)


@bp.get("/kinds")
def kinds():
    return jsonify({name: kind.to_dict() for name, kind in KINDS.items()})


@bp.get("/observations")
def observations():
    """?kind=NAME&since=UNIX_TS&limit=N: oldest first after since, else the newest N (default 100)."""
    kind = request.args.get("kind") or None
    if kind is not None and kind not in KINDS:
        abort(400, f"unknown kind {kind[:40]!r}; known kinds: {', '.join(KINDS)}")
    since = _number("since", float, None)
    if since is not None and not math.isfinite(since):
        abort(400, "since must be a finite number of seconds since 1970")
    limit = _number("limit", int, 100)
    if not 1 <= limit <= MAX_LIMIT:
        abort(400, f"limit must be from 1 to {MAX_LIMIT}")
    kit = current_app.extensions["kit"]
    privacy = kit.privacy
    if kind is not None and not is_local() and not privacy.public(kind) and kind not in MASKS:
        abort(403, f"{kind} is shown on the kit's own screen only, not sent to phones")
    found = kit.store.query(kind=kind, since=since, limit=limit)
    shown = found if is_local() else [s for o in found if (s := privacy.for_phones(o)) is not None]
    return jsonify(observations=[o.to_dict() for o in shown], count=len(shown),
                   next_since=found[-1].ts if found else since)


def _number(name: str, kind: type, default):
    text = request.args.get(name)
    if text is None or text == "":
        return default
    try:
        return kind(text)
    except ValueError:
        abort(400, f"{name} must be {'an integer' if kind is int else 'a number'}, not {text[:40]!r}")
