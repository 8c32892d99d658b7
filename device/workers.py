"""Named worker threads with a stop event, an idempotent close(), and restart with back-off on failure.

    worker = Worker("capture", loop)     # loop(stop: threading.Event) runs until stop is set
    worker.start()
    ...
    worker.close()                        # sets stop, joins

A loop that raises is logged and run again after 0.5 s, 1 s, 2 s ... up to 30 s; the other workers go on.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

logger = logging.getLogger(__name__)


class Worker:
    def __init__(self, name: str, loop: Callable[[threading.Event], None], *,
                 on_failure: Callable[[BaseException], None] | None = None, max_backoff_s: float = 30.0) -> None:
        self.name = name
        self._loop = loop
        self._on_failure = on_failure
        self._max_backoff = max_backoff_s
        self.stop_event = threading.Event()
        self.failures = 0
        self.last_error: str | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> Worker:
        self._thread.start()
        return self

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        backoff = 0.5
        while not self.stop_event.is_set():
            started = time.monotonic()
            try:
                self._loop(self.stop_event)
                return
            except Exception as exc:   # a worker must never take the kit down with it
                self.failures += 1
                self.last_error = f"{type(exc).__name__}: {exc}"
                if self._on_failure:
                    self._on_failure(exc)
                if time.monotonic() - started > 60:
                    backoff = 0.5       # it ran well for a while: start the back-off again
                logger.warning("%s failed (%s); restarting in %.1f s", self.name, self.last_error, backoff,
                               exc_info=logger.isEnabledFor(logging.DEBUG))
                self.stop_event.wait(backoff)
                backoff = min(backoff * 2, self._max_backoff)

    def close(self, timeout: float = 1.5) -> None:
        self.stop_event.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)
            if self._thread.is_alive():
                logger.warning("%s did not stop within %.1f s", self.name, timeout)
