"""The store: observations in SQLite (WAL), written by one thread, read by anyone.

    store = Store(data_dir / "awareness.db")   # opens, checks and migrates; reads work from here on
    store.route("snapshot", split)             # the owner of a kind says what goes to a side table
    store.start(hub)                           # the writer thread subscribes to the hub
    store.flush(timeout=2)                     # wait until everything published so far is on disk
    store.query(kind="face", limit=20)         # readers never block the writer
    store.forget_subjects({"visitor:3f"})      # a command run by the writer; this thread waits for its reply
    store.write(lambda conn: ...)              # any other write, the same way
    store.close()                              # drains, commits, closes

Every write, from any thread, is a command queued to the one writer thread (device/store/writer.py).
Nothing is stored that is not an observation or a row of the side tables (tracks, visitors, snapshots);
the data page shows every table and column the schema creates, and every file under the data directory.
The store knows rows and tables, not what a person or a track is: SideRows come from the kinds' owners.
"""

from __future__ import annotations

import functools
import json
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

from device.errors import StoreError
from device.hub import ObservationHub
from device.store.reading import READERS, Reads
from device.store.routing import SideRow, Split
from device.store.schema import SCHEMA_VERSION, SIDE_TABLES
from device.store.writer import WRITER_QUEUE, Writer

__all__ = ["READERS", "SCHEMA_VERSION", "SIDE_TABLES", "WRITER_QUEUE", "SideRow", "Split", "Store"]

logger = logging.getLogger(__name__)

T = TypeVar("T")
VACUUM_TIMEOUT_S = 300.0      # vacuum() rewrites the whole file: minutes on a large one and a slow SD card


class Store(Reads):
    """Observations and side tables in one SQLite file; one writer thread, a pool of readers (see above)."""

    def __init__(self, path: Path, *, flush_interval_s: float = 0.5) -> None:
        super().__init__(path)
        self.flush_interval_s = flush_interval_s
        self._writer = Writer(self.path, flush_interval_s=flush_interval_s)

    # ---- the writer
    def route(self, kind: str, split: Split) -> None:
        """For observations of *kind*, split(obs) gives the value to store and the SideRows to upsert with it,
        in the same transaction (on the writer thread). One split per kind."""
        self._writer.batches.route(kind, split)

    def start(self, hub: ObservationHub) -> None:
        """Subscribe to the hub and start the writer thread ("store-writer")."""
        subscription = hub.subscribe(maxsize=WRITER_QUEUE)
        try:
            self._writer.start(subscription)
        except BaseException:
            subscription.close()
            raise

    def submit(self, fn: Callable[[sqlite3.Connection], T], *, transaction: bool = True) -> Future[T]:
        """Queue fn(conn) to the writer thread, inside BEGIN IMMEDIATE ... COMMIT (rolled back if fn raises)
        unless transaction=False (VACUUM needs that); the Future holds its result or its exception.
        Observations published before this call are written before fn runs. StoreError if not running."""
        return self._writer.submit(fn, transaction=transaction)

    def write(self, fn: Callable[[sqlite3.Connection], T], *, transaction: bool = True, timeout: float = 10.0) -> T:
        """submit(fn) and wait for its result (TimeoutError after *timeout* s; the command still runs)."""
        if threading.get_ident() == self._writer.thread_ident:
            raise StoreError("a store command run by the writer thread cannot wait for another: use submit()")
        return self.submit(fn, transaction=transaction).result(timeout)

    @property
    def skip_kinds(self) -> frozenset[str]:
        """Kinds not stored (while the disk is nearly full)."""
        return self._writer.batches.skip_kinds

    @skip_kinds.setter
    def skip_kinds(self, kinds: frozenset[str]) -> None:
        self._writer.batches.skip_kinds = frozenset(kinds)

    @property
    def skipped(self) -> int:
        return self._writer.batches.skipped

    @property
    def written(self) -> int:
        """Observations the writer has taken and committed (the skipped ones included)."""
        return self._writer.batches.written

    @property
    def failed(self) -> int:
        """Observations that could not be written (a failing disk, a value or side row the table refused)."""
        return self._writer.batches.failed

    @property
    def dropped(self) -> int:
        """Observations lost because the writer fell more than WRITER_QUEUE behind."""
        subscription = self._writer.subscription
        return subscription.dropped if subscription else 0

    def status(self) -> dict[str, Any]:
        """What /api/status says about storing: rows written, lost to a full queue, skipped, failed; bytes."""
        return {"written": self.written, "dropped": self.dropped, "skipped": self.skipped, "failed": self.failed,
                "bytes": self.size_bytes()}

    def flush(self, timeout: float = 2.0) -> bool:
        """Wait until every observation published before this call is committed; False on timeout."""
        subscription = self._writer.subscription
        if subscription is None:
            return True
        return self._writer.wait_taken(subscription.delivered - subscription.dropped, timeout)

    def close(self) -> None:
        """Write everything already published, run the commands already submitted, then stop; idempotent."""
        self._writer.close()
        self._close_readers()

    # ---- commands
    def record_visit(self, subject: str, ts: float, details: dict[str, Any]) -> int:
        """Add a phone's visit to the visitors table (the web layer calls this); returns the visit count."""
        return self.write(functools.partial(_record_visit, subject, ts, details))

    def forget_all(self) -> dict[str, int]:
        """Delete every row of every table in one transaction, and the files the rows name; returns counts.
        The pages are free for reuse at once; vacuum() gives the space back to the file system."""
        counts, files = self.write(_forget_all)
        self._unlink(files)
        return counts

    def forget_subjects(self, subjects: Iterable[str]) -> dict[str, int]:
        """Delete everything about these subjects: their observations and side-table rows, and the files
        those rows name; returns how many rows of each kind or table went."""
        subjects = sorted(set(subjects))
        if not subjects:
            return {}
        counts, files = self.write(functools.partial(_forget_subjects, subjects))
        self._unlink(files)
        return counts

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
        return self.write(lambda conn: conn.execute(sql, args).rowcount)

    def prune_side(self, before: float) -> int:
        """Delete side-table rows last touched before *before* (and the files the snapshot rows name)."""
        deleted, files = self.write(functools.partial(_prune_side, before))
        self._unlink(files)
        return deleted

    def vacuum(self) -> None:
        """Give freed space back to the file system; waits (other writes queue meanwhile)."""
        self.write(_vacuum, transaction=False, timeout=VACUUM_TIMEOUT_S)

    def vacuum_later(self) -> Future[None]:
        """vacuum() without waiting: after forgetting everything, nobody should be held up by it."""
        future = self.submit(_vacuum, transaction=False)
        future.add_done_callback(_log_vacuum)
        return future

    def _unlink(self, files: list[str]) -> None:
        for name in files:
            path = (self.data_dir / name).resolve()
            if path.is_relative_to(self.data_dir.resolve()):
                path.unlink(missing_ok=True)


