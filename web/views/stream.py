"""Live streams: the camera as MJPEG (/stream.mjpg) and observations as Server-Sent Events (/events).

Each frame is encoded once (FrameHub.jpeg) whatever the number of viewers; each viewer takes the newest
frame when it is ready for one, so a slow phone skips frames instead of slowing the others. Each event
viewer has a small bounded queue: a slow one loses old events, never holds anyone up.
"""

from __future__ import annotations

import functools
import json
import threading
import time

from flask import Blueprint, Response, abort, current_app, request

from web.server import SOCKET_KEY, FramePacer

bp = Blueprint("stream", __name__)

BOUNDARY = b"frame"
STATUS_EVERY_S = 1.0
SPECTRUM_EVERY_S = 0.5
KEEPALIVE_S = 15.0


def _busy(what: str, limit: int) -> Response:
    return Response(f"The {what} already has {limit} viewers, the most this kit serves at once. "
                    "Please try again in a minute.\n", status=503, mimetype="text/plain",
                    headers={"Retry-After": "30"})


LOCAL = {"127.0.0.1", "::1"}
HEATMAP_EVERY_S = 2.0


@bp.get("/stream.mjpg")
def mjpeg():
    """?view=public (default: faces blurred) or ?view=kiosk (the device's own screen; may show faces)."""
    kit = current_app.extensions["kit"]
    view = request.args.get("view", "public")
    if view not in ("public", "kiosk"):
        abort(400, "view must be public or kiosk")
    if view == "kiosk" and request.remote_addr not in LOCAL:
        abort(403, "the kiosk view is only for the screen attached to the device itself")
    slots = current_app.extensions["viewers"]["camera"]
    if not slots.acquire():
        return _busy("camera view", slots.limit)

    pacer = FramePacer(request.environ.get(SOCKET_KEY))
    live = shared()

    def frames():
        last = 0
        try:
            while not kit.frames.closed:
                frame = kit.frames.wait_newer(last, timeout=KEEPALIVE_S)
                if frame is None:
                    continue
                if not pacer.ready():     # the viewer has not read the last one yet: skip this frame
                    last = frame.index
                    continue
                last, part = live.part(view)
                pacer.sent(len(part))
                yield part
        finally:
            slots.release()

    return Response(frames(), mimetype=f"multipart/x-mixed-replace; boundary={BOUNDARY.decode()}",
                    headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


@bp.get("/heatmap.jpg")
def heatmap():
    """Where people have stood and walked, over the camera's learnt picture of the empty room."""
    kit = current_app.extensions["kit"]
    if kit.vision is None:
        abort(404, f"no heatmap: {kit.vision_error}")
    cache = current_app.extensions.setdefault("heatmap", {"at": -HEATMAP_EVERY_S, "jpeg": b""})
    if time.monotonic() - cache["at"] >= HEATMAP_EVERY_S:
        cache["jpeg"], cache["at"] = kit.vision.heatmap_jpeg(), time.monotonic()
    return Response(cache["jpeg"], mimetype="image/jpeg", headers={"Cache-Control": "no-store"})


CHARTS_EVERY_S = 10.0


@bp.get("/charts/<name>.svg")
def chart(name: str):
    """The live page's charts, drawn on the device: timeline, hours, dwell."""
    from web import charts

    makers = {"timeline": lambda kit: charts.timeline(kit.store, time.time()),
              "hours": lambda kit: charts.hours(kit.store, time.time()),
              "dwell": lambda kit: charts.dwell(kit.store)}
    if name not in makers:
        abort(404, f"no chart {name[:30]!r}; the charts are {', '.join(makers)}")
    cache = current_app.extensions.setdefault("charts", {})
    made, svg = cache.get(name, (-CHARTS_EVERY_S, ""))
    if time.monotonic() - made >= CHARTS_EVERY_S:
        svg = makers[name](current_app.extensions["kit"])
        cache[name] = (time.monotonic(), svg)
    return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "no-store"})


@bp.get("/events")
def events():
    kit = current_app.extensions["kit"]
    slots = current_app.extensions["viewers"]["events"]
    if not slots.acquire():
        return _busy("event feed", slots.limit)
    subscription = kit.observations.subscribe(maxsize=200)
    live = shared()

    def stream():
        try:
            yield "retry: 3000\n\n" + live.status_event()
            last_status = last_sent = time.monotonic()
            spectrum_after = kit.audio.spectrum[-1][0] if kit.audio is not None and kit.audio.spectrum else 0.0
            while not subscription.closed:
                batch = subscription.get_batch(timeout=SPECTRUM_EVERY_S, limit=100)
                chunk = "".join(f"event: observation\ndata: {o.to_json()}\n\n" for o in batch)
                if kit.audio is not None:       # the live spectrum: shown, never stored
                    columns = [c for c in list(kit.audio.spectrum) if c[0] > spectrum_after]
                    if columns:
                        spectrum_after = columns[-1][0]
                        chunk += f"event: spectrum\ndata: [{','.join(map(_column, columns))}]\n\n"
                now = time.monotonic()
                if now - last_status >= STATUS_EVERY_S:
                    chunk += live.status_event()
                    last_status = now
                if not chunk and now - last_sent >= KEEPALIVE_S:
                    chunk = ": keep-alive\n\n"
                if chunk:
                    last_sent = now
                    yield chunk
        finally:
            subscription.close()
            slots.release()

    return Response(stream(), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


class Shared:
    """What every viewer of one app's streams shares, made once: the latest frame as a multipart part
    (headers and all), and the status event (status() is not free)."""

    def __init__(self, kit) -> None:
        self.kit = kit
        self._lock = threading.Lock()
        self._parts: dict[str, tuple[int, bytes]] = {}
        self._status: tuple[float, str] = (-STATUS_EVERY_S, "")

    def part(self, view: str) -> tuple[int, bytes]:
        index, ts, jpeg = self.kit.frames.jpeg_with_time(view)
        with self._lock:
            cached = self._parts.get(view)
            if cached is None or cached[0] != index:
                cached = self._parts[view] = (index, b"--" + BOUNDARY + b"\r\nContent-Type: image/jpeg\r\n"
                                              b"Content-Length: " + str(len(jpeg)).encode() + b"\r\nX-Frame-Time: "
                                              + f"{ts:.3f}".encode() + b"\r\n\r\n" + jpeg + b"\r\n")
            return cached

    def status_event(self) -> str:
        """Made at most twice a second, however many viewers ask."""
        with self._lock:
            made, text = self._status
            if time.monotonic() - made >= STATUS_EVERY_S / 2:
                text = f"event: status\ndata: {json.dumps(self.kit.status(), separators=(',', ':'))}\n\n"
                self._status = (time.monotonic(), text)
            return text


@bp.record_once
def _make_shared(state) -> None:
    state.app.extensions["live-shared"] = Shared(state.app.extensions["kit"])


def shared() -> Shared:
    return current_app.extensions["live-shared"]


@functools.lru_cache(maxsize=256)
def _column(column: tuple[float, tuple[int, ...]]) -> str:
    """One spectrum column as JSON, made once for every viewer."""
    ts, bands = column
    return f"[{ts},[{','.join(map(str, bands))}]]"
