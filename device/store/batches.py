"""Batches of observations, written by the writer thread in one transaction each, with the side-table
rows their kinds' owners route (see routing.py). A batch the disk refuses is counted, not retried; a row
the database refuses loses only its own observation.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from pathlib import Path
from typing import Any

from device.observations import Observation
from device.store.routing import SideTables, Split

logger = logging.getLogger(__name__)

FAILURE_LOG_S = 60.0          # a failing disk is logged once a minute, not once a batch
INSERT = "INSERT INTO observations (ts, source, kind, subject, value, confidence) VALUES (?,?,?,?,?,?)"
_encode = json.JSONEncoder(separators=(",", ":")).encode

Statement = tuple[str, tuple[Any, ...]]
Item = tuple[tuple[Any, ...], list[Statement]]       # an observation's row and its side-table statements


class Batches:
    """Writes observations on the writer's connection; counts what was written, skipped and failed."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path
        self.tables = SideTables(conn)
        self.routes: dict[str, Split] = {}
        self.skip_kinds: frozenset[str] = frozenset()    # kinds not stored while the disk is nearly full
        self.written = self.skipped = self.failed = 0
        self._last_failure_log = -FAILURE_LOG_S
        self._refused_kinds: set[str] = set()

    def route(self, kind: str, split: Split) -> None:
        if kind in self.routes:
            raise ValueError(f"observations of kind {kind!r} are already routed (one owner per kind)")
        self.routes = {**self.routes, kind: split}        # a new dict: the writer reads it without a lock

    def write(self, batch: list[Observation]) -> None:
        """Write one batch in one transaction (the skipped ones counted as written, as ever)."""
        items: list[Item] = []
        failed = 0
        routes, skip = self.routes, self.skip_kinds
        for obs in batch:
            if obs.kind in skip:
                self.skipped += 1
                continue
            try:
                split = routes.get(obs.kind)
                if split is None:
                    items.append(((obs.ts, obs.source, obs.kind, obs.subject, _encode(obs.value), obs.confidence), []))
                else:
                    value, side = split(obs)
                    items.append(((obs.ts, obs.source, obs.kind, obs.subject, _encode(value), obs.confidence),
                                  [self.tables.statement(row) for row in side]))
            except Exception as exc:              # a split or a value the store cannot take: this one only
                failed += 1
                self._refused(obs.kind, exc)
        try:
            if items:
                self._commit(items)
        except sqlite3.OperationalError as exc:   # the disk, not the data: the whole batch failed
            failed += len(items)
            self._log_failure(len(items), exc)
        except sqlite3.Error:                      # one bad row (a side row breaking a constraint): find it
            failed += self._commit_one_by_one(items)
        self.written += len(batch) - failed
        self.failed += failed

    def _commit(self, items: list[Item]) -> None:
        with self.conn:
            self.conn.executemany(INSERT, [row for row, _ in items])
            for _, side in items:
                for sql, args in side:
                    self.conn.execute(sql, args)

    def _commit_one_by_one(self, items: list[Item]) -> int:
        failed = 0
        for n, item in enumerate(items):
            try:
                self._commit([item])
            except sqlite3.OperationalError as exc:
                self._log_failure(len(items) - n, exc)
                return failed + len(items) - n
            except sqlite3.Error as exc:
                failed += 1
                self._refused(item[0][2], exc)
        return failed

    def _refused(self, kind: str, exc: BaseException) -> None:
        """Log an observation the store could not take: a warning the first time for its kind."""
        level = logging.DEBUG if kind in self._refused_kinds else logging.WARNING
        self._refused_kinds.add(kind)
        logger.log(level, "store: a %s observation was not stored (%r); failed ones are counted", kind, exc)

    def _log_failure(self, count: int, exc: sqlite3.Error) -> None:
        now = time.monotonic()
        if now - self._last_failure_log >= FAILURE_LOG_S:
            self._last_failure_log = now
            logger.warning("store: %d observations could not be written to %s (%s); %d so far",
                           count, self.path, exc, self.failed + count)
