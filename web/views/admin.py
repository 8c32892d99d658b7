"""The admin page: log in with the PIN; forget everything, privacy settings, exports."""

from __future__ import annotations

import time

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, session, url_for

from device.store.export import lines
from web.clients import is_local
from web.security import (
    TooManyGuesses,
    admin_until,
    become_admin,
    end_admin,
    require_admin,
    retry_after,
)

bp = Blueprint("admin", __name__, url_prefix="/admin")

MAX_PIN = 12        # digits the form takes (the PIN made by the kit has 6)


def _page(*, status: int = 200, message: str | None = None, wait: tuple[float, str] | None = None) -> Response:
    """The admin page; *wait*: (seconds, "address" | "kit") until a PIN may be tried again."""
    kit = current_app.extensions["kit"]
    if wait is None:
        wait = (0.0, "") if is_local() else current_app.extensions["pin_guard"].wait(request.remote_addr or "")
    wait_s, wait_reason = wait
    until = admin_until()
    html = render_template("admin.html", admin=until is not None, admin_until=until,
                           settings=kit.privacy.settings, last_forget=kit.forgetting.last,
                           wait_s=wait_s, wait_reason=wait_reason, wait_until=time.time() + wait_s,
                           message=message if message is not None else session.pop("message", None))
    response = Response(html, status=status, mimetype="text/html")
    if wait_s > 0 and status == 429:
        response.headers["Retry-After"] = retry_after(wait_s)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("")
def page():
    return _page()


@bp.post("/login")
def login():
    kit = current_app.extensions["kit"]
    pin = request.form.get("pin", "").strip()
    if not pin or not pin.isascii() or not pin.isdigit() or len(pin) > MAX_PIN:
        return _page(status=400, message="A PIN is digits only: type the 6 digits of the admin PIN.")
    if kit.admin.generation() is None:
        abort(503, "this kit has no readable admin PIN (its admin.json is missing or damaged): "
                   "on the device, `awareness-kit admin reset-pin` makes a new one")
    guard, ticket = current_app.extensions["pin_guard"], None
    if not is_local():          # the device's own screen is never locked out
        try:
            ticket = guard.reserve(request.remote_addr or "")
        except TooManyGuesses as refused:
            return _page(status=429, wait=(refused.wait_s, refused.reason))
    right = None
    try:
        right = kit.admin.verify(pin)
    finally:
        if ticket is not None:
            guard.settle(ticket, right)
    if right:
        become_admin()
        session["message"] = "Logged in for 15 minutes."
    else:
        session["message"] = "That PIN is not right."
    return redirect(url_for("admin.page"), code=303)


@bp.post("/logout")
def logout():
    end_admin()
    session["message"] = "Logged out."
    return redirect(url_for("admin.page"), code=303)


@bp.post("/forget")
def forget():
    require_admin()
    result = current_app.extensions["kit"].forgetting.everything()
    session["message"] = "Everything stored was erased." if result["total"] else "There was nothing to erase."
    return redirect(url_for("admin.page"), code=303)


@bp.post("/settings")
def settings():
    require_admin()
    privacy = current_app.extensions["kit"].privacy
    privacy.update(**{key: request.form.get(key) == "on" for key in privacy.settings})
    session["message"] = "Settings changed (until the kit restarts; the config file keeps the defaults)."
    return redirect(url_for("admin.page"), code=303)


@bp.get("/export.<fmt>")
def export(fmt: str):
    require_admin()
    if fmt not in ("jsonl", "csv"):
        abort(404, "exports are export.jsonl or export.csv")
    store = current_app.extensions["kit"].store
    name = f"awareness-kit-{time.strftime('%Y%m%d-%H%M%S')}.{fmt}"
    mimetype = "application/x-ndjson" if fmt == "jsonl" else "text/csv"
    return Response(lines(store, fmt=fmt), mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
