"""Live streams: the camera as MJPEG (/stream.mjpg) and observations as Server-Sent Events (/events).

Each frame is encoded once (FrameHub.jpeg) whatever the number of viewers, and sent to all of them from one
thread (web/fanout.py); each viewer gets the newest frame when it has taken in the last one, so a slow phone
skips frames instead of slowing the others. Events are made once as text for every viewer; a viewer that
stops reading is let go once 256 KB wait for it (its browser reconnects), and never holds anyone up.
"""

from __future__ import annotations

import functools
import json
import threading
import time

from flask import Blueprint, Response, abort, current_app, request

from web.fanout import EventFanout, FrameFanout, Viewer, chunk
from web.server import CONNECTION_KEY, FramePacer

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
    connection = request.environ.get(CONNECTION_KEY)
    live = shared()

    def frames():
        last = 0
        while not kit.frames.closed:
            if kit.frames.wait_newer(last, timeout=KEEPALIVE_S) is None:
                continue
            last, part = live.part(view)
            yield part      # the first part goes out with the headers, from this thread
            if connection is not None:      # then the fan-out sends the rest (web/fanout.py)
                viewer = Viewer(connection, view=view, index=last, pacer=FramePacer(connection.socket))
                live.frames.serve(viewer, closed=lambda: kit.frames.closed)
                return
            # Without the server's connection (Flask's test client) this thread sends every part.

    response = Response(frames(), mimetype=f"multipart/x-mixed-replace; boundary={BOUNDARY.decode()}",
                        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
    response.call_on_close(slots.release)   # also when no body was asked for (HEAD) or it never started
    return response


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
    connection = request.environ.get(CONNECTION_KEY)
    live = shared()

    def stream():
        # Join before the first chunk goes out, so that nothing published from now on is missed.
        viewer = live.events.join(Viewer(connection)) if connection is not None else None
        subscription = kit.observations.subscribe(maxsize=200) if viewer is None else None
        try:
            yield "retry: 3000\n\n" + live.status_event()
            if viewer is not None:      # the fan-out sends the rest (web/fanout.py)
                live.events.serve(viewer, closed=lambda: kit.frames.closed)
                return
            # Without the server's connection (Flask's test client) this thread sends everything.
            next_text = EventText(live, subscription)
            while not subscription.closed:
                if text := next_text(SPECTRUM_EVERY_S):
                    yield text
        finally:
            if viewer is not None:
                live.events.leave(viewer)
            if subscription is not None:
                subscription.close()

    response = Response(stream(), mimetype="text/event-stream",
                        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
    response.call_on_close(slots.release)
    return response


class EventText:
    """What event viewers are sent next: new observations, new spectrum columns (shown, never stored), the
    status once a second, a keep-alive comment after 15 quiet seconds. Made once for all viewers."""

    def __init__(self, live: Shared, subscription) -> None:
        self.live, self.kit, self.subscription = live, live.kit, subscription
        audio = self.kit.audio
        self.spectrum_after = audio.spectrum[-1][0] if audio is not None and audio.spectrum else 0.0
        self.last_status = self.last_sent = time.monotonic()

    def __call__(self, timeout: float) -> str:
        """The events to send now, waiting up to *timeout* s for an observation; '' if nothing is due."""
        batch = self.subscription.get_batch(timeout=timeout, limit=100)
        text = "".join(f"event: observation\ndata: {o.to_json()}\n\n" for o in batch)
        if self.kit.audio is not None:
            columns = [c for c in list(self.kit.audio.spectrum) if c[0] > self.spectrum_after]
            if columns:
                self.spectrum_after = columns[-1][0]
                text += f"event: spectrum\ndata: [{','.join(map(_column, columns))}]\n\n"
        now = time.monotonic()
        if now - self.last_status >= STATUS_EVERY_S:
            text += self.live.status_event()
            self.last_status = now
        if not text and now - self.last_sent >= KEEPALIVE_S:
            text = ": keep-alive\n\n"
        if text:
            self.last_sent = now
        return text


class Shared:
    """What every viewer of one app's streams shares, made once: the latest frame as a multipart part
    (headers and all, and framed as an HTTP chunk for the fan-out), the status event (status() is not
    free), and the two fan-outs."""

    def __init__(self, kit) -> None:
        self.kit = kit
        self._lock = threading.Lock()
        self._parts: dict[tuple[str, bool], tuple[int, bytes]] = {}
        self._status: tuple[float, str] = (-STATUS_EVERY_S, "")
        self.frames = FrameFanout(kit.frames, self.part)
        self.events = EventFanout(lambda: kit.observations.subscribe(maxsize=200),
                                  lambda subscription: EventText(self, subscription))

    def part(self, view: str, chunked: bool = False) -> tuple[int, bytes]:
        """(index, the latest frame as a multipart part); *chunked*: framed as an HTTP/1.1 chunk too."""
        index, ts, jpeg = self.kit.frames.jpeg_with_time(view)
        with self._lock:
            cached = self._parts.get((view, False))
            if cached is None or cached[0] != index:
                cached = self._parts[(view, False)] = (
                    index, b"--" + BOUNDARY + b"\r\nContent-Type: image/jpeg\r\nContent-Length: "
                    + str(len(jpeg)).encode() + b"\r\nX-Frame-Time: " + f"{ts:.3f}".encode() + b"\r\n\r\n"
                    + jpeg + b"\r\n")
            if not chunked:
                return cached
            framed = self._parts.get((view, True))
            if framed is None or framed[0] != index:
                framed = self._parts[(view, True)] = (index, chunk(cached[1]))
            return framed

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
