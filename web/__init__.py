"""The dashboard: a Flask app factory over a running kit.

    app = create_app(kit)            # the kit's hub, store reads and services; never its devices
    app.test_client().get("/api/status")
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from device.observations import KINDS

logger = logging.getLogger(__name__)


class ViewerSlots:
    """A cap on long-lived streams of one kind (camera or events); beyond it, viewers get a polite 503."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.active = 0
        self.refused = 0
        self._lock = threading.Lock()

    def acquire(self) -> bool:
        with self._lock:
            if self.active >= self.limit:
                self.refused += 1
                return False
            self.active += 1
            return True

    def release(self) -> None:
        with self._lock:
            self.active -= 1


def create_app(kit: Any, test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.json.sort_keys = False      # keys in the order the kit made them (Flask 2.2 as on Debian 12, and 3)
    app.config.update(MAX_CONTENT_LENGTH=64 * 1024, SECRET_KEY=kit.admin.session_key(),
                      SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Strict",
                      PERMANENT_SESSION_LIFETIME=15 * 60)
    if test_config:
        app.config.update(test_config)
    limit = kit.config.web.max_viewers
    app.extensions["kit"] = kit
    app.extensions["viewers"] = {"camera": ViewerSlots(limit), "events": ViewerSlots(limit)}

    from web import i18n, security, visitor
    from web.live import Live
    from web.views import admin, api, kiosk, pages, pictures, stream, you
    app.extensions["live"] = Live(kit)
    app.extensions["charts"] = pictures.Recent(pictures.CHARTS_EVERY_S)
    i18n.init_app(app)
    security.init_app(app)
    visitor.init_app(app)
    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(stream.bp)
    app.register_blueprint(pictures.bp)
    app.register_blueprint(you.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(kiosk.bp)

    @app.context_processor
    def _globals() -> dict[str, Any]:
        return {"kinds": KINDS}

    @app.template_filter("ts")
    def _ts(value: float | None) -> str:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(value)) if value is not None else "–"

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if request.path.startswith("/api/"):
            return jsonify(error=exc.name, reason=exc.description, status=exc.code), exc.code
        return render_template("error.html", error=exc), exc.code

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        logger.exception("error serving %s", request.path)
        if request.path.startswith("/api/"):
            return jsonify(error="Internal Server Error", reason="the kit hit an unexpected error; it is logged",
                           status=500), 500
        return render_template("error.html", error=None), 500

    @app.after_request
    def _headers(response):
        # Everything is served by the device itself: say so to the browser too.
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; connect-src 'self'")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response

    return app
