import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from importlib import resources
from pathlib import Path

from device.hub import ObservationHub
from device.observations import Observation
from device.store import SCHEMA_VERSION, Store

ROOT = Path(__file__).resolve().parents[2]


def obs(ts, kind="face", subject=None, **value):
    return Observation(ts, "camera", kind, subject, value or {"count": 1}, 0.5)


def running(tmp_path, flush=0.05):
    hub, store = ObservationHub(), Store(tmp_path / "kit.db", flush_interval_s=flush)
    store.start(hub)
    return hub, store


def test_observations_published_are_stored_and_read_back(tmp_path):
    hub, store = running(tmp_path)
    for i in range(10):
        hub.publish(obs(100.0 + i, count=i))
    assert store.flush(timeout=2)
    rows = store.query(kind="face", limit=3)
    assert [o.value["count"] for o in rows] == [7, 8, 9], "the newest three, oldest first"
    assert rows[0].id is not None and rows[0].confidence == 0.5
    after = store.query(since=104.0, limit=2)
    assert [o.ts for o in after] == [105.0, 106.0], "after since, oldest first, so a client can page on"
    page = store.query(kind="face", limit=3, offset=3, newest_first=True)
    assert [o.value["count"] for o in page] == [6, 5, 4]
    (inventory,) = store.inventory()
    assert inventory["count"] == 10 and (inventory["oldest"], inventory["newest"]) == (100.0, 109.0)
    assert inventory["bytes"] > 10 * len('{"count":1}')
    assert store.count(kind="face", since=105.0) == 4
    assert [o.ts for o in store.iterate(kind="face", since=107.0)] == [108.0, 109.0]
    store.close()


def test_many_threads_reading_at_once_share_a_few_connections(tmp_path):
    """As the web server's thread per phone does: answers stay right, open connections stay few."""
    import threading

    from device.store import READERS

    hub, store = running(tmp_path)
    for i in range(50):
        hub.publish(obs(100.0 + i, count=i))
    assert store.flush(timeout=2)
    answers, start = [], threading.Barrier(40)

    def read():
        start.wait(5)
        answers.extend(store.count(kind="face") for _ in range(20))

    readers = [threading.Thread(target=read) for _ in range(40)]
    for thread in readers:
        thread.start()
    for thread in readers:
        thread.join(10)
    assert answers == [50] * 800
    assert 1 <= store._readers.qsize() <= READERS, "connections opened for reading, all back in the pool"
    open_here = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            open_here.append(os.readlink(f"/proc/self/fd/{fd}"))
        except FileNotFoundError:       # the listing's own descriptor, closed by now
            pass
    database_files = [name for name in open_here if name.startswith(str(tmp_path))]
    assert len(database_files) <= 3 * (READERS + 1), "the writer's and the readers' files, no more"
    store.close()


def test_the_database_is_in_wal_mode_with_a_schema_version(tmp_path):
    Store(tmp_path / "kit.db")
    with closing(sqlite3.connect(tmp_path / "kit.db")) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_a_kit_upgraded_in_place_keeps_its_data(tmp_path):
    with closing(sqlite3.connect(tmp_path / "kit.db")) as conn:       # a store from the first release
        conn.executescript(resources.files("device.store").joinpath("schema_1.sql").read_text())
        conn.execute("INSERT INTO observations (ts, source, kind, value) VALUES (1.0, 'camera', 'face', '{}')")
        conn.execute("PRAGMA user_version=1")
        conn.commit()
    store = Store(tmp_path / "kit.db")
    assert [o.ts for o in store.query()] == [1.0]
    assert set(store.tables()) == {"observations", "tracks", "visitors", "snapshots"}


def test_close_writes_everything_already_published(tmp_path):
    hub, store = running(tmp_path, flush=5.0)
    for i in range(500):
        hub.publish(obs(float(i)))
    store.close()
    with closing(sqlite3.connect(tmp_path / "kit.db")) as conn:
        assert conn.execute("SELECT COUNT(*) FROM observations").fetchone()[0] == 500


def test_a_store_from_a_newer_kit_is_refused_not_damaged(tmp_path):
    with closing(sqlite3.connect(tmp_path / "kit.db")) as conn:
        conn.execute("PRAGMA user_version=99")
    try:
        Store(tmp_path / "kit.db")
    except RuntimeError as exc:
        assert "newer awareness-kit" in str(exc)
    else:
        raise AssertionError("a newer schema must be refused")


