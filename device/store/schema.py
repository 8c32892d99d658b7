"""The store's schema: its version, its side tables, migrations, and the checks that refuse a database
the kit cannot use (newer, not a database, damaged) before anything is written to it.

    check_and_migrate(conn, path)    # on the writer's connection, once, when the store opens
    move_aside(path, exc)            # the kit, on a damaged database: awareness.db.corrupt-20261130-104500

The checks are cheap, so a kit with a year of data starts at once: the header and the schema are read,
and the first and last rows of each table and index (a file cut short loses its end). A full
`PRAGMA quick_check` reads every page: minutes on a large database on an SD card.

A snapshot's id is its picture's address (/snapshots/<id>.jpg), so it is never handed out twice (schema 3:
AUTOINCREMENT; every erasing deletes rows, never sqlite_sequence or the file). Where ids may have been given out
that the database no longer knows of (a database from before schema 3, which restarted them after each wipe; a
new one beside the traces of another: a damaged one moved aside, pictures in snapshots/), the sequence starts
above the milliseconds since 1970: above any id handed out before, which counted from 1 (a kit keeps far fewer
pictures than that) or from such a time of its own, earlier, plus fewer pictures than milliseconds since then.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from importlib import resources
from pathlib import Path

from device.errors import StoreError
from device.store.space import disk_full

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 3            # schema_N.sql migrates N-1 -> N; a kit upgraded in place keeps its data
SIDE_TABLES = ("tracks", "visitors", "snapshots")
SIDE_ORDER = {"tracks": "last_seen", "visitors": "last_seen", "snapshots": "ts"}    # what "oldest" means
COLUMNS = {"observations": {"id", "ts", "source", "kind", "subject", "value", "confidence"},
           "tracks": {"subject", "first_seen", "last_seen", "dwell_s", "looked", "trajectory", "signature"},
           "visitors": {"subject", "first_seen", "last_seen", "visits", "details"},
           "snapshots": {"id", "ts", "subject", "file", "blurred"}}
COMPANIONS = ("-wal", "-shm", "-journal")      # SQLite's files beside the database
IDS_KEPT = 3                  # the schema from which snapshot ids never come back


class DatabaseDamaged(StoreError):
    """The file is not a database, or not one the kit wrote, or damaged: it can be moved aside."""


def check_and_migrate(conn: sqlite3.Connection, path: Path) -> None:
    """Refuse a database the kit cannot use, then switch it to WAL and bring its schema up to date.

    The checks only read, so a refused file is left as it was (WAL mode is set after them)."""
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()     # reads page 1: a cut-off file fails
    except sqlite3.OperationalError as exc:
        raise cannot_write(path, exc) from exc
    except sqlite3.DatabaseError as exc:
        raise not_a_database(path, exc) from exc
    if version > SCHEMA_VERSION:
        raise StoreError(f"{path} was written by a newer awareness-kit (schema {version}, this kit knows "
                         f"{SCHEMA_VERSION}): upgrade the kit or move the data directory aside")
    _probe(conn, path, version)
    try:
        new = version == 0 and not conn.execute("SELECT 1 FROM sqlite_master").fetchone()
        if new:
            conn.execute("PRAGMA auto_vacuum=INCREMENTAL")    # a new database: pruned pages go back to the disk
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        unknown_ids = version == IDS_KEPT - 1 or (new and _traces(path))
        for step in range(version + 1, SCHEMA_VERSION + 1):
            script = resources.files("device.store").joinpath(f"schema_{step}.sql").read_text()
            if step == IDS_KEPT and unknown_ids:
                script += f"\n{_above('snapshots', int(time.time() * 1000))}"
            _in_one_transaction(conn, f"{script}\nPRAGMA user_version={step};")
            logger.info("store: %s migrated to schema %d", path, step)
    except sqlite3.OperationalError as exc:
        raise cannot_write(path, exc) from exc
    except sqlite3.DatabaseError as exc:
        raise not_a_database(path, exc) from exc


def _in_one_transaction(conn: sqlite3.Connection, script: str) -> None:
    """Run a migration's statements and its new user_version all or none: a kit stopped half-way (the snapshots
    table dropped, its copy not yet renamed) finds the database as it was and migrates it again.
    (executescript alone commits after each statement.)"""
    try:
        conn.executescript(f"BEGIN IMMEDIATE;\n{script}\nCOMMIT;")
    except BaseException:
        if conn.in_transaction:
            conn.rollback()
        raise


def _above(table: str, floor: int) -> str:
    """SQL raising *table*'s AUTOINCREMENT sequence to at least *floor*: its next id is above it."""
    return (f"INSERT INTO sqlite_sequence (name, seq) SELECT '{table}', {floor} WHERE NOT EXISTS "
            f"(SELECT 1 FROM sqlite_sequence WHERE name = '{table}');\n"
            f"UPDATE sqlite_sequence SET seq = max(seq, {floor}) WHERE name = '{table}';")


