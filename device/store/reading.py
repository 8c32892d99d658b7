"""The store's reads: a small pool of read-only connections shared by every thread; no writer needed.

    reads = Reads(path)                  # Store inherits these; `awareness-kit export` only reads
    reads.query(kind="face", limit=20)   # readers never block the writer (WAL)
"""

from __future__ import annotations

import json
import logging
import queue
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from device.observations import Observation
from device.store.schema import SIDE_ORDER, SIDE_TABLES
from device.store.space import reusable_bytes

logger = logging.getLogger(__name__)

READERS = 4         # read-only connections shared by every thread


class Reads:
    """What the dashboard, the API and the export read: observations, their inventory and the side tables."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.data_dir = self.path.parent
        self._readers: queue.LifoQueue[sqlite3.Connection] = queue.LifoQueue()
        self._reader_slots = threading.BoundedSemaphore(READERS)

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        """One of a few read-only connections, for one read. The web server has a thread per connection
        (88 at the default cap); a connection per thread grew the kit by ~25 MB and 170 open files over a
        busy few minutes (bench/soak.py). A few shared ones are plenty: reads take milliseconds."""
        with self._reader_slots:
            try:
                conn = self._readers.get_nowait()
            except queue.Empty:
                conn = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)
                conn.execute("PRAGMA busy_timeout=10000")
                conn.row_factory = sqlite3.Row
            try:
                yield conn
            finally:
                self._readers.put(conn)

    def _close_readers(self) -> None:
        """Close the pooled connections (those in use go back to the pool and close with the process)."""
        while True:
            try:
                self._readers.get_nowait().close()
            except queue.Empty:
                return

    def query(self, *, kind: str | None = None, since: float | None = None, until: float | None = None,
              subject: str | None = None, limit: int = 100, offset: int = 0,
              newest_first: bool = False) -> list[Observation]:
        """Observations, oldest first: the first *limit* after *since*, or the newest *limit* without it
        (newest_first: newest first, for paging back through the data page)."""
        text, args = _where(kind=kind, since=since, until=until, subject=subject)
        order = "DESC" if newest_first or since is None else "ASC"
        with self._reading() as conn:
            rows = conn.execute(
                f"SELECT * FROM observations {text} ORDER BY ts {order}, id {order} LIMIT ? OFFSET ?",
                (*args, limit, offset)).fetchall()
        if since is None and not newest_first:
            rows.reverse()
        return [_observation(r) for r in rows]

    def count(self, *, kind: str | None = None, subject: str | None = None, since: float | None = None,
              until: float | None = None) -> int:
        text, args = _where(kind=kind, since=since, until=until, subject=subject)
        with self._reading() as conn:
            return conn.execute(f"SELECT COUNT(*) FROM observations {text}", args).fetchone()[0]

    def iterate(self, *, kind: str | None = None, since: float | None = None) -> Iterator[Observation]:
        """Every observation, oldest first, a page at a time (for exports of any size)."""
        last_id = 0
        while True:
            where, args = ["id > ?"], [last_id]
            if kind:
                where.append("kind = ?")
                args.append(kind)
            if since is not None:
                where.append("ts > ?")
                args.append(since)
            with self._reading() as conn:
                rows = conn.execute(f"SELECT * FROM observations WHERE {' AND '.join(where)} ORDER BY id LIMIT 1000",
                                    args).fetchall()
            if not rows:
                return
            last_id = rows[-1]["id"]
            yield from (_observation(r) for r in rows)

    def inventory(self) -> list[dict[str, Any]]:
        """Per kind: how many rows, about how many bytes, the oldest and the newest."""
        with self._reading() as conn:
            rows = conn.execute(
                "SELECT kind, COUNT(*) AS count, SUM(LENGTH(value)) + 48 * COUNT(*) AS bytes, MIN(ts) AS oldest, "
                "MAX(ts) AS newest FROM observations GROUP BY kind").fetchall()
        return [dict(r) for r in rows]

    def counts(self) -> dict[str, int]:
        """How many rows of each kind: from the (kind, ts) index alone, unlike inventory(), which reads every value."""
        with self._reading() as conn:
            return dict(conn.execute("SELECT kind, COUNT(*) FROM observations GROUP BY kind").fetchall())

    def subjects(self, *, kind: str, since: float) -> int:
        """How many different subjects have observations of *kind* since *since*."""
        with self._reading() as conn:
            return conn.execute("SELECT COUNT(DISTINCT subject) FROM observations WHERE kind = ? AND ts >= ?",
                                (kind, since)).fetchone()[0]

    def tables(self) -> dict[str, list[str]]:
        """Every table this store holds, with its columns (the data page shows each one)."""
        with self._reading() as conn:
            names = [r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
            return {name: [c[1] for c in conn.execute(f"PRAGMA table_info({name})")] for name in names}

    def side_rows(self, table: str, *, limit: int = 50, offset: int = 0,
                  subject: str | None = None) -> tuple[int, list[dict[str, Any]]]:
        """(how many rows, the rows from *offset*, newest first) of a side table; only *subject*'s if given."""
        if table not in SIDE_TABLES:
            raise ValueError(f"no such table: {table}")
        order = SIDE_ORDER[table]
        where, args = ("WHERE subject = ?", [subject]) if subject is not None else ("", [])
        with self._reading() as conn:
            total = conn.execute(f"SELECT COUNT(*) FROM {table} {where}", args).fetchone()[0]
            rows = conn.execute(f"SELECT * FROM {table} {where} ORDER BY {order} DESC LIMIT ? OFFSET ?",
                                (*args, limit, offset)).fetchall()
        return total, [dict(r) for r in rows]

    def snapshot(self, snapshot_id: int) -> dict[str, Any] | None:
        """One row of the snapshots table by its id, or None (the picture's route reads only files listed here)."""
        with self._reading() as conn:
            row = conn.execute("SELECT * FROM snapshots WHERE id = ?", (snapshot_id,)).fetchone()
        return dict(row) if row else None

    def snapshots_of_files(self, files: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The snapshots table's rows that list *files* (as the snapshot observations name them), by file."""
        wanted = sorted(set(files))
        if not wanted:
            return {}
        with self._reading() as conn:
            rows = conn.execute(f"SELECT * FROM snapshots WHERE file IN ({', '.join('?' * len(wanted))})",
                                wanted).fetchall()
        return {row["file"]: dict(row) for row in rows}

    def side_counts(self) -> dict[str, int]:
        """Rows in each side table."""
        with self._reading() as conn:
            return {table: conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] for table in SIDE_TABLES}

    def per_minute(self, *, kind: str, since: float, distinct_subjects: bool = False) -> list[tuple[int, float]]:
        """(minute since *since*, how many rows, or distinct subjects) for one kind."""
        what = "COUNT(DISTINCT subject)" if distinct_subjects else "COUNT(*)"
        with self._reading() as conn:
            return [tuple(r) for r in conn.execute(
                f"SELECT CAST((ts - ?) / 60 AS INTEGER) AS m, {what} FROM observations WHERE kind = ? AND ts >= ? "
                "GROUP BY m", (since, kind, since))]

    def per_hour_new_tracks(self, *, since: float) -> list[tuple[int, float]]:
        """(hour since *since*, tracks that started then), from the tracks table."""
        with self._reading() as conn:
            return [tuple(r) for r in conn.execute(
                "SELECT CAST((first_seen - ?) / 3600 AS INTEGER) AS h, COUNT(*) FROM tracks WHERE first_seen >= ? "
                "GROUP BY h", (since, since))]

    def dwell_times(self) -> list[float]:
        with self._reading() as conn:
            return [r[0] for r in conn.execute("SELECT dwell_s FROM tracks WHERE dwell_s IS NOT NULL")]

    def visitor(self, subject: str) -> dict[str, Any] | None:
        """One phone's row of the visitors table, or None."""
        with self._reading() as conn:
            row = conn.execute("SELECT * FROM visitors WHERE subject = ?", (subject,)).fetchone()
        return dict(row) if row else None

    def reusable_bytes(self) -> int:
        """Bytes of free pages inside the database: new rows fill them before the file grows."""
        with self._reading() as conn:
            return reusable_bytes(conn)

    def size_bytes(self) -> int:
        """The database's bytes on disk, its -wal and -shm included."""
        total = 0
        for end in ("", "-wal", "-shm"):
            try:
                total += self.path.with_name(self.path.name + end).stat().st_size
            except FileNotFoundError:
                pass
        return total


def _where(**filters: Any) -> tuple[str, list[Any]]:
    """The WHERE clause for the filters given (kind, subject equal; since exclusive, until inclusive)."""
    ops = {"kind": "kind = ?", "subject": "subject = ?", "since": "ts > ?", "until": "ts <= ?"}
    used = [(ops[name], value) for name, value in filters.items() if value is not None]
    text = f"WHERE {' AND '.join(clause for clause, _ in used)}" if used else ""
    return text, [value for _, value in used]


def _observation(row: sqlite3.Row) -> Observation:
    return Observation(row["ts"], row["source"], row["kind"], row["subject"], json.loads(row["value"]),
                       row["confidence"], id=row["id"])