# ---- the commands' bodies, run by the writer thread inside a transaction
def _record_visit(subject: str, ts: float, details: dict[str, Any], conn: sqlite3.Connection) -> int:
    conn.execute("INSERT INTO visitors (subject, first_seen, last_seen, details) VALUES (?,?,?,?) "
                 "ON CONFLICT(subject) DO UPDATE SET last_seen=excluded.last_seen, visits=visits+1, "
                 "details=excluded.details", (subject, ts, ts, json.dumps(details)))
    return conn.execute("SELECT visits FROM visitors WHERE subject=?", (subject,)).fetchone()[0]


def _forget_all(conn: sqlite3.Connection) -> tuple[dict[str, int], list[str]]:
    counts = dict(conn.execute("SELECT kind, COUNT(*) FROM observations GROUP BY kind").fetchall())
    for table in SIDE_TABLES:
        n = conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
        if n:
            counts[table] = n
    files = [row[0] for row in conn.execute("SELECT file FROM snapshots")]
    conn.execute("DELETE FROM observations")
    for table in SIDE_TABLES:
        conn.execute(f"DELETE FROM {table}")
    return counts, files


def _forget_subjects(subjects: list[str], conn: sqlite3.Connection) -> tuple[dict[str, int], list[str]]:
    marks = ",".join("?" * len(subjects))
    counts = dict(conn.execute(f"SELECT kind, COUNT(*) FROM observations WHERE subject IN ({marks}) GROUP BY kind",
                               subjects).fetchall())
    files = [r[0] for r in conn.execute(f"SELECT file FROM snapshots WHERE subject IN ({marks})", subjects)]
    conn.execute(f"DELETE FROM observations WHERE subject IN ({marks})", subjects)
    for table in SIDE_TABLES:
        n = conn.execute(f"DELETE FROM {table} WHERE subject IN ({marks})", subjects).rowcount
        if n:
            counts[table] = n
    return counts, files


def _prune_side(before: float, conn: sqlite3.Connection) -> tuple[int, list[str]]:
    deleted = sum(conn.execute(f"DELETE FROM {table} WHERE last_seen < ?", (before,)).rowcount
                  for table in ("tracks", "visitors"))
    files = [r[0] for r in conn.execute("SELECT file FROM snapshots WHERE ts < ?", (before,))]
    deleted += conn.execute("DELETE FROM snapshots WHERE ts < ?", (before,)).rowcount
    return deleted, files


def _vacuum(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("VACUUM")


def _log_vacuum(future: Future[None]) -> None:
    if not future.cancelled() and future.exception() is not None:    # the next forgetting will try again
        logger.info("store: vacuum did not run: %s", future.exception())
