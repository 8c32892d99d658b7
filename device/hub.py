"""The hub between analyzers and sinks: the newest camera frame, and observation publish/subscribe.

Newest wins everywhere: a frame reader that falls behind skips to the latest frame and counts what it
skipped; a subscriber whose bounded queue is full loses its oldest observation, and the loss is counted.
Nothing here ever blocks a publisher.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from device.observations import Observation


@dataclass(frozen=True)
class Frame:
    """One captured picture: a sequence number, when it was taken, BGR pixels, optional low-res grey."""

    index: int
    ts: float
    image: np.ndarray
    grey: np.ndarray | None = None


class FrameHub:
    """Holds the latest frame; encodes it to JPEG at most once per view, however many viewers ask.

        hub = FrameHub(encode=lambda frame, view: jpeg_bytes)
        hub.publish(image)                  # capture thread
        frame = hub.wait_newer(0, 1.0)      # any reader; None on timeout or close
        index, ts, jpeg = hub.jpeg("public")    # viewers: "public" (faces blurred) or "kiosk"
    """

    def __init__(self, encode: Callable[[Frame, str], bytes]) -> None:
        self._encode = encode
        self._cond = threading.Condition()
        self._frame: Frame | None = None
        self._closed = False
        self._jpeg_lock = threading.Lock()
        self._jpeg: dict[str, tuple[int, float, bytes]] = {}
        self.encodes = 0

    def publish(self, image: np.ndarray, *, ts: float | None = None, grey: np.ndarray | None = None) -> Frame:
        with self._cond:
            index = self._frame.index + 1 if self._frame else 1
            self._frame = Frame(index, time.time() if ts is None else ts, image, grey)
            self._cond.notify_all()
            return self._frame

    @property
    def latest(self) -> Frame | None:
        return self._frame

    @property
    def closed(self) -> bool:
        return self._closed

    def wait_newer(self, index: int, timeout: float) -> Frame | None:
        """The latest frame if its index is above *index*, waiting up to *timeout* s for one."""
        with self._cond:
            self._cond.wait_for(lambda: self._closed or (self._frame is not None and self._frame.index > index),
                                timeout)
            if self._closed or self._frame is None or self._frame.index <= index:
                return None
            return self._frame

    def jpeg(self, view: str = "public") -> tuple[int, float, bytes]:
        """(index, capture time, JPEG) of the latest frame in *view*, encoded on the first request only."""
        frame = self._frame
        if frame is None:
            return 0, 0.0, b""
        with self._jpeg_lock:
            cached = self._jpeg.get(view)
            if cached is None or cached[0] != frame.index:
                cached = self._jpeg[view] = (frame.index, frame.ts, self._encode(frame, view))
                self.encodes += 1
            return cached

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()


class Subscription:
    """A bounded queue of observations for one sink; full means the oldest is dropped and counted."""

    def __init__(self, hub: ObservationHub, maxsize: int) -> None:
        self._hub = hub
        self._queue: deque[Observation] = deque()
        self._maxsize = maxsize
        self._cond = threading.Condition()
        self._closed = False
        self.delivered = 0
        self.dropped = 0

    def put(self, obs: Observation) -> None:
        with self._cond:
            if len(self._queue) >= self._maxsize:
                self._queue.popleft()
                self.dropped += 1
            self._queue.append(obs)
            self.delivered += 1
            self._cond.notify()

    def get_batch(self, timeout: float, limit: int = 1000) -> list[Observation]:
        """Up to *limit* queued observations, waiting up to *timeout* s for the first; [] on timeout or close."""
        with self._cond:
            self._cond.wait_for(lambda: self._queue or self._closed, timeout)
            count = min(len(self._queue), limit)
            return [self._queue.popleft() for _ in range(count)]

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        self._hub._unsubscribe(self)
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ObservationHub:
    """Publish/subscribe of observations, with per-kind counts and the latest of each kind."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: list[Subscription] = []
        self._closed = False
        self.counts: Counter[str] = Counter()
        self.latest: dict[str, Observation] = {}

    def publish(self, obs: Observation) -> None:
        with self._lock:
            self.counts[obs.kind] += 1
            self.latest[obs.kind] = obs
            subscribers = list(self._subscribers)
        for sub in subscribers:
            sub.put(obs)

    def snapshot(self) -> tuple[dict[str, Observation], dict[str, int]]:
        """(the latest observation of each kind, how many of each were published), copied under the lock, so a
        reader on another thread never sees them change while it reads them."""
        with self._lock:
            return dict(self.latest), dict(self.counts)

    def restart(self) -> None:
        """Count from zero and hold no latest observation (after forgetting everything: the latest of a kind may
        be about a person, a plate, a phone)."""
        with self._lock:
            self.counts.clear()
            self.latest.clear()

    def subscribe(self, maxsize: int = 256) -> Subscription:
        """A new subscription; one made after close() is closed from the start."""
        sub = Subscription(self, maxsize)
        with self._lock:
            if not self._closed:
                self._subscribers.append(sub)
                return sub
        sub.close()
        return sub

    def _unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            if sub in self._subscribers:
                self._subscribers.remove(sub)

    def close(self) -> None:
        """Wake and end every subscription (their readers see closed)."""
        with self._lock:
            self._closed = True
            subscribers = list(self._subscribers)
        for sub in subscribers:
            sub.close()
