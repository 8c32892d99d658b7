"""The kiosk: the exhibition screen at 1920x1080, readable from 3 m, with QR codes to join and to open
the dashboard.

The kiosk faces visitors, so the admin PIN is never in its page: the page asks /kiosk/pin, which answers only the
device's own screen, and gives the PIN only for the few seconds after a person at the device asked for it with
the button (device/services/pin_display.py)."""

from __future__ import annotations

import io

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request

from device.network import lan_address
from web.clients import is_local

bp = Blueprint("kiosk", __name__, url_prefix="/kiosk")


def _escape_wifi(text: str) -> str:
    """Escape the characters the WIFI: QR format reserves."""
    for char in '\\;,:"':
        text = text.replace(char, "\\" + char)
    return text


def dashboard_url() -> str:
    kit = current_app.extensions["kit"]
    if kit.config.kiosk.url:
        return kit.config.kiosk.url
    host = request.host
    if host.split(":")[0] in ("127.0.0.1", "localhost", "::1", "[::1]"):
        lan = lan_address()
        port = host.rsplit(":", 1)[1] if ":" in host else ""
        host = f"{lan}:{port}" if lan and port else (lan or host)
    return f"http://{host}/"


def wifi_text() -> str | None:
    kiosk = current_app.extensions["kit"].config.kiosk
    if not kiosk.wifi_ssid:
        return None
    kind = "WPA" if kiosk.wifi_password else "nopass"
    return f"WIFI:T:{kind};S:{_escape_wifi(kiosk.wifi_ssid)};P:{_escape_wifi(kiosk.wifi_password)};;"


def _svg(text: str) -> Response:
    import qrcode
    import qrcode.image.svg

    out = io.BytesIO()
    # border=4: the quiet zone the QR standard asks for, which readers rely on
    qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, border=4).save(out)
    return Response(out.getvalue(), mimetype="image/svg+xml", headers={"Cache-Control": "no-store"})


@bp.get("")
def kiosk():
    kit = current_app.extensions["kit"]
    local = is_local()
    return render_template("kiosk.html", status=current_app.extensions["live"].status(), url=dashboard_url(),
                           wifi=kit.config.kiosk.wifi_ssid,
                           pin_created=kit.admin.created if local else None,
                           local=local, retention_h=kit.config.store.retention_h)


@bp.get("/pin")
def pin():
    """The admin PIN for the device's own screen: {"state": "hidden"} except just after the button asked for it."""
    if not is_local():
        abort(403, "the admin PIN is shown only on the device's own screen")
    response = jsonify(current_app.extensions["kit"].pin_display.now())
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/url.svg")
def url_code():
    return _svg(dashboard_url())


@bp.get("/wifi.svg")
def wifi_code():
    text = wifi_text()
    if text is None:
        abort(404, "no Wi-Fi network is configured ([kiosk] wifi_ssid)")
    return _svg(text)
