"""Retention by age and by disk space: each kind is kept as long as the config says, and when the disk is
nearly full the least valuable kinds stop being stored and the oldest rows go first, in every table.

    retention = Retention(config, store)
    Worker("housekeeping", retention.loop).start()     # every minute, and at once when the disk fills up
    retention.keep_house()                              # {"motion": 120, ...}: rows pruned per kind

"Nearly full" counts the free pages inside the database as free: pruning frees pages that new rows reuse,
so the guard stops pruning once it has made room, even where the file system's figure does not move. When
the store says the disk *is* full (a write failed), the guard does not wait for its minute: it prunes the
oldest observations and side-table rows (visitors, tracks, snapshots) at once, and storing resumes.
"""

from __future__ import annotations

import functools
import logging
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Any

from device.config import Config
from device.errors import StoreError
from device.observations import KINDS
from device.store import DISK_FULL, Store

logger = logging.getLogger(__name__)

EVERY_S = 60.0
TICK_S = 0.5                  # how often the loop looks at the store's state between rounds
FULL_AGAIN_S = 2.0            # while the disk stays full, prune again at most this often
SHARE = 10                    # on a nearly full disk, the oldest tenth of each table goes
AT_LEAST_OBSERVATIONS = 1000
ROUNDS = 5                    # on a full disk, at most this many tenths go in one go (about 40 %)


class Retention:
    def __init__(self, config: Config, store: Store) -> None:
        self.store = store
        self.data_dir = config.data_dir
        self.min_free_mb = config.store.min_free_mb
        self.hours: dict[str, float] = config.retention_hours()
        self.disk: dict[str, Any] = {}
        self._guarded = 0.0           # when guard_disk() last ran (time.time())

    def loop(self, stop: threading.Event) -> None:
        next_round = 0.0
        while not stop.is_set():
            now = time.monotonic()
            if now >= next_round:
                self.keep_house()
                next_round = now + EVERY_S
            elif self.store.state == DISK_FULL and (self._guarded < self.store.since or
                                                    time.time() - self._guarded >= FULL_AGAIN_S):
                self.guard_disk()
            stop.wait(TICK_S)

    def keep_house(self, now: float | None = None) -> dict[str, int]:
        """Apply retention by age, then by disk space; returns how many rows went, per kind."""
        now = time.time() if now is None else now
        pruned: dict[str, int] = {}
        for kind, hours in self.hours.items():
            self._add(pruned, kind, self._try(kind, functools.partial(self.store.prune, kind=kind,
                                                                        before=now - hours * 3600)))
        longest = max(self.hours.values()) * 3600
        self._add(pruned, "side tables", self._try("side tables", lambda: self.store.prune_side(now - longest)))
        for path in self.store.moved_aside():      # a damaged database holds personal data: kept no longer
            try:                                   # than its newest rows may be (it was last written then)
                if path.stat().st_mtime < now - longest:
                    path.unlink()
                    logger.info("store: deleted %s, a damaged database moved aside, last written over %.0f h ago",
                                path, longest / 3600)
            except OSError as exc:
                logger.warning("store: could not delete %s: %s", path, exc)
        pruned.update(self.guard_disk())
        return pruned

    def guard_disk(self) -> dict[str, int]:
        """When the disk is nearly full (or a write found it full): stop the least valuable kinds and prune
        the oldest tenth of every table; otherwise store everything and keep the reserve. Returns counts."""
        self._guarded = time.time()
        full = self.store.state == DISK_FULL
        free_mb = self._free_mb()
        low = full or free_mb < self.min_free_mb
        self.store.skip_kinds = frozenset(k for k, kind in KINDS.items() if kind.low_value) if low else frozenset()
        pruned: dict[str, int] = {}
        if low:
            for path in self.store.moved_aside():     # the first to go: nobody is looking at them
                path.unlink(missing_ok=True)
                logger.warning("store: the disk is nearly full: deleted %s, a damaged database moved aside", path)
            oldest, side = "oldest (disk nearly full)", "oldest side rows (disk nearly full)"
            for _ in range(ROUNDS if full else 1):     # full: until the reserve is back, for the next time
                self._add(pruned, oldest, self._try(oldest, lambda: self.store.prune(    # room for those waiting
                    oldest=max(AT_LEAST_OBSERVATIONS, self.store.count() // SHARE, self.store.waiting))))
                self._add(pruned, side, self._try(side, lambda: self.store.prune_side(
                    oldest={table: -(-n // SHARE) for table, n in self.store.side_counts().items()})))
                self._try("free pages given back", self.store.give_back)
                if self.store.keep_reserve(room=1.0) or not self.store.count():
                    break
            why = ("a write found the disk full" if full else
                   f"{free_mb:.0f} MB free, under {self.min_free_mb} MB: the disk is nearly full")
            logger.warning("store: %s: not storing %s; pruned the oldest %d rows and %d side-table rows", why,
                           ", ".join(sorted(self.store.skip_kinds)), pruned.get(oldest, 0), pruned.get(side, 0))
            free_mb = self._free_mb()
        else:
            self.store.keep_reserve()
        self.disk = {"free_mb": round(free_mb), "low": low, "full": full, "min_free_mb": self.min_free_mb}
        return pruned

    def _free_mb(self) -> float:
        """Free space for the database: the file system's, and the free pages inside the database."""
        try:
            inside = self.store.reusable_bytes()
        except sqlite3.Error:
            inside = 0
        return (shutil.disk_usage(self.data_dir).free + inside) / 1e6

    @staticmethod
    def _try(what: str, step: Callable[[], int]) -> int:
        """One step; one that fails (the store paused, the writer busy) is logged, and the others go on."""
        try:
            return step()
        except (StoreError, sqlite3.Error, TimeoutError) as exc:
            logger.warning("store: %s: not done this time: %s", what, exc)
            return 0

    @staticmethod
    def _add(pruned: dict[str, int], name: str, n: int) -> None:
        if n:
            pruned[name] = pruned.get(name, 0) + n
