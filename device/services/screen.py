"""The kiosk screen's view: the live view, the stored data, or the summary a class reads on a projector.

    screen = Screen()
    screen.toggle()           # the device's button, a short press: live -> data -> summary -> live
    screen.show("summary")    # class mode (a ValueError names the views for any other name)
    screen.view               # what the kiosk shows (kit.status()["kiosk_view"]; the page follows it)
"""

from __future__ import annotations

import logging
import threading

logger = logging.getLogger(__name__)

VIEWS = ("live", "data", "summary")


class Screen:
    def __init__(self) -> None:
        self._lock = threading.Lock()       # the button's thread and the web's may both change the view
        self.view = "live"

    def toggle(self) -> str:
        """The button's short press: the next view, in the order of VIEWS; returns it."""
        with self._lock:
            self.view = VIEWS[(VIEWS.index(self.view) + 1) % len(VIEWS)]
            view = self.view
        logger.info("kiosk view: %s", view)
        return view

    def show(self, view: str) -> None:
        """Show *view*, one of VIEWS."""
        if view not in VIEWS:
            raise ValueError(f"no such kiosk view {view[:20]!r}: expected one of {', '.join(VIEWS)}")
        with self._lock:
            self.view = view
        logger.info("kiosk view: %s", view)
