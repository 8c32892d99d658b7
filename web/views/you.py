"""What the kit knows about the phone in your hand (/you), and "forget me"."""

from __future__ import annotations

import json
import time

from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for

from web.security import visitor_subject

bp = Blueprint("you", __name__)


def record_visit() -> int:
    """Store what this request reveals about the phone; returns how many visits it has made."""
    details = {"ip": request.remote_addr, "user_agent": request.headers.get("User-Agent", "")[:300],
               "languages": request.headers.get("Accept-Language", "")[:100], "page": request.path}
    return current_app.extensions["kit"].store.record_visit(visitor_subject(), time.time(), details)


@bp.get("/you")
def you():
    kit = current_app.extensions["kit"]
    visits = record_visit()
    subject = visitor_subject()
    _, rows = kit.store.side_rows("visitors", limit=1000)
    mine = next((r for r in rows if r["subject"] == subject), None)
    details = json.loads(mine["details"]) if mine else {}
    observations = kit.store.query(subject=subject, limit=200, newest_first=True)
    return render_template("you.html", subject=subject, visits=visits, visitor=mine, details=details,
                           observations=observations, forgotten=session.pop("forgotten", None))


@bp.post("/you/forget")
def forget():
    kit = current_app.extensions["kit"]
    counts = kit.forget_me(visitor_subject())
    session["forgotten"] = {"counts": counts, "total": sum(counts.values()), "at": time.time()}
    g.forgotten = True          # and the cookie that linked this phone to its data goes too
    return redirect(url_for("you.you"), code=303)
