"""The kit explains itself: /notice (the privacy notice and impact assessment, from the live state), /notice/sign
(a printable A4 sign, both languages, a QR code to /you), and /lesson (a classroom lesson the teacher moves on
from /admin or the kiosk's keyboard, its plan and worksheet)."""

from __future__ import annotations

import re

from flask import Blueprint, Response, abort, current_app, g, jsonify, redirect, render_template, request, url_for

from device.notice.document import Notice, build
from device.notice.lesson import MINORS, STEPS, WORKSHEET, Lesson, figures
from device.notice.state import LiveState
from web.clients import is_local
from web.i18n import LANGUAGES, translations
from web.security import is_admin
from web.views import kiosk
from web.views.kiosk import dashboard_url

bp = Blueprint("notice", __name__)
BACK = {"admin": "admin.page", "lesson": "notice.lesson", "plan": "notice.plan"}


@bp.record_once
def _setup(state) -> None:
    state.app.extensions.setdefault("lesson", Lesson())


@bp.app_context_processor
def _lesson_globals() -> dict:
    """For the admin page's lesson controls (web/templates/_lesson_controls.html)."""
    return {"lesson_now": lambda: _lesson_view()}


def qr_svg_text(svg: str) -> str:
    """A QR code's SVG document made inline: sized by CSS, no XML declaration, no id (the sign holds two)."""
    svg = re.sub(r"^<\?xml[^>]*>\s*", "", svg)
    svg = re.sub(r'\s(width|height|id)="[^"]*"', "", svg)
    return svg.replace("<svg", '<svg class="qr" aria-hidden="true" focusable="false"', 1)


def qr_svg(text: str) -> str:
    """The kiosk's QR code of *text*, inline."""
    return qr_svg_text(kiosk.qr_svg(text).decode())


def _notice(lang: str, state: LiveState | None = None) -> Notice:
    """The notice in *lang*, from the kit's live *state* (read now unless given: the sign reads it once)."""
    state = state or LiveState.of_kit(current_app.extensions["kit"])
    return build(state, translations(lang), url=dashboard_url(), lang=lang)


def _nocache(html: str) -> Response:
    response = Response(html, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"      # it changes with the kit's settings
    return response


@bp.get("/notice")
def notice():
    notice = _notice(g.lang)
    return _nocache(render_template("notice.html", layout="base.html", notice=notice,
                                    qr=qr_svg(notice.sign.you_url)))


@bp.get("/notice/sign")
def sign():
    order = [g.lang] + [code for code, _ in LANGUAGES if code != g.lang]
    state = LiveState.of_kit(current_app.extensions["kit"])
    sides = [_notice(code, state) for code in order]
    return _nocache(render_template("sign.html", sides=sides, qr=qr_svg(sides[0].sign.you_url), inline_css=None))


# ---- the lesson

def _lesson() -> Lesson:
    return current_app.extensions["lesson"]


def _may_teach() -> bool:
    """The teacher: an admin (a phone), or the device's own screen (the kiosk's keyboard)."""
    return is_local() or is_admin()


def _lesson_view() -> dict:
    lesson = _lesson()
    return {"index": lesson.step, "step": STEPS[lesson.step], "total": len(STEPS), "steps": STEPS,
            "minutes": sum(s.minutes for s in STEPS)}


@bp.get("/lesson")
def lesson():
    kit = current_app.extensions["kit"]
    view = _lesson_view()
    shown = figures(view["step"], kit.status(), kit.store.inventory(), translations(g.lang), kiosk.summary())
    return _nocache(render_template("lesson.html", mode="step", teach=_may_teach(), figures=shown,
                                    local=is_local(), url=dashboard_url(), **view))


@bp.get("/lesson/plan")
def plan():
    return _nocache(render_template("lesson.html", mode="plan", teach=_may_teach(), figures=[], local=is_local(),
                                    url=dashboard_url(), minors=MINORS, **_lesson_view()))


@bp.get("/lesson/worksheet")
def worksheet():
    return render_template("worksheet.html", questions=WORKSHEET, steps=STEPS)


@bp.get("/lesson/state.json")
def lesson_state():
    lesson = _lesson()
    response = jsonify(step=lesson.step, total=len(STEPS), changed=lesson.changed)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/lesson/step")
def lesson_step():
    if not _may_teach():
        abort(403, "only the teacher moves the lesson on: log in on the admin page, or use the device's keyboard")
    to = request.form.get("to", "next")[:8]
    try:
        _lesson().move(to)
    except ValueError as exc:
        abort(400, str(exc))
    back = BACK.get(request.form.get("back", "lesson"), "notice.lesson")
    return redirect(url_for(back), code=303)
