"""What the kit knows about the phone in your hand (/you), the guess at which person you are, and
"forget me"."""

from __future__ import annotations

import re
import time

from flask import Blueprint, abort, current_app, g, jsonify, redirect, render_template, request, session, url_for

from web.useragent import parse
from web.visitor import visitor_subject

bp = Blueprint("you", __name__)

# What the page's script may report, each as a short string: what a browser tells any site that asks.
REVEALED = ("time_zone", "screen", "pixel_ratio", "touch_points", "cpu_cores", "memory_gb", "battery",
            "charging", "local_time")


@bp.get("/you")
def you():
    kit = current_app.extensions["kit"]
    subject = visitor_subject()
    before, previous = kit.visitors.row(subject)
    agent = request.headers.get("User-Agent", "")[:300]
    details = {**{k: v for k, v in previous.items() if k in REVEALED}, "ip": request.remote_addr,
               "user_agent": agent, **parse(agent), "languages": request.headers.get("Accept-Language", "")[:100]}
    now = time.time()
    visits = kit.visitors.record(subject, now, details)     # stored as shown: no need to read it back
    guess, answered = kit.visitors.guess_for(subject, now)
    observations = kit.store.query(subject=subject, limit=200, newest_first=True)
    return render_template("you.html", subject=subject, visits=visits,
                           first_seen=before["first_seen"] if before else now, details=details,
                           observations=observations, guess=guess, answered=answered,
                           forgotten=session.pop("forgotten", None))


@bp.post("/you/reveal")
def reveal():
    """The page's script reports what the browser exposes; it is stored with the visit, like analytics do."""
    kit = current_app.extensions["kit"]
    subject = visitor_subject()
    mine, details = kit.visitors.row(subject)
    if mine is None:
        abort(409, "open /you first: there is no visit to add this to")
    for key in REVEALED:
        value = request.form.get(key)
        if value is not None:
            details[key] = value.strip()[:100]
    kit.visitors.record(subject, time.time(), details)
    return jsonify(stored={k: details[k] for k in REVEALED if k in details})


@bp.post("/you/answer")
def answer():
    track = request.form.get("track", "")
    if not re.fullmatch(r"track:[0-9]{1,9}", track):
        abort(400, "track must look like track:7")
    current_app.extensions["kit"].visitors.answer(visitor_subject(), track, request.form.get("answer") == "yes")
    return redirect(url_for("you.you") + "#guess", code=303)


@bp.post("/you/forget")
def forget():
    kit = current_app.extensions["kit"]
    counts = kit.forgetting.me(visitor_subject())
    session["forgotten"] = {"counts": counts, "total": sum(counts.values()), "at": time.time()}
    g.forgotten = True          # and the cookie that linked this phone to its data goes too
    return redirect(url_for("you.you"), code=303)
