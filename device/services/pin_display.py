"""The admin PIN on the kiosk screen, only for a moment after a person at the device asked for it with the button.

The kiosk faces visitors, so the PIN is never on it otherwise. The PIN in clear is known only to the run that
made it (AdminPin.shown); after a window closes it stays in this process's memory for the next press, as it
stays in the journal that printed it at first start: whoever can read either already controls the device.

    display = PinDisplay(kit.admin)
    display.show()           # the button, released after 1-3 s
    display.now()            # {"state": "shown", "pin": "483920", "left_s": 10.0}; 10 s later {"state": "hidden"}
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from device.admin import AdminPin

logger = logging.getLogger(__name__)

SHOW_S = 10.0


class PinDisplay:
    def __init__(self, admin: AdminPin, *, show_s: float = SHOW_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.admin = admin
        self.show_s = show_s
        self.clock = clock
        self._until = 0.0
        self._lock = threading.Lock()

    def show(self) -> None:
        """Open the window (the button's 1-3 s press); a second press starts it again."""
        with self._lock:
            self._until = self.clock() + self.show_s
        logger.info("button: the admin PIN is on the kiosk screen for %.0f s", self.show_s)

    def now(self) -> dict[str, Any]:
        """What the kiosk shows now: "hidden"; "shown" with the PIN; or "unknown" (a window is open, but this run
        did not make the PIN, so it knows only its hash)."""
        with self._lock:
            left = self._until - self.clock()
        if left <= 0:
            return {"state": "hidden"}
        pin = self.admin.shown
        if pin is None:
            return {"state": "unknown", "left_s": round(left, 1)}
        return {"state": "shown", "pin": pin, "left_s": round(left, 1)}