def _traces(path: Path) -> bool:
    """Whether another database was here before this new one, whose snapshot ids may be in saved pages and
    links: a damaged one moved aside, or pictures left in snapshots/ (the kit's own files, see move_aside)."""
    try:
        return (any(path.parent.glob(f"{path.name}.corrupt-*"))
                or any((path.parent / "snapshots").glob("*.jpg")))
    except OSError:
        return True


def _probe(conn: sqlite3.Connection, path: Path, version: int) -> None:
    """The cheap checks: the tables of this schema version with their columns, and both ends of each table
    and index readable."""
    wanted = {table: COLUMNS[table] for table in (("observations",) if version == 1 else COLUMNS)} if version else {}
    try:
        for table, columns in wanted.items():
            found = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
            if not columns <= found:
                raise sqlite3.DatabaseError(f"table {table} lacks {', '.join(sorted(columns - found)) or 'all'}")
        for name, table in conn.execute("SELECT name, tbl_name FROM sqlite_master WHERE type IN ('table', 'index') "
                                        "AND name NOT LIKE 'sqlite_%'").fetchall():
            if name == table:
                source, column = f'"{table}"', "rowid"
            else:
                column = f'"{conn.execute(f"PRAGMA index_info({name})").fetchone()[2]}"'
                source = f'"{table}" INDEXED BY "{name}" WHERE {column} IS NOT NULL'
            for order in ("ASC", "DESC"):
                conn.execute(f"SELECT {column} FROM {source} ORDER BY {column} {order} LIMIT 1").fetchall()
    except sqlite3.OperationalError as exc:
        raise cannot_write(path, exc) from exc
    except sqlite3.DatabaseError as exc:
        raise not_a_database(path, exc) from exc


def move_aside(path: Path, exc: BaseException) -> Path:
    """Rename a damaged database, and its -wal and -shm, to awareness.db.corrupt-YYYYMMDD-HHMMSS[-wal]
    beside it (kept, not deleted: the data page lists it) and say so loudly; returns the new path."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    aside = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while any(aside.with_name(aside.name + end).exists() for end in ("", *COMPANIONS)):
        n += 1
        aside = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
    try:
        for end in ("", *COMPANIONS):
            if path.with_name(path.name + end).exists():
                path.with_name(path.name + end).rename(aside.with_name(aside.name + end))
    except OSError as move:
        raise StoreError(f"{path} is damaged ({exc.__cause__ or exc}) and could not be moved aside "
                         f"({move.strerror or move}): move it away by hand and the kit starts a new one") from move
    logger.error("store: %s is damaged (%s): moved it aside to %s; starting a new, empty database. The old "
                 "one is kept there (listed on the data page) until retention or forgetting deletes it", path,
                 exc.__cause__ or exc, aside)
    return aside


def not_a_database(path: Path, exc: BaseException) -> DatabaseDamaged:
    return DatabaseDamaged(f"{path} is not an awareness-kit database, or is damaged ({exc}): move it aside and "
                           "the kit starts a new one")


def cannot_write(path: Path, exc: BaseException) -> StoreError:
    if disk_full(path.parent):
        return StoreError(f"cannot open {path} for writing ({exc}): the disk is full; free some space on it (the "
                          "kit then prunes its oldest rows by itself), or choose another data directory")
    return StoreError(f"cannot open {path} for writing ({exc}): check that the kit's user may write to "
                      f"{path.parent}, or choose another data directory")
