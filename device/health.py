"""What the dashboard says about the kit's own health: rates, each source's state, each worker's failures.

    rate = RateMeter()
    rate.tick()                       # on every frame or block (cheap)
    rate.rate                         # events per second over the last 3 s
    camera = SourceState("camera", on_change=show_recording)
    camera.set("offline", "unplugged")
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Any


class RateMeter:
    """Events per second over the last few seconds (cheap enough to call on every frame)."""

    def __init__(self, window_s: float = 3.0) -> None:
        self.window = window_s
        self._times: deque[float] = deque()

    def tick(self, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        self._times.append(now)
        while self._times and self._times[0] < now - self.window:
            self._times.popleft()

    @property
    def rate(self) -> float:
        now = time.monotonic()
        while self._times and self._times[0] < now - self.window:
            self._times.popleft()
        return len(self._times) / self.window


class SourceState:
    """What the dashboard says about one source: which device, real or simulated, running or offline."""

    CAPTURING = ("running", "degraded")

    def __init__(self, device: str, on_change: Callable[[], None] = lambda: None) -> None:
        self.device = device
        self.name = ""
        self.real = False
        self.state = "starting"
        self.since = time.time()
        self.error: str | None = None
        self._on_change = on_change

    @property
    def capturing(self) -> bool:
        return self.state in self.CAPTURING

    def describe(self, source: Any) -> None:
        """Name the device behind this source (anything with .name and .real)."""
        self.name, self.real = source.name, source.real

    def set(self, state: str, error: str | None = None) -> None:
        changed = state != self.state
        if changed:
            self.since = time.time()
        self.state, self.error = state, error
        if changed:
            self._on_change()

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "real": self.real, "kind": "real" if self.real else "simulated",
                "state": self.state, "since": self.since, "error": self.error}
