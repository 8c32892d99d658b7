"""Whether the store is storing, and what it could not store: the state /api/status and the dashboard show.

A write the disk or the database refuses pauses storing; the writer keeps the observations in memory and
tries again every RETRY_S until it works (device/store/writer.py). Nothing here is silent: pausing and
resuming are logged, and every observation that did not reach the disk is counted.

    health = Health(path)
    health.pause(exc)          # sqlite3.OperationalError("database or disk is full") -> "paused: disk full"
    health.resume()            # logs how long storing was paused and what was lost meanwhile
    health.status()            # {"state": "storing", "since": ..., "failed": 0, "waiting": 0, ...}
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from device.errors import StoreError
from device.observations import Observation
from device.store.batches import Batches

logger = logging.getLogger(__name__)

STORING = "storing"
DISK_FULL = "paused: disk full"
READ_ONLY = "paused: database read-only"
LOCKED = "paused: database locked"
CANNOT_WRITE = "paused: cannot write"
REOPEN = (READ_ONLY, CANNOT_WRITE)    # a new connection may write where the old one cannot
REMIND_S = 60.0               # while paused, a reminder in the log once a minute

# SQLite's primary result codes (https://sqlite.org/rescode.html) -> what the dashboard says
_STATES = {13: DISK_FULL, 8: READ_ONLY, 5: LOCKED, 6: LOCKED}
_DISK = {*_STATES, 10, 14}    # and SQLITE_IOERR, SQLITE_CANTOPEN: the disk or the file, not the SQL


class StorePaused(StoreError):
    """A write the disk or the database refused (full, read-only, locked): storing is paused, not broken;
    it resumes by itself when the write works again."""


def state_for(exc: BaseException) -> str:
    """The paused state an error from SQLite means ("paused: disk full", ...)."""
    code = getattr(exc, "sqlite_errorcode", None)
    return _STATES.get(code & 0xFF, CANNOT_WRITE) if isinstance(code, int) else CANNOT_WRITE


def pauses(exc: BaseException) -> bool:
    """True for an error of the disk or the database file (not of the SQL or of one row): storing pauses."""
    code = getattr(exc, "sqlite_errorcode", None)
    return isinstance(exc, sqlite3.OperationalError) and isinstance(code, int) and code & 0xFF in _DISK


class Health:
    """The store's state and its counts of observations that did not go straight to the disk.

    failed:  observations whose write failed or was put off while storing was paused (each counted once)
    waiting: of those, the ones held in memory now, to be written when storing resumes
    late:    of those, the ones written after all
    dropped: lost because more were waiting than the queue holds (WRITER_QUEUE)
    lost:    never stored: dropped, refused by the database, or still waiting when the kit stopped
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.state = STORING
        self.since = time.time()
        self.last_error: str | None = None
        self.last_error_at: float | None = None
        self.failed = self.waiting = self.late = self.dropped = self.abandoned = 0
        self._paused_at = 0.0
        self._reminded = 0.0
        self.lost_elsewhere: Callable[[], int] = lambda: 0     # set by the writer
        self._lock = threading.Lock()

    def pause(self, exc: BaseException) -> str:
        """Storing is paused by *exc* (or still is); returns the state. Loud the first time, then once a minute."""
        state = state_for(exc)
        now = time.monotonic()
        with self._lock:
            self.last_error, self.last_error_at = str(exc), time.time()
            changed = state != self.state
            if self.state == STORING:
                self._paused_at = now
            if changed:
                self.state, self.since = state, time.time()
        if changed:
            self._reminded = now
            logger.error("store: storing %s (%s, writing to %s); observations wait in memory and the kit tries "
                         "again every second", state, exc, self.path)
        elif now - self._reminded >= REMIND_S:
            self._reminded = now
            logger.warning("store: storing still %s for %.0f s (%s); %d observations waiting, %d lost so far",
                           state, now - self._paused_at, exc, self.waiting, self.lost)
        return state

    def note(self, exc: BaseException) -> None:
        """Another try failed (the state stays as it is)."""
        with self._lock:
            self.last_error, self.last_error_at = str(exc), time.time()

    def resume(self) -> None:
        """Writing works again: log how long it was paused and what it cost."""
        with self._lock:
            if self.state == STORING:
                return
            state, self.state, self.since = self.state, STORING, time.time()
        logger.warning("store: storing again after %.1f s %s; %d observations written late, %d lost so far",
                       time.monotonic() - self._paused_at, state, self.late, self.lost)

    @property
    def lost(self) -> int:
        """Lost for good: dropped while paused, abandoned at stop, and what the writer counts elsewhere (the
        hub's queue overflowing, rows the database refused), so the log and /api/status give one figure."""
        return self.dropped + self.abandoned + self.lost_elsewhere()

    def status(self) -> dict[str, Any]:
        with self._lock:
            return {"state": self.state, "since": round(self.since, 3), "last_error": self.last_error,
                    "last_error_at": self.last_error_at, "failed": self.failed, "waiting": self.waiting,
                    "late": self.late}


class Waiting:
    """Observations not written while storing is paused, oldest first, kept until writing works again; beyond
    *capacity* the oldest are dropped (and counted). settle(n) tells the writer n are written or gone."""

    def __init__(self, health: Health, capacity: int, settle: Callable[[int], None]) -> None:
        self.health = health
        self.capacity = capacity
        self._settle = settle
        self._queue: deque[Observation] = deque()

    def __len__(self) -> int:
        return len(self._queue)

    def add(self, observations: list[Observation]) -> None:
        self._queue.extend(observations)
        self.health.failed += len(observations)
        over = len(self._queue) - self.capacity
        for _ in range(max(0, over)):
            self._queue.popleft()
        if over > 0:
            self.health.dropped += over
            self._settle(over)
        self.health.waiting = len(self._queue)

    def retry(self, batches: Batches, chunk: int) -> sqlite3.Error | None:
        """Write them again, a chunk per transaction; the error that stopped it, or None when all went."""
        while self._queue:
            batch = [self._queue.popleft() for _ in range(min(chunk, len(self._queue)))]
            unwritten, error = batches.write(batch)
            self.health.late += len(batch) - len(unwritten)
            self._settle(len(batch) - len(unwritten))
            self._queue.extendleft(reversed(unwritten))
            self.health.waiting = len(self._queue)
            if error is not None:
                return error
        return None

    def forget(self, drop: Callable[[Observation], bool]) -> Counter[str]:
        """Take out those *drop* selects (forgetting while paused); their counts by kind."""
        gone = Counter(o.kind for o in self._queue if drop(o))
        if gone:
            self._queue = deque(o for o in self._queue if not drop(o))
            self.health.waiting = len(self._queue)
            self._settle(sum(gone.values()))
        return gone

    def give_up(self) -> None:
        """Stopping while paused: what still waits is lost; say so."""
        if self._queue:
            logger.error("store: stopping while storing is %s: %d observations could not be written to %s and "
                         "are lost", self.health.state, len(self._queue), self.health.path)
            self.health.abandoned += len(self._queue)
            self._settle(len(self._queue))
            self._queue.clear()
            self.health.waiting = 0
