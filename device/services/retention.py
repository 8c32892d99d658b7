"""Retention by age and by disk space: each kind is kept as long as the config says, and when the disk is
nearly full the least valuable kinds stop being stored and the oldest rows go first.

    retention = Retention(config, store)
    Worker("housekeeping", retention.loop).start()     # every minute
    retention.keep_house()                              # {"motion": 120, ...}: rows pruned per kind
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from typing import Any

from device.config import Config
from device.observations import KINDS
from device.store import Store

logger = logging.getLogger(__name__)

EVERY_S = 60.0


class Retention:
    def __init__(self, config: Config, store: Store) -> None:
        self.store = store
        self.data_dir = config.data_dir
        self.min_free_mb = config.store.min_free_mb
        self.hours: dict[str, float] = config.retention_hours()
        self.disk: dict[str, Any] = {}

    def loop(self, stop: threading.Event) -> None:
        while not stop.is_set():
            self.keep_house()
            stop.wait(EVERY_S)

    def keep_house(self, now: float | None = None) -> dict[str, int]:
        """Apply retention by age, then by disk space; returns how many rows went, per kind."""
        now = time.time() if now is None else now
        pruned = {}
        for kind, hours in self.hours.items():
            n = self.store.prune(kind=kind, before=now - hours * 3600)
            if n:
                pruned[kind] = n
        n = self.store.prune_side(now - max(self.hours.values()) * 3600)
        if n:
            pruned["side tables"] = n
        free_mb = shutil.disk_usage(self.data_dir).free / 1e6
        low = free_mb < self.min_free_mb
        self.store.skip_kinds = frozenset(k for k, kind in KINDS.items() if kind.low_value) if low else frozenset()
        if low:
            n = self.store.prune(oldest=max(1000, self.store.count() // 10))
            pruned["oldest (disk nearly full)"] = n
            logger.warning("store: %.0f MB free, under %d MB: not storing %s; pruned the oldest %d rows", free_mb,
                           self.min_free_mb, ", ".join(sorted(self.store.skip_kinds)), n)
        self.disk = {"free_mb": round(free_mb), "low": low, "min_free_mb": self.min_free_mb}
        return pruned
