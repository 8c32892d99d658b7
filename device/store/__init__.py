"""The store: observations in SQLite (WAL), written by one thread in batches, read by anyone.

    store = Store(data_dir / "awareness.db")
    store.start(hub)                     # the writer subscribes to the hub
    store.flush(timeout=2)               # wait until everything published so far is on disk
    store.query(kind="face", limit=20)   # readers never block the writer
    store.forget_subjects({"visitor:3f"})  # everything about someone, derived data included
    store.close()                        # drains, commits, closes

Nothing is stored that is not an observation or a row of the side tables (tracks, visitors, snapshots);
the data page shows every table and column this file creates, and every file under the data directory.
"""

from __future__ import annotations

import json
import logging
import queue
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from device.hub import ObservationHub, Subscription
from device.observations import Observation
from device.workers import Worker

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 2            # schema_N.sql migrates N-1 -> N; a kit upgraded in place keeps its data
WRITER_QUEUE = 100_000        # about an hour of the busiest kit's observations, should the disk stall
SIDE_TABLES = ("tracks", "visitors", "snapshots")
READERS = 4         # read-only connections shared by every thread
TRACK_DETAIL = ("trajectory", "signature")     # kept in the tracks table, not repeated in observations


class Store:
    def __init__(self, path: Path, *, flush_interval_s: float = 0.5) -> None:
        self.path = Path(path)
        self.data_dir = self.path.parent
        self.flush_interval_s = flush_interval_s
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._readers: queue.LifoQueue[sqlite3.Connection] = queue.LifoQueue()
        self._reader_slots = threading.BoundedSemaphore(READERS)
        self._written = 0
        self._progress = threading.Condition()
        self._subscription: Subscription | None = None
        self._worker: Worker | None = None
        self.skip_kinds: frozenset[str] = frozenset()    # kinds not stored while the disk is nearly full
        self.skipped = 0
        self._migrate()

    # ---- schema
    def _connect(self, *, readonly: bool = False) -> sqlite3.Connection:
        if readonly:
            conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
        else:
            conn = sqlite3.connect(self.path, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA busy_timeout=10000")
        return conn

    def _migrate(self) -> None:
        conn = self._connect()
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise RuntimeError(f"{self.path} was written by a newer awareness-kit (schema {version}); "
                                   "upgrade the kit or move the data directory aside")
            for step in range(version + 1, SCHEMA_VERSION + 1):
                script = resources.files("device.store").joinpath(f"schema_{step}.sql").read_text()
                with conn:
                    conn.executescript(script)
                    conn.execute(f"PRAGMA user_version={step}")
                logger.info("store: %s migrated to schema %d", self.path, step)
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
        rows, tracks, snapshots = [], [], []
        for o in batch:
            if o.kind in self.skip_kinds:
                self.skipped += 1
                continue
            value = o.value
            if o.kind == "person" and o.subject:
                tracks.append(_track_row(o))
                value = {k: v for k, v in value.items() if k not in TRACK_DETAIL}
            elif o.kind == "snapshot":
                snapshots.append((o.ts, o.subject, value["file"], int(bool(value.get("blurred")))))
            rows.append((o.ts, o.source, o.kind, o.subject, json.dumps(value, separators=(",", ":")),
                         o.confidence))
        with self._conn:
            self._conn.executemany(
                "INSERT INTO observations (ts, source, kind, subject, value, confidence) VALUES (?,?,?,?,?,?)",
                rows)
            self._conn.executemany(
                "INSERT INTO tracks (subject, first_seen, last_seen, dwell_s, looked, trajectory, signature) "
                "VALUES (?,?,?,?,?,?,?) ON CONFLICT(subject) DO UPDATE SET last_seen=excluded.last_seen, "
                "dwell_s=excluded.dwell_s, looked=excluded.looked, "
                "trajectory=COALESCE(excluded.trajectory, trajectory), signature=COALESCE(excluded.signature, "
                "signature)", tracks)
            self._conn.executemany("INSERT INTO snapshots (ts, subject, file, blurred) VALUES (?,?,?,?)", snapshots)
        with self._progress:
            self._written += len(batch)
            self._progress.notify_all()

    def record_visit(self, subject: str, ts: float, details: dict[str, Any]) -> int:
        """Add a phone's visit to the visitors table (the web layer calls this); returns the visit count."""
        conn = self._connect()
        try:
            with conn:
                conn.execute(
                    "INSERT INTO visitors (subject, first_seen, last_seen, details) VALUES (?,?,?,?) "
                    "ON CONFLICT(subject) DO UPDATE SET last_seen=excluded.last_seen, visits=visits+1, "
                    "details=excluded.details", (subject, ts, ts, json.dumps(details)))
                return conn.execute("SELECT visits FROM visitors WHERE subject=?", (subject,)).fetchone()[0]
        finally:
            conn.close()

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
        while True:             # readers in use go back to the pool and are closed with the process
            try:
                self._readers.get_nowait().close()
            except queue.Empty:
                break

    # ---- erasing
    def forget_all(self) -> dict[str, int]:
        """Delete every row of every table in one transaction, and the files the rows name; returns counts.
        The pages are free for reuse at once; vacuum() gives the space back to the file system."""
        conn = self._connect()
        try:
            with conn:
                conn.execute("BEGIN IMMEDIATE")
                counts = dict(conn.execute("SELECT kind, COUNT(*) FROM observations GROUP BY kind").fetchall())
                for table in SIDE_TABLES:
                    n = conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                    if n:
                        counts[table] = n
                files = [row[0] for row in conn.execute("SELECT file FROM snapshots")]
                conn.execute("DELETE FROM observations")
                for table in SIDE_TABLES:
                    conn.execute(f"DELETE FROM {table}")
        finally:
            conn.close()
        self._unlink(files)
        return counts

    def forget_subjects(self, subjects: Iterable[str]) -> dict[str, int]:
        """Delete everything about these subjects: their observations, tracks, visits and snapshots
        (with their files); returns how many rows of each kind or table went."""
        subjects = sorted(set(subjects))
        if not subjects:
            return {}
        marks = ",".join("?" * len(subjects))
        conn = self._connect()
        try:
            with conn:
                conn.execute("BEGIN IMMEDIATE")
                counts = dict(conn.execute(
                    f"SELECT kind, COUNT(*) FROM observations WHERE subject IN ({marks}) GROUP BY kind",
                    subjects).fetchall())
                files = [r[0] for r in conn.execute(f"SELECT file FROM snapshots WHERE subject IN ({marks})",
                                                    subjects)]
                conn.execute(f"DELETE FROM observations WHERE subject IN ({marks})", subjects)
                for table in SIDE_TABLES:
                    n = conn.execute(f"DELETE FROM {table} WHERE subject IN ({marks})", subjects).rowcount
                    if n:
                        counts[table] = n
        finally:
            conn.close()
        self._unlink(files)
        return counts

    def _unlink(self, files: list[str]) -> None:
        for name in files:
            path = (self.data_dir / name).resolve()
            if path.is_relative_to(self.data_dir.resolve()):
                path.unlink(missing_ok=True)

    def prune(self, *, kind: str | None = None, before: float | None = None, oldest: int | None = None) -> int:
        """Delete observations of *kind* (or all) older than *before*, or the *oldest* N; returns how many."""
        where, args = ["1"], []
        if kind is not None:
            where.append("kind = ?")
            args.append(kind)
        if before is not None:
            where.append("ts < ?")
            args.append(before)
        sql = f"DELETE FROM observations WHERE {' AND '.join(where)}"
        if oldest is not None:
            sql = (f"DELETE FROM observations WHERE id IN (SELECT id FROM observations WHERE {' AND '.join(where)} "
                   "ORDER BY ts LIMIT ?)")
            args.append(oldest)
        conn = self._connect()
        try:
            with conn:
                deleted = conn.execute(sql, args).rowcount
        finally:
            conn.close()
        return deleted

    def prune_side(self, before: float) -> int:
        """Delete side-table rows last touched before *before* (and the snapshot files)."""
        conn = self._connect()
        try:
            with conn:
                deleted = sum(conn.execute(f"DELETE FROM {table} WHERE last_seen < ?", (before,)).rowcount
                              for table in ("tracks", "visitors"))
                files = [r[0] for r in conn.execute("SELECT file FROM snapshots WHERE ts < ?", (before,))]
                deleted += conn.execute("DELETE FROM snapshots WHERE ts < ?", (before,)).rowcount
        finally:
            conn.close()
        self._unlink(files)
        return deleted

    def vacuum(self) -> None:
        """Give freed space back to the file system (run in the background: it rewrites the file)."""
        conn = self._connect()
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.execute("VACUUM")
        finally:
            conn.close()

    # ---- reading
    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        """One of a few read-only connections, for one read. The web server has a thread per connection
        (88 at the default cap); a connection per thread grew the kit by ~25 MB and 170 open files over a
        busy few minutes (bench/soak.py). A few shared ones are plenty: reads take milliseconds."""
        with self._reader_slots:
            try:
                conn = self._readers.get_nowait()
            except queue.Empty:
                conn = self._connect(readonly=True)
                conn.row_factory = sqlite3.Row
            try:
                yield conn
            finally:
                self._readers.put(conn)

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

    def tables(self) -> dict[str, list[str]]:
        """Every table this store holds, with its columns (the data page shows each one)."""
        with self._reading() as conn:
            names = [r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
            return {name: [c[1] for c in conn.execute(f"PRAGMA table_info({name})")] for name in names}

    def side_rows(self, table: str, *, limit: int = 50, offset: int = 0) -> tuple[int, list[dict[str, Any]]]:
        if table not in SIDE_TABLES:
            raise ValueError(f"no such table: {table}")
        order = "ts" if table == "snapshots" else "last_seen"
        with self._reading() as conn:
            total = conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            rows = conn.execute(f"SELECT * FROM {table} ORDER BY {order} DESC LIMIT ? OFFSET ?",
                                (limit, offset)).fetchall()
        return total, [dict(r) for r in rows]

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

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.path.parent.glob(self.path.name + "*") if p.is_file())


def _where(**filters: Any) -> tuple[str, list[Any]]:
    """The WHERE clause for the filters given (kind, subject equal; since exclusive, until inclusive)."""
    ops = {"kind": "kind = ?", "subject": "subject = ?", "since": "ts > ?", "until": "ts <= ?"}
    used = [(ops[name], value) for name, value in filters.items() if value is not None]
    text = f"WHERE {' AND '.join(clause for clause, _ in used)}" if used else ""
    return text, [value for _, value in used]


def _track_row(o: Observation) -> tuple:
    v = o.value
    detail = {k: json.dumps(v[k], separators=(",", ":")) if k in v else None for k in TRACK_DETAIL}
    first = o.ts - float(v.get("dwell_s") or 0.0)
    return (o.subject, first, o.ts, v.get("dwell_s"), v.get("looked"), detail["trajectory"], detail["signature"])


def _observation(row: sqlite3.Row) -> Observation:
    return Observation(row["ts"], row["source"], row["kind"], row["subject"], json.loads(row["value"]),
                       row["confidence"], id=row["id"])