def test_a_track_keeps_its_trajectory_and_signature_in_the_tracks_table(tmp_path):
    hub, store = running(tmp_path)
    hub.publish(obs(10.0, "person", "track:7", id=7, state="new", dwell_s=0.0, looked=0))
    hub.publish(obs(25.0, "person", "track:7", id=7, state="left", dwell_s=15.0, looked=2,
                    trajectory=[[10.0, 1, 2], [25.0, 3, 4]], signature={"clothes": [0.5, 0.5], "face": None}))
    assert store.flush()
    total, (track,) = store.side_rows("tracks")
    assert total == 1 and track["subject"] == "track:7" and track["first_seen"] == 10.0 and track["looked"] == 2
    assert json.loads(track["trajectory"]) == [[10.0, 1, 2], [25.0, 3, 4]]
    assert json.loads(track["signature"])["clothes"] == [0.5, 0.5]
    assert "trajectory" not in store.query(kind="person")[-1].value, "detail lives in one place"
    store.close()


def test_forgetting_a_subject_takes_everything_about_them_and_nothing_else(tmp_path):
    hub, store = running(tmp_path)
    picture = tmp_path / "snapshots" / "track-7.jpg"
    picture.parent.mkdir()
    picture.write_bytes(b"jpeg")
    hub.publish(obs(1.0, "person", "track:7", state="left", dwell_s=3.0, looked=1, trajectory=[[1.0, 1, 1]]))
    hub.publish(obs(1.5, "snapshot", "track:7", file="snapshots/track-7.jpg", blurred=True))
    hub.publish(obs(2.0, "face", "track:8"))
    hub.publish(obs(3.0, "motion"))
    assert store.flush()
    store.record_visit("visitor:ab", 4.0, {"user_agent": "x"})
    counts = store.forget_subjects(["track:7", "visitor:ab"])
    assert counts == {"person": 1, "snapshot": 1, "tracks": 1, "visitors": 1, "snapshots": 1}
    assert not picture.exists()
    assert [(o.kind, o.subject) for o in store.query()] == [("face", "track:8"), ("motion", None)]
    store.close()


def test_forget_all_empties_every_table(tmp_path):
    hub, store = running(tmp_path)
    for i in range(20):
        hub.publish(obs(float(i), "person", f"track:{i}", state="left", dwell_s=1.0, looked=0))
    assert store.flush()
    store.record_visit("visitor:1", 1.0, {})
    assert store.forget_all() == {"person": 20, "tracks": 20, "visitors": 1}
    assert store.count() == 0 and store.side_rows("tracks")[0] == 0
    store.vacuum()
    store.close()


def test_pruning_by_age_and_oldest_first(tmp_path):
    hub, store = running(tmp_path)
    for i in range(10):
        hub.publish(obs(float(i), "motion" if i % 2 else "face"))
    assert store.flush()
    assert store.prune(kind="motion", before=5.0) == 2          # motion at 1 and 3
    assert store.prune(oldest=3) == 3                           # face 0, face 2, face 4
    assert [o.ts for o in store.query(limit=100)] == [5.0, 6.0, 7.0, 8.0, 9.0]
    store.close()


WRITER = """
import sys, time
from device.hub import ObservationHub
from device.observations import Observation
from device.store import Store
hub, store = ObservationHub(), Store(sys.argv[1])
store.start(hub)
n = 0
while True:
    now = time.time()
    for _ in range(200):
        n += 1
        hub.publish(Observation(now, "camera", "motion", None, {"n": n}))
    print(f"{now:.3f} {n}", flush=True)
    time.sleep(0.05)
"""


def test_kill_9_during_heavy_writing_loses_at_most_the_last_second(tmp_path):
    db = tmp_path / "kit.db"
    with subprocess.Popen([sys.executable, "-c", WRITER, str(db)], cwd=ROOT, stdout=subprocess.PIPE,
                          text=True) as writer:
        lines = []
        deadline = time.monotonic() + 20
        while len(lines) < 40 and time.monotonic() < deadline:      # about two seconds of 4,000 rows a second
            lines.append(writer.stdout.readline())
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait(5)
    last_ts = float(lines[-1].split()[0])
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        newest = conn.execute("SELECT MAX(ts) FROM observations").fetchone()[0]
        rows = conn.execute("SELECT COUNT(*) FROM observations").fetchone()[0]
    assert newest >= last_ts - 1.0, f"lost {last_ts - newest:.2f} s of observations"
    assert rows >= 200 * (len(lines) - 25)
    assert Store(db).count() == rows, "a killed kit's store opens again as it was"
