"""Batches of observations, written by the writer thread in one transaction each, with the side-table
rows their kinds' owners route (see routing.py). A batch the disk or the database refuses as a whole (full,
read-only, locked) comes back to the writer, which keeps it and tries again (see health.py); a row the
database refuses loses only its own observation, counted in refused.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from typing import Any

from device.observations import Observation
from device.store.routing import SideTables, Split

logger = logging.getLogger(__name__)

INSERT = "INSERT INTO observations (ts, source, kind, subject, value, confidence) VALUES (?,?,?,?,?,?)"
_encode = json.JSONEncoder(separators=(",", ":")).encode

Statement = tuple[str, tuple[Any, ...]]
Item = tuple[tuple[Any, ...], list[Statement]]       # an observation's row and its side-table statements
Refusal = tuple[list[Observation], sqlite3.Error | None]   # what was not written, and why


class Batches:
    """Writes observations on the writer's connection; counts what was written, skipped and refused."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.tables = SideTables(conn)
        self.routes: dict[str, Split] = {}
        self.skip_kinds: frozenset[str] = frozenset()    # kinds not stored while the disk is nearly full
        self.written = self.skipped = self.refused = 0
        self._refused_kinds: set[str] = set()

    def route(self, kind: str, split: Split) -> None:
        if kind in self.routes:
            raise ValueError(f"observations of kind {kind!r} are already routed (one owner per kind)")
        self.routes = {**self.routes, kind: split}        # a new dict: the writer reads it without a lock

    def use(self, conn: sqlite3.Connection) -> None:
        """Write on this connection from now on (the writer opened a new one)."""
        self.conn = conn

    def write(self, batch: list[Observation]) -> Refusal:
        """Write one batch in one transaction (the skipped ones counted as written, as ever). Returns the
        observations not written because the database refused writing at all (the disk, not the data), with
        its error; ([], None) when the batch was written."""
        items: list[Item] = []
        kept: list[Observation] = []
        refused = 0
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
                kept.append(obs)
            except Exception as exc:              # a split or a value the store cannot take: this one only
                refused += 1
                self._refused(obs.kind, exc)
        unwritten: list[Observation] = []
        error: sqlite3.Error | None = None
        try:
            if items:
                self._commit(items)
        except sqlite3.OperationalError as exc:   # the disk, not the data: the whole batch comes back
            unwritten, error = kept, exc
        except sqlite3.Error:                      # one bad row (a side row breaking a constraint): find it
            n, bad, error = self._commit_one_by_one(items)
            refused += bad
            unwritten = kept[n:] if error else []
        self.written += len(batch) - refused - len(unwritten)
        self.refused += refused
        return unwritten, error

    def _commit(self, items: list[Item]) -> None:
        with self.conn:
            self.conn.executemany(INSERT, [row for row, _ in items])
            for _, side in items:
                for sql, args in side:
                    self.conn.execute(sql, args)

    def _commit_one_by_one(self, items: list[Item]) -> tuple[int, int, sqlite3.Error | None]:
        """(items tried, of them refused, the error that stopped the rest or None)."""
        refused = 0
        for n, item in enumerate(items):
            try:
                self._commit([item])
            except sqlite3.OperationalError as exc:
                return n, refused, exc
            except sqlite3.Error as exc:
                refused += 1
                self._refused(item[0][2], exc)
        return len(items), refused, None

    def _refused(self, kind: str, exc: BaseException) -> None:
        """Log an observation the store could not take: a warning the first time for its kind."""
        level = logging.DEBUG if kind in self._refused_kinds else logging.WARNING
        self._refused_kinds.add(kind)
        logger.log(level, "store: a %s observation was not stored (%r); failed ones are counted", kind, exc)
