"""Export: every row the kit stores, the observations and the side tables (tracks, visitors, snapshots), as
JSON lines or CSV, times in ISO 8601 with the kit's UTC offset. It only reads (the store's read-only readers),
so it works beside a running kit and never migrates or writes the database (as `awareness-kit export` uses it).

    store = readable(data_dir / "awareness.db")     # StoreError for a file no kit of this version can read
    with open("out.jsonl", "w") as out:
        counts = export(store, out, fmt="jsonl")    # {"observations": 120, "tracks": 4, "visitors": 2, ...}

One line per row, observations first (by id), then each side table (by its key):

    {"table":"observations","id":7,"ts":"2026-11-30T14:05:09.250+01:00","source":"camera","kind":"face",...}
    {"table":"tracks","subject":"track:3","first_seen":"2026-11-30T14:04:58.000+01:00",...,"trajectory":[...]}

CSV is one file of the same rows: a "table" column, then the columns of every table (a row fills those of its
own table). One file, not a zip of one CSV per table, because it streams line by line like the JSON lines: to
standard output, through `| head` or `grep`, or as a download that starts at once; a spreadsheet's filter on
the table column shows one table. JSON columns (value, trajectory, signature, details) hold compact JSON text.
Times inside JSON (a trajectory's points) stay as stored: seconds since 1970.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from device.errors import StoreError
from device.store.reading import Reads
from device.store.schema import SCHEMA_VERSION, SIDE_ORDER, SIDE_TABLES, not_a_database

TABLES = ("observations", *SIDE_TABLES)
KEYS = {"observations": "id", "tracks": "subject", "visitors": "subject", "snapshots": "id"}   # pages in this order
TIMES = {"observations": "ts", **SIDE_ORDER}      # for since=
TIME_COLUMNS = {"ts", "first_seen", "last_seen"}
JSON_COLUMNS = {"value", "trajectory", "signature", "details"}
BOOLEAN_COLUMNS = {"blurred"}
PAGE = 1000


def iso(ts: float | None) -> str | None:
    """A time (seconds since 1970) as ISO 8601 in the kit's local time, with its UTC offset, to the millisecond:
    1796043909.25 -> "2026-11-30T14:05:09.250+01:00" in Belgrade's winter."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, tz=UTC).astimezone().isoformat(timespec="milliseconds")


def readable(path: Path) -> Reads:
    """The store at *path*, for reading only, checked without writing anything: StoreError when it is not an
    awareness-kit database or was written by a newer kit."""
    store = Reads(Path(path))
    try:
        with store._reading() as conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError as exc:         # not there, or not readable by this user
        raise StoreError(f"cannot read {path} ({exc}): check that this user may read it") from exc
    except sqlite3.DatabaseError as exc:
        raise not_a_database(Path(path), exc) from exc
    if version > SCHEMA_VERSION:
        raise StoreError(f"{path} was written by a newer awareness-kit (schema {version}, this kit knows "
                         f"{SCHEMA_VERSION}): export it with that kit")
    return store


def _rows(store: Reads, *, since: float | None, kind: str | None) -> Iterator[dict[str, Any]]:
    """Every row as exported, {"table": .., column: value, ..} (times in ISO 8601, JSON columns parsed), table
    by table, a page at a time by each table's key. *since*: rows written (side tables: last touched) after it;
    *kind*: observations of that kind only. Each page is a read of its own on one of the store's pooled readers:
    a slow download holds none of them, nor the database's log from its checkpoint, between two pages."""
    for table, columns in _tables(store, kind).items():
        key, where, args = KEYS[table], [], []
        if kind is not None:
            where.append("kind = ?")
            args.append(kind)
        if since is not None:
            where.append(f"{TIMES[table]} > ?")
            args.append(since)
        after: Any = None
        while True:
            clauses = where + ([f"{key} > ?"] if after is not None else [])
            text = f"WHERE {' AND '.join(clauses)}" if clauses else ""
            with store._reading() as conn:      # the export is the pool's reader too (see Reads)
                found = conn.execute(f"SELECT * FROM {table} {text} ORDER BY {key} LIMIT {PAGE}",
                                     [*args, after] if after is not None else args).fetchall()
            for values in found:
                yield {"table": table, **{c: _value(c, v) for c, v in zip(columns, values, strict=True)}}
            if len(found) < PAGE:
                break
            after = found[-1][key]


def _tables(store: Reads, kind: str | None) -> dict[str, list[str]]:
    """The tables exported that this database has (an old one may lack the side tables), with their columns."""
    present = store.tables()
    return {table: present[table] for table in (TABLES if kind is None else ("observations",)) if table in present}


def _value(column: str, value: Any) -> Any:
    if value is None:
        return None
    if column in TIME_COLUMNS:
        return iso(value)
    if column in JSON_COLUMNS:
        try:
            return json.loads(value)
        except (TypeError, ValueError):
            return value            # not JSON after all: as stored
    if column in BOOLEAN_COLUMNS:
        return bool(value)
    return value


def lines(store: Reads, *, fmt: str, since: float | None = None, kind: str | None = None,
          counts: Counter[str] | None = None) -> Iterator[str]:
    """The export as text lines (each ends with a newline), streamed a page at a time; *counts*, if given,
    counts the rows of each table as they go."""
    if fmt not in ("jsonl", "csv"):
        raise ValueError(f"format must be jsonl or csv, not {fmt!r}")
    counts = Counter() if counts is None else counts
    if fmt == "csv":        # "table", then every column of every table, each once, in the tables' order
        header = ["table", *dict.fromkeys(column for columns in _tables(store, kind).values() for column in columns)]
        buffer = _Line()
        writer = csv.writer(buffer)
        writer.writerow(header)
        yield buffer.take()
    for row in _rows(store, since=since, kind=kind):
        counts[row["table"]] += 1
        if fmt == "jsonl":
            yield json.dumps(row, separators=(",", ":")) + "\n"
        else:
            writer.writerow([_cell(name, row.get(name)) for name in header])
            yield buffer.take()


def _cell(name: str, value: Any) -> Any:
    if name in JSON_COLUMNS and value is not None:
        return json.dumps(value, separators=(",", ":"))
    return "" if value is None else value


def export(store: Reads, out: TextIO, *, fmt: str, since: float | None = None,
           kind: str | None = None) -> Counter[str]:
    """Write the export to *out*; returns how many rows of each table went (each table named, 0 included)."""
    counts: Counter[str] = Counter({table: 0 for table in (TABLES if kind is None else ("observations",))})
    for line in lines(store, fmt=fmt, since=since, kind=kind, counts=counts):
        out.write(line)
    return counts


class _Line:
    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> None:
        self.text += text

    def take(self) -> str:
        text, self.text = self.text, ""
        return text
