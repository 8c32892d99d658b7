"""A snapshot's id is its picture's address (/snapshots/<id>.jpg): no erasing, no vacuum, no migration and no
new database beside an old one's traces hands an id out again (schema 3, device/store/schema_3.sql)."""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing
from importlib import resources

import pytest

from device.errors import StoreError
from device.hub import ObservationHub
from device.observations import Observation
from device.store import SCHEMA_VERSION, SideRow, Store


def snapshot_row(o):
    return o.value, [SideRow("snapshots", {"ts": o.ts, "subject": o.subject, "file": o.value["file"],
                                           "blurred": int(bool(o.value.get("blurred")))})]


def running(path):
    hub, store = ObservationHub(), Store(path, flush_interval_s=0.05)
    store.route("snapshot", snapshot_row)
    store.start(hub)
    return hub, store


def take(hub, store, ts: float, subject: str = "track:7") -> int:
    """One snapshot stored, as the vision side stores it; returns its row's id."""
    name = f"snapshots/{subject.replace(':', '-')}-{int(ts * 1000)}.jpg"
    hub.publish(Observation(ts, "camera", "snapshot", subject, {"file": name, "blurred": True}))
    assert store.flush(5)
    return next(r["id"] for r in store.side_rows("snapshots", limit=1000)[1] if r["file"] == name)


def schema_2_database(path, snapshots: int, observations: int = 0) -> None:
    """A database as a kit of schema 2 left it: both scripts run, rows ids 1..snapshots."""
    with closing(sqlite3.connect(path)) as conn:
        for step in (1, 2):
            conn.executescript(resources.files("device.store").joinpath(f"schema_{step}.sql").read_text())
        conn.executemany("INSERT INTO snapshots (ts, subject, file, blurred) VALUES (?,?,?,1)",
                         ((float(i), f"track:{i % 40}", f"snapshots/track-{i % 40}-{i}.jpg") for i in range(snapshots)))
        conn.executemany("INSERT INTO observations (ts, source, kind, subject, value) VALUES (?,'camera','face',?,?)",
                         ((float(i), f"track:{i % 40}", '{"count": 1}') for i in range(observations)))
        conn.execute("PRAGMA user_version=2")
        conn.commit()


def test_no_erasing_hands_a_snapshot_id_out_again(tmp_path):
    hub, store = running(tmp_path / "kit.db")
    first = take(hub, store, 10.0)
    assert first == 1, "a new database, nothing before it: ids from 1"
    highest = first
    erasings = {"forget everything": store.forget_all,
                "forget everything, then vacuum": lambda: (store.forget_all(), store.vacuum()),
                "a person's erase": lambda: store.forget_subjects({"track:7"}),
                "retention": lambda: store.prune_side(time.time()),
                "the disk guard": lambda: store.prune_side(oldest={"snapshots": 1})}
    for ts, (how, erase) in enumerate(erasings.items(), start=11):
        erase()
        assert store.snapshot(highest) is None, f"{how} erased the newest snapshot"
        taken = take(hub, store, float(ts))
        assert taken > highest, f"after {how}, id {taken} had been handed out before"
        highest = taken
    store.close()
    with closing(sqlite3.connect(tmp_path / "kit.db")) as conn:
        assert conn.execute("SELECT seq FROM sqlite_sequence WHERE name='snapshots'").fetchone() == (highest,)


def test_a_schema_2_database_keeps_its_snapshots_and_their_ids_and_never_reuses_one(tmp_path):
    path = tmp_path / "kit.db"
    schema_2_database(path, snapshots=30, observations=5)
    with closing(sqlite3.connect(path)) as conn:       # ids handed out before the upgrade: 1..30, then a wipe
        conn.execute("DELETE FROM snapshots WHERE id > 3")
        conn.commit()
    before = time.time() * 1000
    hub, store = running(path)
    assert [(r["id"], r["file"]) for r in sorted(store.side_rows("snapshots")[1], key=lambda r: r["id"])] == \
        [(1, "snapshots/track-0-0.jpg"), (2, "snapshots/track-1-1.jpg"), (3, "snapshots/track-2-2.jpg")]
    assert store.count() == 5, "observations are left as they were"
    taken = take(hub, store, 100.0)
    assert taken > before, "above any id the kit may have handed out before the upgrade (30 here), not 4"
    store.forget_all()
    assert take(hub, store, 101.0) == taken + 1
    store.close()
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3
        table, = conn.execute("SELECT sql FROM sqlite_master WHERE name='snapshots'").fetchone()
        assert "AUTOINCREMENT" in table
        assert conn.execute("SELECT tbl_name FROM sqlite_master WHERE type='index' AND name='snapshots_subject'"
                            ).fetchone() == ("snapshots",)
        plan = " ".join(r[-1] for r in conn.execute("EXPLAIN QUERY PLAN SELECT * FROM snapshots WHERE subject='x'"))
        assert "snapshots_subject" in plan
        assert not conn.execute("SELECT 1 FROM sqlite_master WHERE name='snapshots_ids_kept'").fetchone()


def test_a_migration_stopped_half_way_leaves_the_database_as_it_was(tmp_path):
    """The index's name taken by another table: the migration fails after dropping the old snapshots table,
    and everything goes back (executescript alone would have committed the drop)."""
    path = tmp_path / "kit.db"
    schema_2_database(path, snapshots=4)
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("DROP INDEX snapshots_subject")
        conn.execute("CREATE INDEX snapshots_subject ON tracks (subject)")
        conn.commit()
        schema = conn.execute("SELECT * FROM sqlite_master ORDER BY name").fetchall()
    with pytest.raises(StoreError, match="snapshots_subject already exists"):
        Store(path)
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
        assert conn.execute("SELECT * FROM sqlite_master ORDER BY name").fetchall() == schema, "no table replaced"
        assert [r[0] for r in conn.execute("SELECT id FROM snapshots ORDER BY id")] == [1, 2, 3, 4]


def test_a_new_database_after_a_damaged_one_does_not_start_again_at_1(tmp_path):
    path = tmp_path / "kit.db"
    path.write_bytes(b"not a database, but a kit's pictures were listed in it" * 100)
    before = time.time() * 1000
    store = Store(path, recover=True)
    assert store.moved_aside(), "the damaged one is kept beside it"
    hub = ObservationHub()
    store.route("snapshot", snapshot_row)
    store.start(hub)
    assert take(hub, store, 5.0) > before
    store.close()


def test_a_database_of_a_newer_kit_is_refused(tmp_path):
    with closing(sqlite3.connect(tmp_path / "kit.db")) as conn:
        conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match=f"newer awareness-kit \\(schema {SCHEMA_VERSION + 1}"):
        Store(tmp_path / "kit.db")
