"""Disk space for the database when the disk fills up: a reserve to fall back on, and space given back.

SQLite needs a little free space even to delete: in WAL mode a DELETE appends pages to the -wal file, and
the checkpoint that lets the -wal start over may have to grow the database file. On a disk with no space
left both fail, so pruning could not make room (seen on a 20 MB tmpfs). Three habits keep it possible:

- the -wal stays small: a checkpoint every WAL_PAGES pages, and its file is cut back to WAL_LIMIT bytes;
- a reserve file (awareness.db.reserve) holds a few MB of the disk; on "disk full" the writer deletes it
  and checkpoints, so that the -wal can start over and deletes fit in it again; the disk guard prunes
  into that room and makes the reserve again from what it freed, before storing goes on;
- rows are pruned in chunks of PRUNE_CHUNK, one transaction each, so no delete needs a large -wal; and
  the pages they free are given back to the file system (new databases use incremental auto-vacuum).

    reserve = Reserve(path)     # awareness.db.reserve beside the database
    reserve.keep()              # made again once the disk has room for it twice over
    reserve.release()           # on "disk full": bytes freed
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import threading
from pathlib import Path

logger = logging.getLogger(__name__)

WAL_PAGES = 256               # a checkpoint after this many pages in the -wal (SQLite's default is 1000)
WAL_LIMIT = 2 * 1024 * 1024   # the -wal file is cut back to this many bytes after a checkpoint
PRUNE_CHUNK = 2000            # rows deleted per transaction
GIVE_BACK_PAGES = 256         # pages returned to the file system per transaction
RESERVE_MIN, RESERVE_MAX = 1024 * 1024, 8 * 1024 * 1024
FULL_BYTES = 1024 * 1024


def tune(conn: sqlite3.Connection) -> None:
    """The writer's connection: a small -wal, checkpointed often."""
    conn.execute(f"PRAGMA wal_autocheckpoint={WAL_PAGES}")
    conn.execute(f"PRAGMA journal_size_limit={WAL_LIMIT}")


def disk_full(folder: Path) -> bool:
    """Less than a megabyte free: too little for SQLite to open a database (its -shm) or to delete."""
    try:
        return shutil.disk_usage(folder).free < FULL_BYTES
    except OSError:
        return False


def reusable_bytes(conn: sqlite3.Connection) -> int:
    """Bytes of free pages inside the database: new rows fill them before the file grows."""
    free = conn.execute("PRAGMA freelist_count").fetchone()[0]
    return free * conn.execute("PRAGMA page_size").fetchone()[0]


def give_back(conn: sqlite3.Connection) -> int:
    """Return free pages to the file system, a chunk per transaction (databases with incremental
    auto-vacuum; the others reuse their free pages); on the writer thread, outside a transaction.
    Returns the pages given back."""
    if conn.execute("PRAGMA auto_vacuum").fetchone()[0] != 2:
        return 0
    given = 0
    while (free := conn.execute("PRAGMA freelist_count").fetchone()[0]) > 0:
        conn.executescript(f"PRAGMA incremental_vacuum({GIVE_BACK_PAGES})")   # steps it to the end
        left = conn.execute("PRAGMA freelist_count").fetchone()[0]
        given += free - left
        if left >= free:
            break
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")       # the file shrinks when the pages leave the -wal
    return given


class Reserve:
    """A file of a few MB beside the database, deleted to make room when the disk is full."""

    def __init__(self, db: Path) -> None:
        self.path = db.with_name(db.name + ".reserve")
        self._lock = threading.Lock()

    def size(self) -> int:
        """A tenth of the disk, from 1 MB to 8 MB."""
        total = shutil.disk_usage(self.path.parent).total
        return max(RESERVE_MIN, min(RESERVE_MAX, total // 10))

    @property
    def held(self) -> bool:
        return self.path.exists()

    def keep(self, *, room: float = 2.0) -> bool:
        """Make the reserve if it is missing and the disk has room for it *room* times over; True if it is
        there. After pruning on a full disk, room=1.0: the space just freed goes to the reserve first."""
        with self._lock:
            try:
                size = self.size()
                if self.path.exists() and self.path.stat().st_size >= size:
                    return True
                if shutil.disk_usage(self.path.parent).free < room * size:
                    return False
                self._write(size)
            except OSError as exc:
                logger.warning("store: could not keep %s (%s); the disk may fill without a reserve", self.path, exc)
                self.path.unlink(missing_ok=True)
                return False
            return True

    def _write(self, size: int) -> None:
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            try:
                os.posix_fallocate(fd, 0, size)      # really taken from the disk, not a sparse file
            except OSError:                          # a file system without fallocate: write it out
                block = bytes(1 << 16)
                for offset in range(0, size, len(block)):
                    os.pwrite(fd, block, offset)
            os.fsync(fd)
        finally:
            os.close(fd)

    def release(self) -> int:
        """Delete the reserve; returns the bytes freed (0 if there was none)."""
        with self._lock:
            try:
                size = self.path.stat().st_size
                self.path.unlink()
            except FileNotFoundError:
                return 0
        logger.warning("store: the disk is full: released the %d MB reserve (%s) so that old rows can be "
                       "deleted to make room", size // (1024 * 1024), self.path)
        return size


def make_room(conn: sqlite3.Connection, reserve: Reserve) -> None:
    """On "disk full": release the reserve and let the -wal start over (on the writer thread)."""
    reserve.release()
    try:
        conn.execute("PRAGMA wal_checkpoint(RESTART)")
    except sqlite3.Error as exc:
        logger.debug("store: checkpoint after the disk filled: %s", exc)
