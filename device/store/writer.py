"""The store's one writer thread: it owns the read-write connection and does every write, in order.

It sleeps on its subscription to the hub and writes observations as they come, in batches; commands from
any thread (forget, prune, vacuum, a visit) are queued to it, each with a Future for its reply, as
datasette's execute_write_fn. submit() puts a wake-up token in the same queue as the observations, so the
writer wakes at once and a command runs after every observation published before it was submitted:
"forget everything" also erases what was published just before.

When the disk is full or the database read-only, storing pauses (health.py): observations wait in memory
and are tried again every RETRY_S, and storing resumes by itself once a write works.

    writer = Writer(path, flush_interval_s=0.5)     # opens, checks and migrates the database
    writer.start(subscription)
    writer.submit(lambda conn: conn.execute("DELETE FROM tracks").rowcount).result(10)
    writer.close()                                  # drains observations and commands, then stops
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from device.errors import StoreError
from device.hub import Subscription
from device.store.batches import Batches
from device.store.health import DISK_FULL, REOPEN, Health, StorePaused, Waiting, pauses, state_for
from device.store.schema import DatabaseDamaged, cannot_write, check_and_migrate, move_aside, not_a_database
from device.store.space import Reserve, disk_full, make_room, tune
from device.workers import Worker

logger = logging.getLogger(__name__)

WRITER_QUEUE = 100_000        # about an hour of the busiest kit's observations, should the disk stall
BATCH = 2000                  # observations per transaction
CLOSE_TIMEOUT_S = 10.0        # how long close() waits for the writer to drain
RETRY_S = 1.0                 # while storing is paused, how often the writer tries again
_WAKE: Any = object()         # put in the queue by submit(): wakes the writer, marks the command's place


def open_for_writing(path: Path, *, recover: bool = False) -> sqlite3.Connection:
    """The writer's connection: the data directory made, the database checked and migrated; StoreError if
    the kit cannot use it. recover: a damaged database (not a database, cut off, failing the cheap checks)
    is moved aside with a timestamp and a new one started, so that a kit left alone comes back up."""
    try:
        return _open(path)
    except DatabaseDamaged as exc:
        if not recover:
            raise
        move_aside(path, exc)
    except StoreError:          # SQLite needs a little room even to open (its -shm): the reserve is for this
        if not (recover and disk_full(path.parent) and Reserve(path).release()):
            raise
    return _open(path)


def _open(path: Path) -> sqlite3.Connection:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create the data directory {path.parent} ({exc.strerror or exc}): choose "
                         "another data directory or let the kit's user write there") from exc
    if path.is_dir():
        raise StoreError(f"{path} is a folder, not a database file: move it aside or choose another data directory")
    try:
        conn = sqlite3.connect(path, check_same_thread=False)
    except sqlite3.OperationalError as exc:
        raise cannot_write(path, exc) from exc
    except sqlite3.DatabaseError as exc:
        raise not_a_database(path, exc) from exc
    try:
        conn.execute("PRAGMA busy_timeout=10000")
        check_and_migrate(conn, path)
        tune(conn)
    except BaseException:
        conn.close()
        raise
    return conn


@dataclass
class _Command:
    fn: Callable[[sqlite3.Connection], Any]
    transaction: bool
    future: Future
    mark: int                 # runs once this many queued items (observations, tokens) are taken or dropped
    frees_space: bool = False


class Writer:
    """The one thread with a read-write connection: batches of observations, and commands in their place.
    While the database refuses writes (health.py), observations wait in memory, oldest first, and are tried
    again every RETRY_S; commands go on meanwhile (pruning must, to make room), so while paused a command
    may run before observations published ahead of it are on disk (forgetting takes those too)."""

    def __init__(self, path: Path, *, flush_interval_s: float = 0.5, recover: bool = False) -> None:
        self.path = path
        self.flush_interval_s = flush_interval_s
        self.conn = open_for_writing(path, recover=recover)
        self.batches = Batches(self.conn)
        self.health = Health(path)
        self.health.lost_elsewhere = lambda: (self.subscription.dropped if self.subscription else 0) + \
            self.batches.refused
        self.reserve = Reserve(path)
        self.subscription: Subscription | None = None
        self.thread_ident: int | None = None
        self.taken = 0                              # queued items out of the queue (observations and tokens)
        self.settled = 0                            # of those, written or gone for good
        self.waiting = Waiting(self.health, WRITER_QUEUE, self._settle)    # not written while paused
        self._retry_at = 0.0
        self._progress = threading.Condition()      # announces settled, for flush()
        self._lock = threading.Lock()               # guards the commands and the state below
        self._commands: deque[_Command] = deque()
        self._accepting = self._closed = self._stopped = False
        self._worker: Worker | None = None

    def start(self, subscription: Subscription) -> None:
        with self._lock:
            if self._worker is not None or self._closed:
                raise StoreError(f"the store's writer for {self.path} was already started (or closed): "
                                 "build a new Store")
            self.subscription = subscription
            self._accepting = True
            self._worker = Worker("store-writer", self._loop).start()

    def submit(self, fn: Callable[[sqlite3.Connection], Any], *, transaction: bool = True,
               frees_space: bool = False) -> Future:
        """frees_space: fn only deletes, so on "disk full" it is tried again once the reserve is released."""
        future: Future = Future()
        with self._lock:                            # marks grow in the order of the commands
            if not self._accepting or self.subscription is None:
                state = "was closed" if self._closed else "was not started (reads work without it)"
                raise StoreError(f"the store's writer is not running: {self.path} {state}")
            self.subscription.put(_WAKE)
            self._commands.append(_Command(fn, transaction, future, self.subscription.delivered, frees_space))
        return future

    def wait_settled(self, target: int, timeout: float) -> bool:
        with self._progress:
            return self._progress.wait_for(lambda: self.settled >= target, timeout)

    def close(self) -> None:
        """Write what was published and run what was submitted, then stop; idempotent (close_connection()
        closes the connection)."""
        with self._lock:
            if self._closed:
                return
            self._accepting, self._closed = False, True
        if self.subscription is not None:
            self.subscription.close()       # the writer takes what is queued, then sees it closed and ends
        if self._worker is not None:
            self._worker.close(timeout=CLOSE_TIMEOUT_S)
            if self._worker.alive:
                logger.warning("store: the writer is still busy; %s stays open until it ends", self.path)
                return
        with self._lock:
            left, self._commands = list(self._commands), deque()
        for command in left:                  # only if the loop itself failed
            command.future.set_exception(StoreError(f"the store's writer for {self.path} stopped first"))
        self._stopped = True

    def close_connection(self) -> None:
        """Close the connection once the thread has stopped: last, after the readers, so that SQLite
        checkpoints the -wal into the database and deletes it."""
        if self._stopped:
            self.conn.close()

    # ---- on the writer thread
    def _loop(self, stop: threading.Event) -> None:
        self.thread_ident = threading.get_ident()
        subscription = self.subscription
        assert subscription is not None
        self.reserve.keep()
        while True:
            wait = self.flush_interval_s
            if self.waiting:
                wait = max(0.0, min(wait, self._retry_at - time.monotonic()))
            batch = subscription.get_batch(wait, limit=BATCH)
            start = 0
            for end in [i + 1 for i, item in enumerate(batch) if item is _WAKE] + [len(batch)]:
                self._take(batch[start:end])      # what was published before a token, then its command
                start = end
                self._run_ready()
            if self.waiting and time.monotonic() >= self._retry_at:
                self._retry()
            if not batch and subscription.closed:
                self._run_ready(everything=True)
                self._retry()
                self.waiting.give_up()
                return

    def _take(self, items: list[Any]) -> None:
        observations = [item for item in items if item is not _WAKE]
        self.taken += len(items)
        self._settle(len(items) - len(observations))
        if not observations:
            return
        if self.waiting:                         # paused: in order, behind those already waiting
            self.waiting.add(observations)
            return
        try:
            unwritten, error = self.batches.write(observations)
        except Exception:         # a bug, not the disk (write() handles that): the commands still run
            logger.exception("store: writing observations failed")
            self.health.abandoned += len(observations)
            self._settle(len(observations))
            return
        self._settle(len(observations) - len(unwritten))
        if error is None:
            self.health.resume()
        else:
            self._paused(error)
            self.waiting.add(unwritten)

    def _retry(self) -> None:
        """Try the waiting observations again; resume if they all go."""
        self._retry_at = time.monotonic() + RETRY_S
        if not self.waiting or (self.health.state in REOPEN and not self._reopen()):
            return
        error = self.waiting.retry(self.batches, BATCH)
        if error is None:
            self.health.resume()
        else:
            self._paused(error)

    def _paused(self, error: BaseException) -> None:
        """The room the reserve makes is for deleting: the next try waits RETRY_S, or for a prune."""
        self._retry_at = time.monotonic() + RETRY_S
        if self.health.pause(error) == DISK_FULL and self.reserve.held:
            make_room(self.conn, self.reserve)

    def _reopen(self) -> bool:
        """A connection opened on a read-only file stays read-only: open a new one (it may be writable now)."""
        try:
            conn = open_for_writing(self.path)
        except StoreError as exc:
            self.health.note(exc.__cause__ or exc)     # SQLite's words: the status is public, the path is not
            return False
        self.conn.close()
        self.conn = conn
        self.batches.use(conn)
        return True

    def _settle(self, n: int) -> None:
        if n:
            with self._progress:
                self.settled += n
                self._progress.notify_all()

    def _run_ready(self, *, everything: bool = False) -> None:
        """Run the commands whose place in the queue has been reached (items dropped in an overflow count)."""
        assert self.subscription is not None
        while True:
            with self._lock:
                if not self._commands or (not everything and
                                          self._commands[0].mark > self.taken + self.subscription.dropped):
                    return
                command = self._commands.popleft()
            self._run(command)

    def _run(self, command: _Command) -> None:
        if not command.future.set_running_or_notify_cancel():
            return
        for attempt in (1, 2):
            try:
                with self.conn:                       # commits, or rolls back if fn raises
                    if command.transaction:
                        self.conn.execute("BEGIN IMMEDIATE")
                    result = command.fn(self.conn)
            except Exception as exc:                  # the caller's to handle; the writer goes on
                if pauses(exc) and state_for(exc) == DISK_FULL and command.frees_space and attempt == 1:
                    make_room(self.conn, self.reserve)
                    continue
                logger.debug("store: a command failed: %r", exc)
                if pauses(exc):
                    paused = StorePaused(f"storing is {self.health.pause(exc)} ({exc}): {self.path}")
                    paused.__cause__, exc = exc, paused
                command.future.set_exception(exc)
            else:
                command.future.set_result(result)
                if command.frees_space and self.waiting:
                    self._retry_at = time.monotonic()     # room was made: try the waiting ones at once
            return
