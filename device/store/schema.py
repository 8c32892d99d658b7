"""The store's schema: its version, its side tables, migrations, and the checks that refuse a database
the kit cannot use (newer, not a database) before anything is written to it.

    check_and_migrate(conn, path)    # on the writer's connection, once, when the store opens
"""

from __future__ import annotations

import logging
import sqlite3
from importlib import resources
from pathlib import Path

from device.errors import StoreError

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 2            # schema_N.sql migrates N-1 -> N; a kit upgraded in place keeps its data
SIDE_TABLES = ("tracks", "visitors", "snapshots")


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
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        for step in range(version + 1, SCHEMA_VERSION + 1):
            script = resources.files("device.store").joinpath(f"schema_{step}.sql").read_text()
            with conn:
                conn.executescript(script)
                conn.execute(f"PRAGMA user_version={step}")
            logger.info("store: %s migrated to schema %d", path, step)
    except sqlite3.OperationalError as exc:
        raise cannot_write(path, exc) from exc
    except sqlite3.DatabaseError as exc:
        raise not_a_database(path, exc) from exc


def not_a_database(path: Path, exc: BaseException) -> StoreError:
    return StoreError(f"{path} is not an awareness-kit database ({exc}): move it aside and the kit starts "
                      "a new one")


def cannot_write(path: Path, exc: BaseException) -> StoreError:
    return StoreError(f"cannot open {path} for writing ({exc}): check that the kit's user may write to "
                      f"{path.parent}, or choose another data directory")
