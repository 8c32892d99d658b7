import sqlite3
import subprocess
import sys

from device.hub import ObservationHub
from device.observations import Observation
from device.store import Store


def obs(ts, kind="face", **value):
    return Observation(ts, "camera", kind, None, value or {"count": 1}, 0.5)


def test_observations_published_are_stored_and_read_back(tmp_path):
    hub, store = ObservationHub(), Store(tmp_path / "kit.db", flush_interval_s=0.05)
    store.start(hub)
    for i in range(10):
        hub.publish(obs(100.0 + i, count=i))
    assert store.flush(timeout=2)
    rows = store.query(kind="face", limit=3)
    assert [o.value["count"] for o in rows] == [7, 8, 9], "the newest three, oldest first"
    assert rows[0].id is not None and rows[0].confidence == 0.5
    after = store.query(since=104.0, limit=2)
    assert [o.ts for o in after] == [105.0, 106.0], "after since, oldest first, so a client can page on"
    assert store.inventory() == [{"kind": "face", "count": 10, "oldest": 100.0, "newest": 109.0}]
    store.close()


def test_the_database_is_in_wal_mode_with_a_schema_version(tmp_path):
    Store(tmp_path / "kit.db")
    conn = sqlite3.connect(tmp_path / "kit.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1


def test_close_writes_everything_already_published(tmp_path):
    hub, store = ObservationHub(), Store(tmp_path / "kit.db", flush_interval_s=5.0)
    store.start(hub)
    for i in range(500):
        hub.publish(obs(float(i)))
    store.close()
    assert sqlite3.connect(tmp_path / "kit.db").execute("SELECT COUNT(*) FROM observations").fetchone()[0] == 500


def test_a_store_from_a_newer_kit_is_refused_not_damaged(tmp_path):
    conn = sqlite3.connect(tmp_path / "kit.db")
    conn.execute("PRAGMA user_version=99")
    conn.close()
    try:
        Store(tmp_path / "kit.db")
    except RuntimeError as exc:
        assert "newer awareness-kit" in str(exc)
    else:
        raise AssertionError("a newer schema must be refused")


def test_reopening_keeps_the_data(tmp_path):
    hub, store = ObservationHub(), Store(tmp_path / "kit.db")
    store.start(hub)
    hub.publish(obs(1.0))
    store.close()
    again = Store(tmp_path / "kit.db")
    assert [o.ts for o in again.query()] == [1.0]
    assert subprocess.run([sys.executable, "-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]);"
                           "print(c.execute('PRAGMA integrity_check').fetchone()[0])", str(tmp_path / "kit.db")],
                          capture_output=True, text=True).stdout.strip() == "ok"
