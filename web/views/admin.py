"""The admin page: log in with the PIN; forget everything, privacy settings, exports."""

from __future__ import annotations

import time

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, session, url_for

from device.store.export import lines
from web.security import become_admin, is_admin, require_admin

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("")
def page():
    kit = current_app.extensions["kit"]
    failures = current_app.extensions["pin_failures"]
    return render_template("admin.html", admin=is_admin(), settings=kit.privacy.settings,
                           last_forget=kit.forgetting.last,
                           wait_s=failures.wait_s(request.remote_addr or ""), message=session.pop("message", None),
                           admin_until=session.get("admin_until"))


@bp.post("/login")
def login():
    kit = current_app.extensions["kit"]
    failures = current_app.extensions["pin_failures"]
    address = request.remote_addr or ""
    wait = failures.wait_s(address)
    if wait > 0:
        abort(429, f"too many wrong PINs from this device: try again in {wait:.0f} s")
    if kit.admin.verify(request.form.get("pin", "").strip()[:12]):
        failures.succeeded(address)
        become_admin()
        session["message"] = "Logged in for 15 minutes."
    else:
        failures.failed(address)
        session["message"] = "That PIN is not right."
    return redirect(url_for("admin.page"), code=303)


@bp.post("/logout")
def logout():
    session.pop("admin_until", None)
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
