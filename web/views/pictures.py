"""Pictures drawn on the device: where people have been (/heatmap.jpg) and the live page's charts
(/charts/<name>.svg, in the page's language), each made at most every few seconds however many phones ask."""

from __future__ import annotations

import time
from collections.abc import Callable

from flask import Blueprint, Response, abort, current_app

from device.errors import DeviceUnavailable
from web import charts
from web.clients import is_local
from web.i18n import current

bp = Blueprint("pictures", __name__)

CHARTS_EVERY_S = 10.0
MAKERS: dict[str, Callable] = {"timeline": lambda store, tr: charts.timeline(store, time.time(), tr),
                               "hours": lambda store, tr: charts.hours(store, time.time(), tr),
                               "dwell": charts.dwell}


@bp.get("/heatmap.jpg")
def heatmap():
    """Where people have stood and walked, over the camera's learnt picture of the empty room: made coarse
    for viewers who see faces blurred (someone who stood still is part of that picture)."""
    kit = current_app.extensions["kit"]
    try:
        jpeg = kit.privacy.heatmap("kiosk" if is_local() else "public", kit.watching)
    except DeviceUnavailable as exc:
        abort(404, str(exc))
    return Response(jpeg, mimetype="image/jpeg", headers={"Cache-Control": "no-store"})


@bp.get("/charts/<name>.svg")
def chart(name: str):
    """The live page's charts, drawn on the device: timeline, hours, dwell; one per language."""
    if name not in MAKERS:
        abort(404, f"no chart {name[:30]!r}; the charts are {', '.join(MAKERS)}")
    store, tr = current_app.extensions["kit"].store, current()
    svg = current_app.extensions["charts"].get(f"{name}.{tr.code}", lambda: MAKERS[name](store, tr))
    return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "no-store"})
