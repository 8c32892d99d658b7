"""What the kit knows about the phone in your hand (/you), the guess at which person you are, and
"forget me".

A GET only reads: it shows what the request revealed without storing it. A visit is stored when the page's
script reports the browser's details (POST /you/reveal); that is also when a new phone gets its token (at a
bounded rate per address) and when the kit makes its guess at who holds the phone. The reply carries the
page's parts that changed, so the page is rendered once.

After "forget me" the phone holds a cookie that says only that (web/visitor.py), its browser's session what was
erased; the kit records nothing about that phone (no visitor row, no token, no guess), however often the page is
opened, until the visitor asks for a new record (POST /you/again).
"""

from __future__ import annotations

import logging
import math
import sqlite3
import time
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    get_template_attribute,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.exceptions import ServiceUnavailable

from device.errors import StoreError
from device.observations import KINDS
from device.services.visitors import TRACK, NotOffered
from web.useragent import parse
from web.visitor import forgotten, new_visitor, visitor_subject

logger = logging.getLogger(__name__)

bp = Blueprint("you", __name__)

# What the page's script may report, each as a short string: what a browser tells any site that asks.
REVEALED = ("time_zone", "screen", "pixel_ratio", "touch_points", "cpu_cores", "memory_gb", "battery",
            "charging", "local_time")
# How a visit's stored details are listed: what the phone is first, its full user agent last.
KEPT_ORDER = ("device", "os", "browser", "ip", "languages", *REVEALED, "user_agent")
# What "forget me" erased, in the order the page names it; other kinds follow, the signatures in memory last.
ERASED_ORDER = ("visitors", "correlation", "tracks", "snapshots")
SHOWN = 200                     # the newest rows about a visitor that the page lists
PARTS = {"you-who": "who", "you-guess": "guess", "you-stored": "stored"}     # element id -> macro in _you.html
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


def _refuse(status: int, name: str, reason: str, **headers: str) -> Response:
    """A refusal the page's script reads (JSON, as /api/ errors are)."""
    response = jsonify(error=name, status=status, reason=reason)
    response.status_code = status
    response.headers.update(headers)
    return response


def _view(kit: Any, subject: str | None) -> dict[str, Any]:
    """Everything /you shows about the phone making this request, read from the store (nothing written)."""
    row, kept = kit.visitors.row(subject) if subject else (None, {})
    erased = None
    if row is None and _forgotten():        # what was erased, if this browser session saw it; else only that
        erased = session.get("forgotten") or {"counts": [], "total": None, "command": None}
    guess, answered = kit.visitors.guess_for(subject, time.time(), make=False) if row else (None, {})
    observations = kit.store.query(subject=subject, limit=SHOWN, newest_first=True) if subject else []
    linked = sorted(kit.visitors.linked(subject), key=lambda t: int(t.split(":")[1])) if observations else []
    return {
        "subject": subject if row else None, "row": row,
        "visits": row["visits"] if row else 0, "first_seen": row["first_seen"] if row else None,
        "kept": {key: kept[key] for key in (*KEPT_ORDER, *sorted(set(kept) - set(KEPT_ORDER))) if key in kept},
        "details": {**{k: v for k, v in kept.items() if k in REVEALED}, **_this_request()},
        "guess": guess, "answered": answered, "picture": _picture(kit.store, guess),
        "observations": observations, "kinds": KINDS,
        "linked": [{"id": int(t.split(":")[1]), "rows": kit.store.count(subject=t)} for t in linked],
        "forgotten": erased, "report": erased is None,
    }


def _forgotten() -> bool:
    """Whether this phone's visitor asked to be forgotten and has not carried on since."""
    return forgotten() or bool(session.get("forgotten"))


def _picture(store: Any, guess: dict[str, Any] | None) -> dict[str, Any] | None:
    """The newest snapshot kept of the guessed person ({"id", "src"}), or None: no picture was kept."""
    if not guess:
        return None
    _, rows = store.side_rows("snapshots", subject=guess["track"], limit=1)     # the newest
    if not rows:
        return None
    return {"id": rows[0]["id"], "src": url_for("snapshots.picture", id=rows[0]["id"])}


def _parts(view: dict[str, Any]) -> dict[str, str]:
    """The page's parts that storing a visit changes, as HTML (the same macros the page uses)."""
    return {element: str(get_template_attribute("_you.html", macro)(view)) for element, macro in PARTS.items()}


