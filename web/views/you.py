"""What the kit knows about the phone in your hand (/you), the guess at which person you are, and
"forget me".

A GET only reads: it shows what the request revealed without storing it. A visit is stored when the page's
script reports the browser's details (POST /you/reveal); that is also when a new phone gets its token (at a
bounded rate per address) and when the kit makes its guess at who holds the phone.
"""

from __future__ import annotations

import logging
import math
import sqlite3
import time
from typing import Any

from flask import Blueprint, abort, current_app, g, jsonify, redirect, render_template, request, session, url_for
from werkzeug.exceptions import ServiceUnavailable

from device.errors import StoreError
from device.services.visitors import TRACK, NotOffered
from web.useragent import parse
from web.visitor import new_visitor, visitor_subject

logger = logging.getLogger(__name__)

bp = Blueprint("you", __name__)

# What the page's script may report, each as a short string: what a browser tells any site that asks.
REVEALED = ("time_zone", "screen", "pixel_ratio", "touch_points", "cpu_cores", "memory_gb", "battery",
            "charging", "local_time")
STORE_FAILURES = (sqlite3.Error, StoreError, TimeoutError, OSError)


def _this_request() -> dict[str, Any]:
    """What any request reveals: the address, the user agent (and what it says), the languages."""
    agent = request.headers.get("User-Agent", "")[:300]
    return {"ip": request.remote_addr, "user_agent": agent, **parse(agent),
            "languages": request.headers.get("Accept-Language", "")[:100]}


def _cannot_store(exc: Exception) -> ServiceUnavailable:
    logger.warning("/you: the store refused a visitor's request: %s", exc)
    return ServiceUnavailable(f"the kit cannot store or erase anything just now ({type(exc).__name__}); nothing "
                              "about you was changed: try again in a minute", retry_after=60)


@bp.get("/you")
def you():
    kit = current_app.extensions["kit"]
    subject = visitor_subject()
    row, stored = kit.visitors.row(subject) if subject else (None, {})
    details = {**{k: v for k, v in stored.items() if k in REVEALED}, **_this_request()}
    guess, answered = kit.visitors.guess_for(subject, time.time(), make=False) if row else (None, {})
    observations = kit.store.query(subject=subject, limit=200, newest_first=True) if subject else []
    forgotten = session.pop("forgotten", None)
    return render_template("you.html", subject=subject if row else None, visits=row["visits"] if row else 0,
                           first_seen=row["first_seen"] if row else None, details=details,
                           observations=observations, guess=guess, answered=answered, forgotten=forgotten,
                           report=forgotten is None)


@bp.post("/you/reveal")
def reveal():
    """The page's script reports what the browser exposes; it is stored with the visit, like analytics do.
    A phone without a visit gets its token here, if its address has not made too many new visitors."""
    kit = current_app.extensions["kit"]
    subject = visitor_subject()
    row, previous = kit.visitors.row(subject) if subject else (None, {})
    if row is None:
        wait = current_app.extensions["new_visitors"].admit(request.remote_addr or "")
        if wait:
            response = jsonify(error="Too Many Requests", status=429,
                               reason="too many new visitors from this network address in the last minute: "
                                      "nothing about this phone was stored; try again later")
            response.status_code = 429
            response.headers["Retry-After"] = str(math.ceil(wait))
            return response
        subject = subject or new_visitor()
    details = {**{k: v for k, v in previous.items() if k in REVEALED}, **_this_request()}
    for key in REVEALED:
        value = request.form.get(key)
        if value is not None:
            details[key] = value.strip()[:100]
    now = time.time()
    try:
        visits = kit.visitors.record(subject, now, details)
        kit.visitors.guess_for(subject, now)        # made only now that the phone has a row
    except STORE_FAILURES as exc:
        if row is None:
            g.new_token = False                     # no row, no cookie: the phone stays unknown
        raise _cannot_store(exc) from exc
    return jsonify(stored={k: details[k] for k in REVEALED if k in details}, subject=subject, visits=visits,
                   created=row is None)


@bp.post("/you/answer")
def answer():
    track = request.form.get("track", "")
    said = request.form.get("answer", "")
    if not TRACK.fullmatch(track):
        abort(400, "track must look like track:7 (at most 9 digits)")
    if said not in ("yes", "no"):
        abort(400, "answer must be yes or no")
    subject = visitor_subject()
    if subject is None:
        abort(403, "this phone has no visit stored, so the kit offered it no guess to answer: open /you first")
    try:
        current_app.extensions["kit"].visitors.answer(subject, track, said == "yes")
    except NotOffered as exc:
        abort(403, str(exc))
    except STORE_FAILURES as exc:
        raise _cannot_store(exc) from exc
    return redirect(url_for("you.you") + "#guess", code=303)


@bp.post("/you/forget")
def forget():
    kit = current_app.extensions["kit"]
    subject = visitor_subject()
    try:
        counts = kit.forgetting.me(subject) if subject else {}
    except STORE_FAILURES as exc:
        raise _cannot_store(exc) from exc
    session["forgotten"] = {"counts": dict(counts), "total": sum(counts.values()), "at": time.time(),
                            "command": getattr(counts, "command", None)}     # sent to the exhibition's kits
    g.forgotten = True          # and the cookie that linked this phone to its data goes too
    return redirect(url_for("you.you"), code=303)
