"""What every viewer of one app's live streams shares, made once however many watch: the latest frame as
a multipart part, the status event, the event text (observations, the live spectrum, the status), and the
two fan-outs that send them (web/fanout.py).

    live = Live(kit)
    index, part = live.part("public")       # the latest frame as a multipart part
    live.status_event()                     # "event: status\ndata: {...}\n\n", made at most twice a second

Kinds that are not public (device.services.privacy) are never sent: the event stream goes to phones. Each
observation carries its sentence in every language the kit speaks ("says": {"en": ..., "sr": ...}, web/sentences.py),
made once for all viewers from what phones may see (a plate masked), which the live feed shows; a source's error
in the status likewise ("error_says"). The sentences add ~130 bytes and ~20-60 µs (this machine) per observation.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from device.hub import Subscription
from device.observations import Observation
from web.fanout import EventFanout, FrameFanout, chunk
from web.i18n import LANGUAGES, translations
from web.sentences import in_every_language

logger = logging.getLogger(__name__)

BOUNDARY = b"frame"
STATUS_EVERY_S = 1.0
KEEPALIVE_S = 15.0


class Live:
    def __init__(self, kit: Any) -> None:
        self.kit = kit
        self._lock = threading.Lock()
        self._parts: dict[tuple[str, bool], tuple[int, bytes]] = {}
        self._status = Recent(STATUS_EVERY_S / 2)
        self.frames = FrameFanout(kit.frames, self.part)
        self.events = EventFanout(lambda: kit.observations.subscribe(maxsize=200),
                                  lambda subscription: EventText(self, subscription))

    def part(self, view: str, chunked: bool = False) -> tuple[int, bytes]:
        """(index, the latest frame as a multipart part); *chunked*: framed as an HTTP/1.1 chunk too."""
        index, ts, jpeg = self.kit.frames.jpeg(view)
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

    def status(self) -> dict[str, Any]:
        """The kit's status as phones may see it: the latest observation of public kinds only."""
        out = self.kit.status()
        latest, _ = self.kit.observations.snapshot()
        out["now"] = {kind: shown.to_dict() for kind, obs in latest.items()
                      if (shown := self.kit.privacy.for_phones(obs)) is not None}
        for source in out.get("sources", {}).values():
            if source.get("error_text"):        # said in every language, as observations are ("says")
                source["error_says"] = {code: translations(code).device_text(source["error_text"],
                                                                              source.get("error_values"))
                                        for code, _ in LANGUAGES}
        return out

    def status_event(self) -> str:
        """Made at most twice a second, however many viewers ask."""
        return self._status.get("status", self._status_text)

    def _status_text(self) -> str:
        return f"event: status\ndata: {json.dumps(self.status(), separators=(',', ':'))}\n\n"


class Recent:
    """The last result of each maker, made again only when older than *every_s*."""

    def __init__(self, every_s: float) -> None:
        self.every_s = every_s
        self._lock = threading.Lock()
        self._made: dict[str, tuple[float, str]] = {}

    def get(self, name: str, make: Callable[[], str]) -> str:
        with self._lock:
            made, value = self._made.get(name, (-self.every_s, ""))
            if time.monotonic() - made >= self.every_s:
                value = make()
                self._made[name] = (time.monotonic(), value)
            return value


class EventText:
    """What event viewers are sent next: new observations of public kinds, new spectrum columns (shown,
    never stored), the status once a second, a keep-alive comment after 15 quiet seconds."""

    def __init__(self, live: Live, subscription: Subscription) -> None:
        self.live, self.subscription = live, subscription
        self.listening = live.kit.listening
        self.for_phones = live.kit.privacy.for_phones
        columns = self.listening.spectrum_after(0.0) if self.listening is not None else []
        self.spectrum_after = columns[-1][0] if columns else 0.0
        self.last_status = self.last_sent = time.monotonic()

    def __call__(self, timeout: float) -> str:
        """The events to send now, waiting up to *timeout* s for an observation; '' if nothing is due."""
        batch = self.subscription.get_batch(timeout=timeout, limit=100)
        shown = [s for o in batch if (s := self.for_phones(o)) is not None]
        text = "".join(f"event: observation\ndata: {said}\n\n" for o in shown if (said := observation_json(o)))
        if self.listening is not None:
            columns = self.listening.spectrum_after(self.spectrum_after)
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


def observation_json(o: Observation) -> str | None:
    """An observation as the event stream sends it: its fields, and its sentence in each language ("says"); None
    for one that JSON cannot carry (an infinite number: no sensor gives one), which is logged and not sent, rather
    than stopping the thread that sends every viewer's events."""
    try:
        return json.dumps({**o.to_dict(), "says": in_every_language(o)}, separators=(",", ":"), allow_nan=False)
    except ValueError as exc:
        logger.warning("a %s observation not sent to viewers: %s", o.kind, exc)
        return None


@functools.lru_cache(maxsize=256)
def _column(column: tuple[float, tuple[int, ...]]) -> str:
    """One spectrum column as JSON, made once for every viewer."""
    ts, bands = column
    return f"[{ts},[{','.join(map(str, bands))}]]"
