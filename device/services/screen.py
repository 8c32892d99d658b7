"""The kiosk screen's view, which the device's button switches: the live view or the stored data."""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)

VIEWS = ("live", "data")


class Screen:
    def __init__(self) -> None:
        self.view = "live"

    def toggle(self) -> None:
        """The button's short press."""
        self.view = VIEWS[(VIEWS.index(self.view) + 1) % len(VIEWS)]
        logger.info("kiosk view: %s", self.view)
