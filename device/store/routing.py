"""Routing: the services that own a kind say what of its observations goes to a side table.

The store knows rows and tables, not what a person or a track is. A service registers a split for its kind:

    def split(obs):         # on the writer thread, inside the batch's transaction
        row = SideRow("tracks", {"subject": obs.subject, "last_seen": obs.ts}, key="subject")
        return {k: v for k, v in obs.value.items() if k != "trajectory"}, [row]

    store.route("person", split)
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from device.observations import Observation
from device.store.schema import SIDE_TABLES


@dataclass(frozen=True)
class SideRow:
    """A row to insert into a side table; with *key*, an upsert on that column that keeps the old value of
    the columns in *keep* when the new one is None, and never changes the columns in *fixed* once inserted.

        SideRow("tracks", {"subject": "track:7", "first_seen": 5.0, "signature": None}, key="subject",
                keep=("signature",), fixed=("first_seen",))
    """

    table: str
    values: dict[str, Any]
    key: str | None = None
    keep: tuple[str, ...] = ()
    fixed: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.table not in SIDE_TABLES:
            raise ValueError(f"no side table {self.table!r}: the side tables are {', '.join(SIDE_TABLES)}")
        if self.key is not None and self.key not in self.values:
            raise ValueError(f"the key {self.key!r} must be one of the row's values")
        if (self.keep or self.fixed) and self.key is None:
            raise ValueError("keep= and fixed= need a key= (they say what an upsert keeps)")
        for name, columns in (("keep", self.keep), ("fixed", self.fixed)):
            if not set(columns) <= set(self.values) - {self.key}:
                raise ValueError(f"{name}={columns!r}: each must be one of the row's values other than the key")


Split = Callable[[Observation], tuple[dict[str, Any], list[SideRow]]]


class SideTables:
    """Turns SideRows into SQL whose table and column names were checked against the schema."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.columns = {table: {c[1] for c in conn.execute(f"PRAGMA table_info({table})")} for table in SIDE_TABLES}
        self._sql: dict[tuple[Any, ...], str] = {}

    def statement(self, row: SideRow) -> tuple[str, tuple[Any, ...]]:
        """(SQL, parameters) for one row; ValueError for a column the table does not have."""
        names = tuple(row.values)
        shape = (row.table, names, row.key, row.keep, row.fixed)
        sql = self._sql.get(shape)
        if sql is None:
            sql = self._sql[shape] = self._build(row.table, names, row.key, row.keep, row.fixed)
        return sql, tuple(row.values.values())

    def _build(self, table: str, names: tuple[str, ...], key: str | None, keep: tuple[str, ...],
               fixed: tuple[str, ...]) -> str:
        unknown = [name for name in names if name not in self.columns[table]]
        if unknown or not names:
            raise ValueError(f"table {table} has no column {', '.join(map(repr, unknown)) or '(none given)'}; "
                             f"its columns are {', '.join(sorted(self.columns[table]))}")
        sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
        if key is None:
            return sql
        updates = [f"{name} = COALESCE(excluded.{name}, {name})" if name in keep else f"{name} = excluded.{name}"
                   for name in names if name != key and name not in fixed]
        return f"{sql} ON CONFLICT({key}) " + (f"DO UPDATE SET {', '.join(updates)}" if updates else "DO NOTHING")