@bp.after_request
def _not_kept(response):
    """What the kit knows about a visitor is never kept by the browser: after "forget me", Back shows nothing."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/you")
def you():
    """The page; after the visitor's answer (one redirect) its script does not report again: an answer is no visit."""
    kit = current_app.extensions["kit"]
    view = _view(kit, visitor_subject())
    if session.pop("answered", None):
        view["report"] = False
    return render_template("you.html", view=view)


@bp.get("/you/guess")
def guess():
    """The guess's part of the page, read only: the page asks again while the guessed person has no picture
    yet (the camera keeps one a little after it first sees a face). picture: {"id", "src"} or null."""
    kit = current_app.extensions["kit"]
    subject = visitor_subject()
    row = kit.visitors.row(subject)[0] if subject else None
    made, answered = kit.visitors.guess_for(subject, time.time(), make=False) if row else (None, {})
    view = {"subject": subject if row else None, "guess": made, "answered": answered,
            "picture": _picture(kit.store, made), "forgotten": None if row else _forgotten() or None}
    part = str(get_template_attribute("_you.html", "guess")(view))
    return jsonify(picture=view["picture"], parts={"you-guess": part})


@bp.post("/you/reveal")
def reveal():
    """The page's script reports what the browser exposes; it is stored with the visit, like analytics do.
    A phone without a visit gets its token here, if its address has not made too many new visitors and its
    visitor has not just asked to be forgotten. The reply has the page's parts that changed."""
    kit = current_app.extensions["kit"]
    subject = visitor_subject()
    row, previous = kit.visitors.row(subject) if subject else (None, {})
    if row is None:
        if _forgotten():
            return _refuse(409, "Conflict", "you asked this kit to forget you: it records nothing about this phone "
                                            "until you press 'Start a new record' (POST /you/again)")
        wait = current_app.extensions["new_visitors"].admit(request.remote_addr or "")
        if wait:
            return _refuse(429, "Too Many Requests", "too many new visitors from this network address in the last "
                                                     "minute: nothing about this phone was stored; try again later",
                           **{"Retry-After": str(math.ceil(wait))})
        subject = subject or new_visitor()
    details = {**{k: v for k, v in previous.items() if k in REVEALED}, **_this_request()}
    for key in REVEALED:
        value = request.form.get(key)
        if value is not None:
            details[key] = value.strip()[:100]
    now = time.time()
    try:
        visits = kit.visitors.record(subject, now, details)
        guess, _ = kit.visitors.guess_for(subject, now)     # made only now that the phone has a row
        view = _view(kit, subject)
    except STORE_FAILURES as exc:
        if row is None:
            g.new_token = False                     # no row, no cookie: the phone stays unknown
        raise _cannot_store(exc) from exc
    return jsonify(stored={k: details[k] for k in REVEALED if k in details}, subject=subject, visits=visits,
                   created=row is None, guess=guess, picture=view["picture"], parts=_parts(view))


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
    session["answered"] = True      # the page shown next is the same visit
    return redirect(url_for("you.you") + "#guess", code=303)


@bp.post("/you/forget")
def forget():
    """Erase this phone's record and what is linked to it; the session remembers what went (shown by /you) and
    that nothing is to be recorded about this phone until the visitor asks for a new record."""
    kit = current_app.extensions["kit"]
    subject = visitor_subject()
    try:
        counts = kit.forgetting.me(subject) if subject else {}
    except STORE_FAILURES as exc:
        raise _cannot_store(exc) from exc
    order = [key for key in ERASED_ORDER if counts.get(key)] + \
        sorted(key for key, n in counts.items() if n and key not in ERASED_ORDER and key != "signatures in memory")
    if counts.get("signatures in memory"):
        order.append("signatures in memory")
    session["forgotten"] = {"counts": [[key, int(counts[key])] for key in order],
                            "total": sum(int(n) for n in counts.values()), "at": time.time(),
                            "command": getattr(counts, "command", None)}     # sent to the exhibition's kits
    g.forgotten = True          # the cookie that linked this phone to its data goes; one naming nobody says so
    return redirect(url_for("you.you") + "#erased", code=303)


@bp.post("/you/again")
def again():
    """The visitor chooses to be recorded again: /you then stores a new visit, with a new cookie."""
    session.pop("forgotten", None)
    g.carried_on = True
    return redirect(url_for("you.you"), code=303)
