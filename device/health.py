"""What the dashboard says about the kit's own health: rates, each source's state, each worker's failures.

    rate = RateMeter()
    rate.tick()                       # on every frame or block (cheap)
    rate.rate                         # events per second over the last 3 s
    camera = SourceState("camera", on_change=show_recording)
    camera.set("offline", "unplugged")
    camera.failed(DeviceUnavailable("camera {name} is not open", name="usb"))   # offline; its pattern kept too
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Any

from device.errors import DeviceUnavailable


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
    """What the dashboard says about one source: which device, real, simulated or a recording played (file),
    running or offline."""

    CAPTURING = ("running", "degraded")

    def __init__(self, device: str, on_change: Callable[[], None] = lambda: None) -> None:
        self.device = device
        self.name = ""
        self.real = False
        self.kind = "simulated"
        self.state = "starting"
        self.since = time.time()
        self._why: tuple[str | None, str | None, dict[str, str] | None] = (None, None, None)   # one assignment
        self._on_change = on_change

    @property
    def error(self) -> str | None:
        """Why the source is not running (English), or None."""
        return self._why[0]

    @property
    def capturing(self) -> bool:
        return self.state in self.CAPTURING

    def describe(self, source: Any) -> None:
        """Name the device behind this source (anything with .name and .real; .kind "file" for a recording)."""
        self.name, self.real = source.name, source.real
        self.kind = getattr(source, "kind", None) or ("real" if source.real else "simulated")

    def set(self, state: str, error: str | None = None, *, text: str | None = None,
            values: dict[str, str] | None = None) -> None:
        """The state, and why (English); *text* is the why's pattern if it has one, {name}s filled from *values*,
        for a page to say it in its own language."""
        changed = state != self.state
        if changed:
            self.since = time.time()
        self.state = state
        self._why = (error, text, dict(values or {})) if text else (error, None, None)
        if changed:
            self._on_change()

    def failed(self, exc: BaseException) -> None:
        """Offline because of *exc*: its message, and its pattern and values if it has them (DeviceUnavailable)."""
        if isinstance(exc, DeviceUnavailable):
            self.set("offline", str(exc), text=exc.text, values=exc.values)
        else:
            self.set("offline", str(exc))

    def to_dict(self) -> dict[str, Any]:
        error, text, values = self._why
        return {"name": self.name, "real": self.real, "kind": self.kind,
                "state": self.state, "capturing": self.capturing, "since": self.since, "error": error,
                "error_text": text, "error_values": values}
