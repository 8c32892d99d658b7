"""The kiosk: the exhibition screen (1920x1080 or a projector's 1280x720), readable from 3 m, with QR codes to
join the kit's Wi-Fi and to open /you on a phone.

Three views (device/services/screen.py): live (the camera, counters, a calm feed), data (what it has stored)
and summary (class mode: big numbers for a projector). The page follows the kit's view, which the device's
button cycles; /kiosk?view=summary shows one view whatever the button says.

The kiosk faces visitors, so the admin PIN is never in its page: the page asks /kiosk/pin, which answers only the
device's own screen, and gives the PIN only for the few seconds after a person at the device asked for it with
the button (device/services/pin_display.py)."""

from __future__ import annotations

import functools
import io
import json
import time
from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request
from markupsafe import Markup

from device.network import lan_address
from device.notice.kinds import note_for
from device.services.screen import VIEWS
from web.clients import is_local
from web.live import Recent

bp = Blueprint("kiosk", __name__, url_prefix="/kiosk")
SUMMARY_EVERY_S = 10.0      # the summary's figures are read from the store at most this often, however many ask


@bp.record_once
def _setup(state) -> None:
    state.app.extensions["kiosk_summary"] = Recent(SUMMARY_EVERY_S)


def _escape_wifi(text: str) -> str:
    """Escape the characters the WIFI: QR format reserves."""
    for char in '\\;,:"':
        text = text.replace(char, "\\" + char)
    return text


def dashboard_url() -> str:
    """The dashboard's base address, ending in / ([kiosk] url, else this device's address on the network)."""
    kit = current_app.extensions["kit"]
    if kit.config.kiosk.url:
        return kit.config.kiosk.url
    host = request.host
    if host.split(":")[0] in ("127.0.0.1", "localhost", "::1", "[::1]"):
        lan = lan_address()
        port = host.rsplit(":", 1)[1] if ":" in host else ""
        host = f"{lan}:{port}" if lan and port else (lan or host)
    return f"http://{host}/"


def you_url() -> str:
    """/you on the dashboard: what the kit knows about the phone that opens it, and "Forget me" (as on the sign)."""
    base = dashboard_url()
    return (base if base.endswith("/") else base + "/") + "you"


def wifi_text() -> str | None:
    kiosk = current_app.extensions["kit"].config.kiosk
    if not kiosk.wifi_ssid:
        return None
    kind = "WPA" if kiosk.wifi_password else "nopass"
    return f"WIFI:T:{kind};S:{_escape_wifi(kiosk.wifi_ssid)};P:{_escape_wifi(kiosk.wifi_password)};;"


def _svg(text: str) -> Response:
    return Response(qr_svg(text), mimetype="image/svg+xml", headers={"Cache-Control": "no-store"})


@functools.lru_cache(maxsize=16)
def qr_svg(text: str) -> bytes:
    """A QR code of *text* as SVG, made once per text (the kiosk and the sign ask for the same few again and again)."""
    import qrcode
    import qrcode.image.svg

    out = io.BytesIO()
    # border=4: the quiet zone the QR standard asks for, which readers rely on
    qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, border=4).save(out)
    return out.getvalue()


def _midnight(now: float) -> float:
    """The start of *now*'s day, in the kit's local time."""
    day = time.localtime(now)
    return time.mktime((day.tm_year, day.tm_mon, day.tm_mday, 0, 0, 0, 0, 0, -1))


def figures(store: Any, now: float, wiped: float | None = None) -> dict[str, Any]:
    """The summary's figures from what *store* holds at *now*, counted since the later of the day's start and the
    last wipe (*wiped*), which "since" gives: people first seen (tracks), faces photographed (one picture of each
    new person's face), phones the kit linked to a person, every observation stored, and the observations of what
    it worked out, the most first: [[kind, count], ...]. ("people_today" and the others keep their names: the
    page said "today" before; they have always counted what is left since the last wipe.)"""
    since = max(_midnight(now), wiped or 0.0)
    counts = store.counts()         # from the index: a day's store is ~300,000 rows
    inferred = sorted(([kind, n] for kind, n in counts.items() if note_for(kind).inferred), key=lambda pair: -pair[1])
    return {"people_today": sum(int(n) for _, n in store.per_hour_new_tracks(since=since)),
            "faces_today": store.count(kind="snapshot", since=since),
            "phones_linked": store.subjects(kind="correlation", since=since),
            "stored": sum(counts.values()),
            "inferred": inferred,
            "since": since}


def since_markup(since: float) -> Markup:
    """The summary's "since" time as the labels show it (kiosk.js rewrites every <time class="since">)."""
    return Markup('<time class="since" datetime="{}">{}</time>').format(
        time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(since)), time.strftime("%H:%M", time.localtime(since)))


def summary() -> dict[str, Any]:
    """figures() for this kit, read at most every SUMMARY_EVERY_S however many screens ask, and anew after a wipe."""
    kit = current_app.extensions["kit"]
    wiped = kit.forgetting.last["at"] if kit.forgetting and kit.forgetting.last else None
    make = lambda: json.dumps(figures(kit.store, time.time(), wiped))  # noqa: E731
    return json.loads(current_app.extensions["kiosk_summary"].get(f"summary after {wiped}", make))


@bp.get("")
def kiosk():
    kit = current_app.extensions["kit"]
    live = current_app.extensions["live"]
    asked = request.args.get("view")
    if asked is not None and asked not in VIEWS:
        abort(400, f"no such kiosk view {asked[:20]!r}: ?view= takes {', '.join(VIEWS)}, or nothing to follow "
                   "the device's button")
    status = live.status()
    local = is_local()
    figures_now = summary()
    return render_template("kiosk.html", status=status, view=asked or status["kiosk_view"], pinned=asked is not None,
                           views=VIEWS, summary=figures_now, since=since_markup(figures_now["since"]), url=you_url(),
                           wifi=kit.config.kiosk.wifi_ssid,
                           pin_created=kit.admin.created if local else None, local=local, camera=kit.config.camera,
                           retention_h=kit.config.store.retention_h)


@bp.get("/summary.json")
def summary_json():
    """The summary view's figures from the store (the rest comes with the status event)."""
    response = jsonify(summary())
    response.headers["Cache-Control"] = "no-store"
    return response


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
    """The QR code to /you on the dashboard."""
    return _svg(you_url())


@bp.get("/wifi.svg")
def wifi_code():
    text = wifi_text()
    if text is None:
        abort(404, "no Wi-Fi network is configured ([kiosk] wifi_ssid)")
    return _svg(text)
