"""The dashboard: a Flask app factory over a running kit.

    app = create_app(kit)            # the kit's hub, store reads and services; never its devices
    app.test_client().get("/api/status")
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, ServiceUnavailable

from device.errors import StoreError
from device.observations import KINDS
from web.limits import MAX_BODY
from web.slots import ViewerSlots

logger = logging.getLogger(__name__)

def create_app(kit: Any, test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.json.sort_keys = False      # keys in the order the kit made them (Flask 2.2 as on Debian 12, and 3)
    app.config.update(MAX_CONTENT_LENGTH=MAX_BODY, SECRET_KEY=kit.admin.session_key(),
                      SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Strict",
                      PERMANENT_SESSION_LIFETIME=15 * 60)
    if test_config:
        app.config.update(test_config)
    limit = kit.config.web.max_viewers
    app.extensions["kit"] = kit
    # Phones refused a camera view wait in line for it; the event stream reconnects by itself.
    app.extensions["viewers"] = {"camera": ViewerSlots(limit, queue=True), "events": ViewerSlots(limit)}

    from web import delivery, i18n, security, visitor
    from web.live import Live, Recent
    from web.views import admin, api, kiosk, pages, pictures, stream, you
    app.extensions["live"] = Live(kit)
    app.extensions["charts"] = Recent(pictures.CHARTS_EVERY_S)
    i18n.init_app(app)
    security.init_app(app)
    visitor.init_app(app)
    delivery.init_app(app)
    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(stream.bp)
    app.register_blueprint(pictures.bp)
    app.register_blueprint(you.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(kiosk.bp)
    from web.views import exhibition, notice, snapshots
    app.register_blueprint(snapshots.bp)
    app.register_blueprint(notice.bp)
    app.register_blueprint(exhibition.bp)

    @app.get("/healthz")
    def _healthz() -> Response:
        """The server's request to itself for the systemd watchdog (web.server.Server.answers)."""
        return Response("ok\n", mimetype="text/plain", headers={"Cache-Control": "no-store"})

    @app.context_processor
    def _globals() -> dict[str, Any]:
        return {"kinds": KINDS}

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        # The exception's own headers (Retry-After on a 429 or 503, Allow on a 405), not its Content-Type.
        headers = [(name, value) for name, value in exc.get_headers() if name.lower() != "content-type"]
        if request.path.startswith("/api/"):
            return jsonify(error=exc.name, reason=exc.description, status=exc.code), exc.code, headers
        return render_template("error.html", error=exc), exc.code, headers

    @app.errorhandler(StoreError)
    def _cannot_store(exc: StoreError):
        # Storing is paused (disk full, database read-only) or the store is closing: what was asked is not done.
        logger.warning("could not serve %s: %s", request.path, exc)
        return _http_error(ServiceUnavailable(
            "the kit cannot store anything right now (its disk is full or its database cannot be written); "
            "nothing was changed: try again in a minute", retry_after=60))

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
