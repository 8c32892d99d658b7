"""The store: observations in SQLite (WAL), written by one thread, read by anyone.

    store = Store(data_dir / "awareness.db")   # opens, checks and migrates; reads work from here on
    store.route("snapshot", split)             # the owner of a kind says what goes to a side table
    store.start(hub)                           # the writer thread subscribes to the hub
    store.flush(timeout=2)                     # wait until everything published so far is on disk
    store.query(kind="face", limit=20)         # readers never block the writer
    store.forget_subjects({"visitor:3f"})      # a command run by the writer; this thread waits for its reply
    store.write(lambda conn: ...)              # any other write, the same way
    store.status()                             # {"state": "storing" | "paused: disk full" | ..., "failed": 0, ...}
    store.close()                              # drains, commits, closes

Every write, from any thread, is a command queued to the one writer thread (device/store/writer.py).
Nothing is stored that is not an observation or a row of the side tables (tracks, visitors, snapshots);
the data page shows every table and column the schema creates, and every file under the data directory.
The store knows rows and tables, not what a person or a track is: SideRows come from the kinds' owners.

Storage failures are loud and recoverable: a write the disk or the database refuses pauses storing
(status() says why and what it cost), observations wait in memory and storing resumes by itself when a
write works again (health.py, space.py). Store(path, recover=True), as the kit builds it, moves a damaged
database aside and starts a new one; without it (the export) a damaged database is a StoreError.
"""

from __future__ import annotations

import functools
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

from device.errors import StoreError
from device.hub import ObservationHub
from device.store import commands
from device.store.health import DISK_FULL, READ_ONLY, STORING, StorePaused
from device.store.reading import READERS, Reads
from device.store.routing import SideRow, Split
from device.store.schema import SCHEMA_VERSION, SIDE_TABLES
from device.store.space import PRUNE_CHUNK, give_back
from device.store.writer import WRITER_QUEUE, Writer

__all__ = ["DISK_FULL", "READERS", "READ_ONLY", "SCHEMA_VERSION", "SIDE_TABLES", "STORING", "WRITER_QUEUE",
           "SideRow", "Split", "Store", "StorePaused"]

logger = logging.getLogger(__name__)

T = TypeVar("T")
VACUUM_TIMEOUT_S = 300.0      # vacuum() rewrites the whole file: minutes on a large one and a slow SD card


