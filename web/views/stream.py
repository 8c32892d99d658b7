"""Live streams: the camera as MJPEG (/stream.mjpg) and observations as Server-Sent Events (/events).

Each frame is encoded once (FrameHub.jpeg) whatever the number of viewers; each viewer takes the newest
frame when it is ready for one, so a slow phone skips frames instead of slowing the others. Each event
viewer has a small bounded queue: a slow one loses old events, never holds anyone up.
"""

from __future__ import annotations

import json
import time

from flask import Blueprint, Response, current_app

bp = Blueprint("stream", __name__)

BOUNDARY = b"frame"
STATUS_EVERY_S = 1.0
KEEPALIVE_S = 15.0


def _busy(what: str, limit: int) -> Response:
    return Response(f"The {what} already has {limit} viewers, the most this kit serves at once. "
                    "Please try again in a minute.\n", status=503, mimetype="text/plain",
                    headers={"Retry-After": "30"})


@bp.get("/stream.mjpg")
def mjpeg():
    kit = current_app.extensions["kit"]
    slots = current_app.extensions["viewers"]["camera"]
    if not slots.acquire():
        return _busy("camera view", slots.limit)

    def frames():
        last = 0
        try:
            while not kit.frames.closed:
                if kit.frames.wait_newer(last, timeout=KEEPALIVE_S) is None:
                    continue
                last, jpeg = kit.frames.jpeg()
                yield (b"--" + BOUNDARY + b"\r\nContent-Type: image/jpeg\r\nContent-Length: "
                       + str(len(jpeg)).encode() + b"\r\n\r\n" + jpeg + b"\r\n")
        finally:
            slots.release()

    return Response(frames(), mimetype=f"multipart/x-mixed-replace; boundary={BOUNDARY.decode()}",
                    headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


@bp.get("/events")
def events():
    kit = current_app.extensions["kit"]
    slots = current_app.extensions["viewers"]["events"]
    if not slots.acquire():
        return _busy("event feed", slots.limit)
    subscription = kit.observations.subscribe(maxsize=200)

    def stream():
        try:
            yield "retry: 3000\n\n" + _status_event(kit)
            last_status = last_sent = time.monotonic()
            while not subscription.closed:
                batch = subscription.get_batch(timeout=STATUS_EVERY_S / 2, limit=100)
                chunk = "".join(f"event: observation\ndata: {o.to_json()}\n\n" for o in batch)
                now = time.monotonic()
                if now - last_status >= STATUS_EVERY_S:
                    chunk += _status_event(kit)
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


def _status_event(kit) -> str:
    return f"event: status\ndata: {json.dumps(kit.status(), separators=(',', ':'))}\n\n"
