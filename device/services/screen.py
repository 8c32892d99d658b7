"""The kiosk screen's view: the live view, the stored data, or the summary a class reads on a projector.

    screen = Screen()
    screen.toggle()           # the device's button, a short press: live -> data -> summary -> live
    screen.show("summary")    # class mode (a ValueError names the views for any other name)
    screen.show("summary", for_s=300)   # for five minutes, then live again by itself
    screen.view               # what the kiosk shows (kit.status()["kiosk_view"]; the page follows it)
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

logger = logging.getLogger(__name__)

VIEWS = ("live", "data", "summary")


class Screen:
    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()       # the button's thread and the web's may both change the view
        self._clock = clock
        self._view = "live"
        self._until: float | None = None    # a timed view (show(for_s=)) gives way to live then

    @property
    def view(self) -> str:
        """The view shown now: a timed one turns back to live by itself once its time is up."""
        with self._lock:
            return self._current()

    def _current(self) -> str:
        """The view now, under the lock: a timed view whose time is up gives way to live."""
        if self._until is not None and self._clock() >= self._until:
            self._view, self._until = "live", None
            logger.info("kiosk view: live (the timed view's time is up)")
        return self._view

    def toggle(self) -> str:
        """The button's short press: the next view, in the order of VIEWS; returns it. A person chose it: it stays.
        Read and changed under one lock: a view the web shows meanwhile is the one the press moves on from."""
        with self._lock:
            view = self._view = VIEWS[(VIEWS.index(self._current()) + 1) % len(VIEWS)]
            self._until = None
        logger.info("kiosk view: %s", view)
        return view

    def show(self, view: str, *, for_s: float | None = None) -> None:
        """Show *view*, one of VIEWS; for *for_s* seconds and then live again, if given."""
        if view not in VIEWS:
            raise ValueError(f"no such kiosk view {view[:20]!r}: expected one of {', '.join(VIEWS)}")
        with self._lock:
            self._view = view
            self._until = self._clock() + for_s if for_s is not None else None
        logger.info("kiosk view: %s%s", view, f" for {for_s:g} s" if for_s is not None else "")
