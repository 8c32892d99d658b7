"""The store: observations in SQLite (WAL), written by one thread in batches, read by anyone.

    store = Store(data_dir / "awareness.db")
    store.start(hub)                     # the writer subscribes to the hub
    store.flush(timeout=2)               # wait until everything published so far is on disk
    store.query(kind="face", limit=20)   # readers never block the writer
    store.close()                        # drains, commits, closes

Nothing is stored that is not an observation: the data page shows every table this file creates.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from importlib import resources
from pathlib import Path
from typing import Any

from device.hub import ObservationHub, Subscription
from device.observations import Observation
from device.workers import Worker

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1
WRITER_QUEUE = 100_000        # about an hour of the busiest kit's observations, should the disk stall


class Store:
    def __init__(self, path: Path, *, flush_interval_s: float = 0.5) -> None:
        self.path = Path(path)
        self.flush_interval_s = flush_interval_s
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._written = 0
        self._progress = threading.Condition()
        self._subscription: Subscription | None = None
        self._worker: Worker | None = None
        self._migrate()

    # ---- schema
    def _connect(self, *, readonly: bool = False) -> sqlite3.Connection:
        if readonly:
            conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
        else:
            conn = sqlite3.connect(self.path, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA busy_timeout=2000")
        return conn

    def _migrate(self) -> None:
        conn = self._connect()
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise RuntimeError(f"{self.path} was written by a newer awareness-kit (schema {version}); "
                                   "upgrade the kit or move the data directory aside")
            if version < 1:
                conn.executescript(resources.files("device.store").joinpath("schema.sql").read_text())
                conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
                conn.commit()
        finally:
            conn.close()

    # ---- writing
    def start(self, hub: ObservationHub) -> None:
        """Subscribe to the hub and start the writer thread."""
        self._subscription = hub.subscribe(maxsize=WRITER_QUEUE)
        self._conn = self._connect()
        self._worker = Worker("store-writer", self._write_loop).start()

    def _write_loop(self, stop: threading.Event) -> None:
        assert self._subscription is not None
        while True:
            batch = self._subscription.get_batch(self.flush_interval_s, limit=2000)
            if batch:
                self._write(batch)
            elif stop.is_set() or self._subscription.closed:
                return

    def _write(self, batch: list[Observation]) -> None:
        rows = [(o.ts, o.source, o.kind, o.subject, json.dumps(o.value, separators=(",", ":")), o.confidence)
                for o in batch]
        with self._conn:
            self._conn.executemany(
                "INSERT INTO observations (ts, source, kind, subject, value, confidence) VALUES (?,?,?,?,?,?)",
                rows)
        with self._progress:
            self._written += len(rows)
            self._progress.notify_all()

    @property
    def dropped(self) -> int:
        """Observations lost because the writer fell more than WRITER_QUEUE behind."""
        return self._subscription.dropped if self._subscription else 0

    @property
    def written(self) -> int:
        return self._written

    def flush(self, timeout: float = 2.0) -> bool:
        """Wait until every observation published before this call is committed; False on timeout."""
        if self._subscription is None:
            return True
        target = self._subscription.delivered - self._subscription.dropped
        with self._progress:
            return self._progress.wait_for(lambda: self._written >= target, timeout)

    def close(self) -> None:
        """Stop the writer after it has written everything already published; idempotent."""
        if self._subscription is not None:
            self._subscription.close()       # the writer drains what is queued, then returns
        if self._worker is not None:
            self._worker.close(timeout=3.0)
            self._worker = None
            self._conn.close()

    def forget_all(self) -> dict[str, int]:
        """Delete every observation in one transaction; returns how many of each kind were deleted.
        The deleted rows' pages are freed for reuse at once; the file shrinks at the next VACUUM."""
        conn = self._connect()
        try:
            with conn:
                conn.execute("BEGIN IMMEDIATE")
                counts = dict(conn.execute("SELECT kind, COUNT(*) FROM observations GROUP BY kind").fetchall())
                conn.execute("DELETE FROM observations")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")     # the deleted rows leave the WAL file too
        finally:
            conn.close()
        return counts

    # ---- reading
    def _reader(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect(readonly=True)
            conn.row_factory = sqlite3.Row
            self._local.conn = conn
        return conn

    def query(self, *, kind: str | None = None, since: float | None = None, limit: int = 100) -> list[Observation]:
        """Observations, oldest first: the first *limit* after *since*, or the newest *limit* without it."""
        where, args = [], []
        if kind:
            where.append("kind = ?")
            args.append(kind)
        if since is not None:
            where.append("ts > ?")
            args.append(since)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        order = "ASC" if since is not None else "DESC"
        rows = self._reader().execute(
            f"SELECT * FROM observations {clause} ORDER BY ts {order}, id {order} LIMIT ?", (*args, limit)
        ).fetchall()
        if since is None:
            rows.reverse()
        return [_observation(r) for r in rows]

    def inventory(self) -> list[dict[str, Any]]:
        """Per kind: how many rows, the oldest and the newest."""
        rows = self._reader().execute(
            "SELECT kind, COUNT(*) AS count, MIN(ts) AS oldest, MAX(ts) AS newest FROM observations GROUP BY kind"
        ).fetchall()
        return [dict(r) for r in rows]

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.path.parent.glob(self.path.name + "*") if p.is_file())


def _observation(row: sqlite3.Row) -> Observation:
    return Observation(row["ts"], row["source"], row["kind"], row["subject"], json.loads(row["value"]),
                       row["confidence"], id=row["id"])
