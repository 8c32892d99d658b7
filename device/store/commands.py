"""The bodies of the store's commands, run by the writer thread (see Store), each inside a transaction
unless it says otherwise. Each takes the writer's connection last, so that Store can queue
functools.partial(body, args...).
"""

from __future__ import annotations

import json
import logging
import sqlite3
from concurrent.futures import Future
from typing import Any

from device.store.schema import SIDE_ORDER, SIDE_TABLES

logger = logging.getLogger(__name__)



def record_visit(subject: str, ts: float, details: dict[str, Any], conn: sqlite3.Connection) -> int:
    conn.execute("INSERT INTO visitors (subject, first_seen, last_seen, details) VALUES (?,?,?,?) "
                 "ON CONFLICT(subject) DO UPDATE SET last_seen=excluded.last_seen, visits=visits+1, "
                 "details=excluded.details", (subject, ts, ts, json.dumps(details)))
    return conn.execute("SELECT visits FROM visitors WHERE subject=?", (subject,)).fetchone()[0]


def forget_all(conn: sqlite3.Connection) -> tuple[dict[str, int], list[str]]:
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


def forget_subjects(subjects: list[str], conn: sqlite3.Connection) -> tuple[dict[str, int], list[str]]:
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


def prune_observations(where: str, args: list[Any], limit: int, conn: sqlite3.Connection) -> int:
    """Delete up to *limit* of the oldest observations matching *where*."""
    return conn.execute(f"DELETE FROM observations WHERE id IN (SELECT id FROM observations WHERE {where} "
                        "ORDER BY ts LIMIT ?)", [*args, limit]).rowcount


def prune_side(table: str, before: float | None, limit: int, conn: sqlite3.Connection) -> tuple[int, list[str]]:
    """Delete up to *limit* of the oldest rows of a side table (last touched before *before*, if given);
    returns how many, and the files the snapshot rows name."""
    order = SIDE_ORDER[table]
    where, args = (f"{order} < ?", [before]) if before is not None else ("1", [])
    chosen = f"SELECT rowid FROM {table} WHERE {where} ORDER BY {order} LIMIT ?"
    files = ([r[0] for r in conn.execute(f"SELECT file FROM snapshots WHERE rowid IN ({chosen})", [*args, limit])]
             if table == "snapshots" else [])
    return conn.execute(f"DELETE FROM {table} WHERE rowid IN ({chosen})", [*args, limit]).rowcount, files


def vacuum(conn: sqlite3.Connection) -> None:
    """Rewrite the file (outside a transaction); an older database gets incremental auto-vacuum with it."""
    conn.execute("PRAGMA auto_vacuum=INCREMENTAL")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("VACUUM")


def log_vacuum(future: Future[None]) -> None:
    if not future.cancelled() and future.exception() is not None:    # the next forgetting will try again
        logger.info("store: vacuum did not run: %s", future.exception())
