"""Live streams: the camera as MJPEG (/stream.mjpg) and observations as Server-Sent Events (/events).

Each frame is encoded once whatever the number of viewers, and sent to all of them from one thread
(web/fanout.py, through web/live.py); each viewer gets the newest frame when it has taken in the last one,
so a slow phone skips frames instead of slowing the others. Events are made once as text for every viewer;
a viewer that stops reading is let go once 256 KB wait for it (its browser reconnects). A stream's own
server thread sends the headers and the first part, then hands the connection to the fan-out: streams are
served by the kit's own server (web/server.py), which gives the application its connections.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, request

from web.clients import is_local
from web.fanout import Viewer
from web.limits import address_key
from web.live import BOUNDARY, KEEPALIVE_S, Live
from web.server import CONNECTION_KEY, FramePacer
from web.slots import Answer, ViewerSlots

bp = Blueprint("stream", __name__)


def _busy(what: str, slots: ViewerSlots, answer: Answer) -> Response:
    """The polite 503: why (Refusal-Reason: full or address, so that the page tells the true one), when to come back
    (Retry-After), and for a phone in the line its ticket, its place and the estimated wait (Queue-Ticket,
    Queue-Place, Queue-Wait), which the page shows as a countdown."""
    headers = {"Retry-After": str(answer.retry_after), "Cache-Control": "no-store",
               "Refusal-Reason": answer.reason or "full"}    # "address": this address has all its places
    if answer.reason == "address":
        text = (f"This address already has {slots.per_address} {what}s open, the most one phone may have. "
                "Please close one, or try again in a minute.\n")
    else:
        text = f"The {what} already has {slots.limit} viewers, the most this kit serves at once. "
        if answer.ticket is None:
            text += f"Please try again in {answer.retry_after} s.\n"
        else:
            text += (f"You are number {answer.place} in line, your turn in about {answer.wait_s:.0f} s: please try "
                     f"again in {answer.retry_after} s with ?ticket={answer.ticket} (first come, first served).\n")
            headers |= {"Queue-Ticket": answer.ticket, "Queue-Place": str(answer.place),
                        "Queue-Wait": f"{answer.wait_s:.0f}"}
    return Response(text, status=503, mimetype="text/plain", headers=headers)


def _take(slots: ViewerSlots, what: str) -> tuple[str | None, Response | None]:
    """A place for this client's stream: (its address key, None), or (..., the polite 503). A phone that waits in
    line sends back its ticket (?ticket=)."""
    address = address_key(request.remote_addr)
    answer = slots.acquire(address, request.args.get("ticket", "")[:64] or None)
    return address, None if answer else _busy(what, slots, answer)


def _connection():
    """The request's connection, which the fan-out writes to; only the kit's own server hands it over."""
    connection = request.environ.get(CONNECTION_KEY)
    if connection is None:
        abort(501, "live streams are served by the kit's own server (awareness-kit run), not this one")
    return connection


@bp.get("/stream.mjpg")
def mjpeg():
    """?view=public (default: faces blurred) or ?view=kiosk (the device's own screen; may show faces)."""
    kit = current_app.extensions["kit"]
    live: Live = current_app.extensions["live"]
    view = request.args.get("view", "public")
    if view not in ("public", "kiosk"):
        abort(400, "view must be public or kiosk")
    if view == "kiosk" and not is_local():
        abort(403, "the kiosk view is only for the screen attached to the device itself")
    connection = _connection()
    slots = current_app.extensions["viewers"]["camera"]
    address, busy = _take(slots, "camera view")
    if busy is not None:
        return busy

    def frames():
        while not kit.frames.closed:
            if kit.frames.wait_newer(0, timeout=KEEPALIVE_S) is None:
                continue
            index, part = live.part(view)
            yield part      # the first part goes out with the headers, from this thread; the fan-out sends the rest
            viewer = Viewer(connection, view=view, index=index, pacer=FramePacer(connection.socket))
            live.frames.serve(viewer, closed=lambda: kit.frames.closed)
            return

    response = Response(frames(), mimetype=f"multipart/x-mixed-replace; boundary={BOUNDARY.decode()}",
                        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
    # Also when no body was asked for (HEAD) or it never started.
    response.call_on_close(lambda: slots.release(address))
    return response


@bp.get("/events")
def events():
    kit = current_app.extensions["kit"]
    live: Live = current_app.extensions["live"]
    connection = _connection()
    slots = current_app.extensions["viewers"]["events"]
    address, busy = _take(slots, "event feed")
    if busy is not None:
        return busy

    def stream():
        # Join before the first chunk goes out, so that nothing published from now on is missed.
        viewer = live.events.join(Viewer(connection))
        try:
            yield "retry: 3000\n\n" + live.status_event()
            live.events.serve(viewer, closed=lambda: kit.frames.closed)     # the fan-out sends the rest
        finally:
            live.events.leave(viewer)

    response = Response(stream(), mimetype="text/event-stream",
                        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
    response.call_on_close(lambda: slots.release(address))
    return response
