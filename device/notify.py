"""systemd's notify protocol, without a dependency: READY=1 when serving, WATCHDOG=1 from the main loop,
STOPPING=1 on the way out. Does nothing when not started by systemd (no NOTIFY_SOCKET).

    notifier = Notifier(os.environ)
    notifier.ready("serving on port 80")
    while not stop.wait(notifier.interval_s): notifier.watchdog()
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Mapping

logger = logging.getLogger(__name__)


class Notifier:
    def __init__(self, environ: Mapping[str, str]) -> None:
        address = environ.get("NOTIFY_SOCKET", "")
        self.address = "\0" + address[1:] if address.startswith("@") else address
        usec = environ.get("WATCHDOG_USEC", "")
        self.watchdog_s = int(usec) / 1e6 if usec.isdigit() and int(usec) > 0 else None

    @property
    def interval_s(self) -> float:
        """How often the main loop should call watchdog(): half the watchdog period, or every 5 s."""
        return self.watchdog_s / 2 if self.watchdog_s else 5.0

    def _send(self, message: str) -> None:
        if not self.address:
            return
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
                sock.sendto(message.encode(), self.address)
        except OSError as exc:
            logger.warning("systemd notify failed: %s", exc)

    def ready(self, status: str) -> None:
        self._send(f"READY=1\nSTATUS={status}")

    def watchdog(self) -> None:
        if self.watchdog_s:
            self._send("WATCHDOG=1")

    def stopping(self) -> None:
        self._send("STOPPING=1")
