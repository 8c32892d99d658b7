"""The exhibition of kits: /exhibition (phone-first: the rooms, who is in each now, each person's route) and its
JSON, /api/exhibition; the progress of a forget command, /api/exhibition/forget/<id>; and, for an admin, forget
everything on every kit (POST /exhibition/forget-all)."""

from __future__ import annotations

import re
import time

from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, session, url_for

from web.security import is_admin, require_admin

bp = Blueprint("exhibition", __name__)


@bp.app_context_processor
def _link() -> dict:
    """Whether this kit shares sightings with an exhibition's other kits (the footer must not say otherwise)."""
    return {"exhibition_link": current_app.extensions["kit"].exhibition.enabled}


COMMAND_ID = re.compile(r"[0-9a-f]{16}")


def _exhibition():
    return current_app.extensions["kit"].exhibition


@bp.get("/exhibition")
def page():
    view = _exhibition().view()
    clock = {}
    for person in view["people"]:
        for seen in person["seen"]:
            clock[seen["ts"]] = time.strftime("%H:%M", time.localtime(seen["ts"]))
    return render_template("exhibition.html", view=view, clock=clock, admin=is_admin(),
                           sent=session.pop("exhibition_sent", None))


@bp.get("/api/exhibition")
def api():
    """kits: name, online, people now; people: id, seen (list of {kit, ts}), confidence; link: this kit's."""
    return jsonify(_exhibition().view())


@bp.get("/api/exhibition/forget/<command>")
def forget_progress(command: str):
    """How far a forget command sent from this kit has got: erased_on of `of` kits, and which are waited for."""
    if not COMMAND_ID.fullmatch(command):
        abort(400, "a command id is 16 lower-case hexadecimal characters")
    progress = _exhibition().progress(command)
    if progress is None:
        abort(404, "this kit sent no forget command with that id")
    return jsonify(progress)


@bp.post("/exhibition/forget-all")
def forget_all():
    """Forget everything on this kit and send the same to every kit of the exhibition (admins only)."""
    require_admin()
    result = _exhibition().forget_everything_everywhere()
    session["exhibition_sent"] = result.get("command")
    return redirect(url_for("exhibition.page"), code=303)
