"""The admin page: log in with the PIN; the next class, forget everything, privacy settings, exports.

Forgetting everything asks first, without any script: POST /admin/forget shows what would go, with counts,
and a second button that sends confirm=yes. "Next class" does it in one tap, since its button says exactly
that it erases everything, and a teacher uses it between two classes with the next one waiting; it also puts
the kiosk on its summary for the class's first minutes (CLASS_SUMMARY_S) and the lesson back to its first step.

Messages for the page after a redirect are English texts (with their values) kept in the session, and
translated when shown: each is marked N_() where it is written, so the catalog's check finds it.
"""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, session, url_for

from device.notice.kinds import N_
from device.services.screen import VIEWS
from device.store.export import lines
from web.clients import is_local
from web.i18n import current
from web.security import (
    FIRST_WAIT_S,
    KIT_BURST,
    MAX_FAILURES,
    MAX_WAIT_S,
    TooManyGuesses,
    admin_latest,
    admin_until,
    become_admin,
    end_admin,
    require_admin,
    retry_after,
)

bp = Blueprint("admin", __name__, url_prefix="/admin")

MAX_PIN = 12        # digits the form takes (the PIN made by the kit has 6)
LIMITS = {"failures": MAX_FAILURES, "first_min": round(FIRST_WAIT_S / 60), "most_min": round(MAX_WAIT_S / 60),
          "burst": KIT_BURST}         # what the lockout's explanation says (the kit's pace, one a minute, in words)
# Next class shows the kiosk's summary this long, then the live camera again by itself: long enough to open the
# class on the figures (what the room has stored so far), short enough that the camera, which the lesson is about,
# is back before the class moves on; the device's button (or /kiosk?view=summary) keeps the summary for longer.
CLASS_SUMMARY_S = 300.0


def _tell(text: str, **values: Any) -> None:
    """A message for the page after the redirect: English *text* with %(name)s *values*, translated when shown."""
    session["message"] = [text, values]


def _page(*, status: int = 200, message: str | None = None, wait: tuple[float, str] | None = None,
          confirm: dict[str, Any] | None = None) -> Response:
    """The admin page; *wait*: (seconds, "address" | "kit") until a PIN may be tried again; *confirm*: what
    forgetting everything would erase, to ask before."""
    kit = current_app.extensions["kit"]
    if wait is None:
        wait = (0.0, "") if is_local() else current_app.extensions["pin_guard"].wait(request.remote_addr or "")
    wait_s, wait_reason = wait
    until = admin_until(extend=True)        # the admin page seen: an action, it extends the session
    shown = message if message is not None else session.pop("message", None)
    tries_left = session.pop("tries_left", None)
    if isinstance(shown, str):
        shown = [shown, {}]
    html = render_template("admin.html", admin=until is not None, admin_until=_clock(until),
                           admin_latest=_clock(admin_latest()), tries_left=tries_left if wait_s <= 0 else None,
                           settings=kit.privacy.settings, last_forget=kit.forgetting.last,
                           wait_s=wait_s, wait_reason=wait_reason, wait_until=time.time() + wait_s, limits=LIMITS,
                           confirm=confirm, renumbers=kit.forgetting.numbers, kiosk_view=kit.screen.view,
                           message=shown if isinstance(shown, list) and len(shown) == 2 else None)
    response = Response(html, status=status, mimetype="text/html")
    if wait_s > 0 and status == 429:
        response.headers["Retry-After"] = retry_after(wait_s)
    response.headers["Cache-Control"] = "no-store"
    return response


def _clock(at: float | None) -> str | None:
    """A time of today for the page, as its language writes it: 15:52."""
    return current().timestamp(at, "HH:mm") if at is not None else None


@bp.get("")
def page():
    return _page()


@bp.post("/login")
def login():
    kit = current_app.extensions["kit"]
    pin = request.form.get("pin", "").strip()
    if not pin or not pin.isascii() or not pin.isdigit() or len(pin) > MAX_PIN:
        return _page(status=400, message=N_("A PIN is digits only: type the 6 digits of the admin PIN."))
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
        become_admin()      # the page says until when, once
    else:
        _tell(N_("That PIN is not right."))
        if ticket is not None:      # a phone: how many more it may try before it must wait (the device: any)
            session["tries_left"] = guard.left(request.remote_addr or "")
    return redirect(url_for("admin.page"), code=303)


@bp.post("/logout")
def logout():
    end_admin()
    _tell(N_("Logged out."))
    return redirect(url_for("admin.page"), code=303)


def _erasable(kit: Any) -> dict[str, int]:
    """What forgetting everything would erase now, counted for the page that asks first."""
    store = kit.store
    side = store.side_counts()
    files = [*(kit.config.data_dir / "snapshots").glob("*.jpg")]
    if kit.listening is not None:
        files += kit.listening.clips.glob("clip-*.wav")
    return {"observations": store.count(), "tracks": side["tracks"],
            "visitors": side["visitors"], "snapshots": side["snapshots"], "files": len(files),
            "aside": len(store.moved_aside()), "in_view": len(kit.watching.in_view())}


@bp.post("/forget")
def forget():
    """Without confirm=yes: the page asks first, saying what would go. With it: everything goes."""
    require_admin()
    kit = current_app.extensions["kit"]
    if request.form.get("confirm") != "yes":
        return _page(confirm=_erasable(kit))
    result = kit.forgetting.everything()
    if result["total"]:
        _tell(N_("Everything stored was erased: %(n)s items. The counters start again from zero."), n=result["total"])
    else:
        _tell(N_("There was nothing to erase. The counters start again from zero."))
    return redirect(url_for("admin.page"), code=303)


@bp.post("/next-class")
def next_class():
    """Class mode: the room is reset for the next class in one tap (the button says what it erases): forget
    everything, the kiosk on its summary for CLASS_SUMMARY_S, the lesson back to its first step."""
    require_admin()
    kit = current_app.extensions["kit"]
    result = kit.forgetting.everything()
    if "summary" in VIEWS:
        kit.screen.show("summary", for_s=CLASS_SUMMARY_S)
    lesson = current_app.extensions.get("lesson")       # web/views/notice.py's: one per kit
    if lesson is not None and lesson.step:
        lesson.move("first")
    _tell(N_("Ready for the next class: %(n)s items erased, the counters at zero, the lesson at its first step."),
          n=result["total"])
    return redirect(url_for("admin.page"), code=303)


@bp.post("/kiosk-live")
def kiosk_live():
    """The kiosk back on the live camera now, in one tap: after Next class its summary need not run its five
    minutes. Until someone chooses another view (the device's button, this page)."""
    require_admin()
    current_app.extensions["kit"].screen.show("live")
    _tell(N_("The kiosk shows the camera now."))
    return redirect(url_for("admin.page"), code=303)


@bp.post("/settings")
def settings():
    require_admin()
    privacy = current_app.extensions["kit"].privacy
    if privacy.update(**{key: request.form.get(key) == "on" for key in privacy.settings}):
        _tell(N_("Settings saved: they stay after a restart (the config file keeps the defaults)."))
    else:
        _tell(N_("Settings changed, but they could not be saved on the device: they last until the kit restarts."))
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