class Store(Reads):
    """Observations and side tables in one SQLite file; one writer thread, a pool of readers (see above)."""

    def __init__(self, path: Path, *, flush_interval_s: float = 0.5, recover: bool = False) -> None:
        super().__init__(path)
        self._writer = Writer(self.path, flush_interval_s=flush_interval_s, recover=recover)

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

    def submit(self, fn: Callable[[sqlite3.Connection], T], *, transaction: bool = True,
               frees_space: bool = False) -> Future[T]:
        """Queue fn(conn) to the writer thread, inside BEGIN IMMEDIATE ... COMMIT (rolled back if fn raises)
        unless transaction=False (VACUUM needs that); the Future holds its result or its exception (StorePaused
        when the disk is full or the database read-only). Observations published before this call are
        written before fn runs, unless storing is paused (then they wait in memory). frees_space: fn only
        deletes, and is tried again on "disk full" once the reserve is released. StoreError if not running."""
        return self._writer.submit(fn, transaction=transaction, frees_space=frees_space)

    def write(self, fn: Callable[[sqlite3.Connection], T], *, transaction: bool = True, timeout: float = 10.0,
              frees_space: bool = False) -> T:
        """submit(fn) and wait for its result (TimeoutError after *timeout* s; the command still runs)."""
        if threading.get_ident() == self._writer.thread_ident:
            raise StoreError("a store command run by the writer thread cannot wait for another: use submit()")
        return self.submit(fn, transaction=transaction, frees_space=frees_space).result(timeout)

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
        """Observations whose write failed: refused by the database (a value or side row the table would not
        take), or not written while storing was paused (the disk full, the database read-only)."""
        return self._writer.health.failed + self._writer.batches.refused

    @property
    def dropped(self) -> int:
        """Observations lost because more waited than WRITER_QUEUE holds (the writer behind, or paused)."""
        subscription = self._writer.subscription
        return (subscription.dropped if subscription else 0) + self._writer.health.dropped

    @property
    def state(self) -> str:
        """"storing", or why storing is paused: "paused: disk full", "paused: database read-only", ..."""
        return self._writer.health.state

    @property
    def waiting(self) -> int:
        """Observations waiting to be written while storing is paused."""
        return self._writer.health.waiting

    @property
    def since(self) -> float:
        """When the state last changed (time.time())."""
        return self._writer.health.since

    def status(self) -> dict[str, Any]:
        """What /api/status says about storing: its state (since when, the last error), rows written, waiting
        to be written, written late, failed, dropped, skipped and lost for good; the database's bytes."""
        health = self._writer.health
        return {**health.status(), "written": self.written, "dropped": self.dropped, "skipped": self.skipped,
                "failed": self.failed, "lost": health.lost,
                "bytes": self.size_bytes()}

    def flush(self, timeout: float = 2.0) -> bool:
        """Wait until every observation published before this call is committed (or lost for good); False on
        timeout, as while storing is paused."""
        subscription = self._writer.subscription
        if subscription is None:
            return True
        return self._writer.wait_settled(subscription.delivered - subscription.dropped, timeout)

    def close(self) -> None:
        """Write everything already published, run the commands already submitted, then stop; idempotent."""
        self._writer.close()
        self._close_readers()
        self._writer.close_connection()      # the last one: the -wal is checkpointed and deleted

    # ---- commands
    def record_visit(self, subject: str, ts: float, details: dict[str, Any]) -> int:
        """Add a phone's visit to the visitors table (the web layer calls this); returns the visit count."""
        return self.write(functools.partial(commands.record_visit, subject, ts, details))

    def forget_all(self) -> dict[str, int]:
        """Delete every row of every table in one transaction, the files the rows name, the observations
        waiting to be written and any damaged database moved aside; returns counts. The pages are free for
        reuse at once; vacuum() gives the space back to the file system."""
        counts, files = self.write(functools.partial(self._forgetting, commands.forget_all, lambda obs: True),
                                   frees_space=True)
        self._unlink(files + [path.name for path in self.moved_aside()])
        return counts

    def forget_subjects(self, subjects: Iterable[str]) -> dict[str, int]:
        """Delete everything about these subjects: their observations (those waiting to be written too) and
        side-table rows, and the files those rows name; returns how many rows of each kind or table went."""
        subjects = sorted(set(subjects))
        if not subjects:
            return {}
        chosen = set(subjects)
        counts, files = self.write(functools.partial(self._forgetting, functools.partial(
            commands.forget_subjects, subjects), lambda obs: obs.subject in chosen), frees_space=True)
        self._unlink(files)
        return counts

    def _forgetting(self, body: Callable[[sqlite3.Connection], tuple[dict[str, int], list[str]]],
                    waiting: Callable[[Any], bool], conn: sqlite3.Connection) -> tuple[dict[str, int], list[str]]:
        counts, files = body(conn)
        for kind, n in self._writer.waiting.forget(waiting).items():
            counts[kind] = counts.get(kind, 0) + n
        return counts, files

    def prune(self, *, kind: str | None = None, before: float | None = None, oldest: int | None = None) -> int:
        """Delete observations of *kind* (or all) older than *before*, or the *oldest* N; returns how many.
        A chunk per transaction, so that deleting works on a full disk too."""
        where, args = ["1"], []
        if kind is not None:
            where.append("kind = ?")
            args.append(kind)
        if before is not None:
            where.append("ts < ?")
            args.append(before)
        return self._in_chunks(lambda n: self.write(functools.partial(
            commands.prune_observations, " AND ".join(where), args, n), frees_space=True), oldest)

    def prune_side(self, before: float | None = None, *, oldest: Mapping[str, int] | None = None) -> int:
        """Delete side-table rows last touched before *before*, or the *oldest* N of the side tables named,
        and the files the snapshot rows name; returns how many rows."""
        deleted = 0
        for table in SIDE_TABLES if oldest is None else [t for t in SIDE_TABLES if oldest.get(t)]:
            def chunk(n: int, table: str = table) -> int:
                gone, files = self.write(functools.partial(commands.prune_side, table, before, n), frees_space=True)
                self._unlink(files)
                return gone
            deleted += self._in_chunks(chunk, None if oldest is None else oldest[table])
        return deleted

    @staticmethod
    def _in_chunks(delete: Callable[[int], int], most: int | None) -> int:
        done = 0
        while most is None or done < most:
            size = PRUNE_CHUNK if most is None else min(PRUNE_CHUNK, most - done)
            gone = delete(size)
            done += gone
            if gone < size:
                break
        return done

    def give_back(self) -> int:
        """Return the database's free pages to the file system (on a database made by this kit version or
        vacuumed since); returns how many pages."""
        return self.write(give_back, transaction=False, timeout=60.0)

    def keep_reserve(self, *, room: float = 2.0) -> bool:
        """Make the reserve file again if the disk has room for it *room* times over (see space.py); True if
        it is there."""
        return self._writer.reserve.keep(room=room)

    def moved_aside(self) -> list[Path]:
        """Damaged databases the kit moved aside at start (awareness.db.corrupt-...), with their -wal/-shm."""
        return sorted(self.data_dir.glob(self.path.name + ".corrupt-*"))

    def vacuum(self) -> None:
        """Give freed space back to the file system; waits (other writes queue meanwhile)."""
        self.write(commands.vacuum, transaction=False, timeout=VACUUM_TIMEOUT_S)

    def vacuum_later(self) -> Future[None]:
        """vacuum() without waiting: after forgetting everything, nobody should be held up by it."""
        future = self.submit(commands.vacuum, transaction=False)
        future.add_done_callback(commands.log_vacuum)
        return future

    def _unlink(self, files: list[str]) -> None:
        for name in files:
            path = (self.data_dir / name).resolve()
            if path.is_relative_to(self.data_dir.resolve()):
                path.unlink(missing_ok=True)
