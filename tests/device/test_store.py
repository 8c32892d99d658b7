import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import closing
from importlib import resources
from pathlib import Path

import pytest

from device.errors import StoreError
from device.hub import ObservationHub
from device.observations import Observation
from device.store import SCHEMA_VERSION, SideRow, Store
from tests.helpers import eventually

ROOT = Path(__file__).resolve().parents[2]


def obs(ts, kind="face", subject=None, **value):
    return Observation(ts, "camera", kind, subject, value or {"count": 1}, 0.5)


def running(tmp_path, flush=0.05, routes=None):
    hub, store = ObservationHub(), Store(tmp_path / "kit.db", flush_interval_s=flush)
    for kind, split in (routes or {}).items():
        store.route(kind, split)
    store.start(hub)
    return hub, store


TRACK_DETAIL = ("trajectory", "signature")


def person(o):
    """As the vision side routes a person: the track's row, its trajectory and signature kept there only."""
    v = o.value
    if not o.subject:
        return v, []
    detail = {k: json.dumps(v[k], separators=(",", ":")) if k in v else None for k in TRACK_DETAIL}
    row = SideRow("tracks", {"subject": o.subject, "first_seen": o.ts - float(v.get("dwell_s") or 0.0),
                             "last_seen": o.ts, "dwell_s": v.get("dwell_s"), "looked": v.get("looked"), **detail},
                  key="subject", keep=TRACK_DETAIL)
    return {k: x for k, x in v.items() if k not in TRACK_DETAIL}, [row]


def snapshot(o):
    return o.value, [SideRow("snapshots", {"ts": o.ts, "subject": o.subject, "file": o.value["file"],
                                           "blurred": int(bool(o.value.get("blurred")))})]


VISION = {"person": person, "snapshot": snapshot}


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
    with pytest.raises(StoreError, match="newer awareness-kit"):
        Store(tmp_path / "kit.db")


def test_a_track_keeps_its_trajectory_and_signature_in_the_tracks_table(tmp_path):
    hub, store = running(tmp_path, routes=VISION)
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
    hub, store = running(tmp_path, routes=VISION)
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
    hub, store = running(tmp_path, routes=VISION)
    for i in range(20):
        hub.publish(obs(float(i), "person", f"track:{i}", state="left", dwell_s=1.0, looked=0))
    assert store.flush()
    store.record_visit("visitor:1", 1.0, {})
    assert store.forget_all() == {"person": 20, "tracks": 20, "visitors": 1}
    assert store.count() == 0 and store.side_rows("tracks")[0] == 0
    assert store.vacuum_later().result(10) is None, "the kit does not wait for this one"
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


# ---- the one writer thread
def statements_by_thread(store):
    """The names of the threads that ran SQL on the writer's connection."""
    names = set()
    store.write(lambda conn: conn.set_trace_callback(lambda sql: names.add(threading.current_thread().name)))
    return names


def test_writes_from_eight_threads_at_once_all_run_on_the_writer_thread(tmp_path):
    hub, store = running(tmp_path)
    for i in range(8):
        for j in range(5):
            hub.publish(obs(float(j), "face", f"gone:{i}"))
    for j in range(40):
        hub.publish(obs(float(j), "motion"))
    assert store.flush()
    sql_threads, fn_threads = statements_by_thread(store), []
    start, results = threading.Barrier(9), {"forgot": [], "pruned": [], "visits": []}

    def stream():               # observations keep coming while the commands run
        start.wait(5)
        for n in range(2000):
            hub.publish(obs(1000.0 + n, "sound"))

    def mark(conn, i, k):
        fn_threads.append((threading.current_thread().name, threading.get_ident()))
        conn.execute("INSERT INTO snapshots (ts, subject, file, blurred) VALUES (?, ?, ?, 1)", (k, f"w:{i}", "x"))
        return k

    def commands(i):
        start.wait(5)
        for k in range(10):
            results["visits"].append(store.record_visit(f"visitor:{i}", float(k), {"k": k}))
            assert store.write(lambda conn, k=k: mark(conn, i, k)) == k
            results["pruned"].append(store.prune(kind="motion", before=20.0))
        results["forgot"].append(store.forget_subjects({f"gone:{i}"}))

    threads = [threading.Thread(target=commands, args=(i,)) for i in range(8)] + [threading.Thread(target=stream)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not any(thread.is_alive() for thread in threads)
    assert store.flush(5)
    assert sorted(results["visits"]) == sorted(list(range(1, 11)) * 8), "each thread's visits counted 1..10"
    assert store.side_rows("snapshots", limit=1)[0] == 80, "every write(fn) committed"
    assert sum(results["pruned"]) == 20, "each motion row pruned once, by one command"
    assert results["forgot"] == [{"face": 5}] * 8
    assert store.count(kind="sound") == 2000 and store.dropped == 0 and store.failed == 0, "no observation lost"
    assert {name for name, _ in fn_threads} == {"store-writer"} and len({i for _, i in fn_threads}) == 1
    assert sql_threads == {"store-writer"}, "every statement on the writer's connection ran on its thread"
    store.close()


def test_a_command_runs_after_what_was_published_before_it(tmp_path):
    hub, store = running(tmp_path, flush=5.0)        # the interval never ends during this test
    gate = threading.Event()
    busy = store.submit(lambda conn: gate.wait(5))   # the writer is held up, so what follows queues
    for i in range(300):
        hub.publish(obs(float(i)))
    counted = store.submit(lambda conn: conn.execute("SELECT COUNT(*) FROM observations").fetchone()[0])
    for i in range(300, 400):
        hub.publish(obs(float(i)))
    gate.set()
    assert busy.result(5) is True and counted.result(5) == 300, "after all published before it, none after"
    for i in range(50):
        hub.publish(obs(float(i), "motion"))
    assert store.forget_all() == {"face": 400, "motion": 50}, "forget everything erases what came just before"
    assert store.count() == 0
    started = time.monotonic()
    store.record_visit("visitor:1", 1.0, {})
    assert time.monotonic() - started < 1.0, "an idle writer picks a command up at once, not at the interval"
    store.close()


def test_a_failing_command_reaches_its_caller_and_the_writer_goes_on(tmp_path):
    hub, store = running(tmp_path)

    def half_done(conn):
        conn.execute("INSERT INTO visitors (subject, first_seen, last_seen) VALUES ('visitor:x', 1, 1)")
        raise ValueError("no")

    with pytest.raises(ValueError, match="no"):
        store.write(half_done)
    assert store.visitor("visitor:x") is None, "the command's transaction was rolled back"
    future = store.submit(lambda conn: conn.execute("SELECT nonsense FROM nowhere"))
    with pytest.raises(sqlite3.OperationalError):
        future.result(5)
    assert store.record_visit("visitor:y", 1.0, {}) == 1
    hub.publish(obs(1.0))
    assert store.flush() and store.count() == 1
    store.close()


def test_commands_need_a_running_writer_and_reads_do_not(tmp_path):
    store = Store(tmp_path / "kit.db")
    with pytest.raises(StoreError, match="not running"):
        store.record_visit("visitor:1", 1.0, {})
    assert store.query() == [] and store.count() == 0 and store.flush(), "reads (as the export) work without it"
    hub = ObservationHub()
    store.start(hub)
    assert store.record_visit("visitor:1", 1.0, {}) == 1
    store.close()
    store.close()
    for command in (store.forget_all, store.vacuum_later, lambda: store.write(lambda conn: None)):
        with pytest.raises(StoreError, match="not running"):
            command()
    assert store.visitor("visitor:1")["visits"] == 1


def test_a_batch_that_cannot_be_written_is_counted_kept_and_written_when_it_can(tmp_path):
    hub, store = running(tmp_path)
    store.write(lambda conn: conn.execute("PRAGMA busy_timeout=50"))
    with closing(sqlite3.connect(tmp_path / "kit.db", isolation_level=None)) as other:
        other.execute("BEGIN IMMEDIATE")         # another process holds the write lock: "database is locked"
        for i in range(3):
            hub.publish(obs(float(i)))
        assert eventually(lambda: store.failed == 3) and store.state == "paused: database locked"
        assert not store.flush(0.3), "not on disk yet"
        other.execute("ROLLBACK")
    hub.publish(obs(9.0))
    assert store.flush(5) and [o.ts for o in store.query()] == [0.0, 1.0, 2.0, 9.0], "kept, in order"
    assert eventually(lambda: store.state == "storing")
    assert store.status()["lost"] == 0 and store.status()["late"] == store.failed == 4, "9.0 came while paused"
    store.close()


# ---- storage failures are loud and recoverable (issue 13)
def disk_full(store):
    """A real SQLITE_FULL: the writer's connection may not grow the database by one more page."""
    store.write(lambda conn: conn.execute("PRAGMA max_page_count=1").fetchone(), transaction=False)


def space_returns(store):
    store.write(lambda conn: conn.execute("PRAGMA max_page_count=1073741823").fetchone(), transaction=False)


def test_a_full_disk_pauses_storing_loudly_keeps_the_observations_and_resumes_by_itself(tmp_path, caplog):
    hub, store = running(tmp_path)
    disk_full(store)
    for i in range(3000):
        hub.publish(obs(float(i), count=i))
    assert eventually(lambda: store.state == "paused: disk full")
    assert not store.flush(1.5), "a second of retries later, still not on disk"
    status = store.status()
    assert status["state"] == "paused: disk full" and "full" in status["last_error"]
    assert status["since"] <= time.time() and status["waiting"] > 0 and status["failed"] >= status["waiting"]
    assert status["dropped"] == 0 and status["lost"] == 0
    assert any(r.levelname == "ERROR" and "storing paused: disk full" in r.getMessage() for r in caplog.records)
    assert store.write(lambda conn: conn.execute("SELECT COUNT(*) FROM visitors").fetchone()[0]) == 0, \
        "commands go on while paused"
    started = time.monotonic()
    space_returns(store)
    assert store.flush(5), "stored again without a restart"
    assert eventually(lambda: store.state == "storing")
    resumed = time.monotonic() - started
    assert resumed < 3.0, f"{resumed:.1f} s from space returning to storing"
    assert store.count() == 3000 and [o.value["count"] for o in store.query(limit=2)] == [2998, 2999]
    status = store.status()
    assert status["lost"] == 0 and status["waiting"] == 0 and status["late"] == status["failed"] > 0
    assert eventually(lambda: any("storing again after" in r.getMessage() for r in caplog.records))
    store.close()


def test_while_paused_the_queue_overflows_into_dropped_and_says_what_was_lost(tmp_path, monkeypatch):
    from device.store import writer

    monkeypatch.setattr(writer, "WRITER_QUEUE", 100)
    hub, store = running(tmp_path)
    disk_full(store)
    for i in range(250):
        hub.publish(obs(float(i), count=i))
    assert eventually(lambda: store.status()["failed"] == 250)
    status = store.status()
    assert status["waiting"] == 100 and status["dropped"] == 150 == status["lost"]
    space_returns(store)
    assert store.flush(5)
    assert [o.value["count"] for o in store.query(limit=1000)] == list(range(150, 250)), "the newest kept"
    store.close()


def test_pruning_and_forgetting_work_on_a_full_disk_and_take_the_waiting_ones_too(tmp_path):
    hub, store = running(tmp_path)
    for i in range(2000):
        hub.publish(obs(float(i), "motion", None if i % 2 else "track:1"))
    assert store.flush(5)
    disk_full(store)
    for i in range(2000, 2100):
        hub.publish(obs(float(i), "face", "track:1" if i % 2 else "track:2"))
    assert eventually(lambda: store.status()["waiting"] == 100)
    assert store.forget_subjects({"track:1"}) == {"motion": 1000, "face": 50}, "stored and waiting ones alike"
    assert store.prune(oldest=500) == 500, "deleting needs no new page"
    assert store.flush(5) and eventually(lambda: store.state == "storing"), "the room made is used at once"
    assert {o.subject for o in store.query(kind="face", limit=100)} == {"track:2"}
    assert store.count(kind="face") == 50 and store.status()["lost"] == 0, "forgotten on request is not lost"
    store.close()


def test_a_read_only_database_is_said_counted_retried_and_stored_when_writable_again(tmp_path, monkeypatch):
    from device.store import writer

    hub, store = running(tmp_path)
    writable, tries, real = threading.Event(), [], writer.open_for_writing

    def reopen(path, **options):            # as a file the kit's user may not write: SQLite opens it read-only
        tries.append(time.monotonic())
        if writable.is_set():
            return real(path, **options)
        return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)

    monkeypatch.setattr(writer, "open_for_writing", reopen)
    store.write(lambda conn: conn.execute("PRAGMA query_only=1"), transaction=False)   # read-only from here on
    for i in range(152):
        hub.publish(obs(float(i)))
    assert eventually(lambda: store.state == "paused: database read-only")
    assert not store.flush(2.5) and len(tries) >= 2, "retried, with a new connection each time"
    status = store.status()
    assert status["failed"] == 152 == status["waiting"] and status["lost"] == 0
    assert "readonly" in status["last_error"]
    with pytest.raises(StoreError, match="paused: database read-only"):
        store.record_visit("visitor:1", 1.0, {})
    writable.set()
    assert store.flush(5) and store.count() == 152 and store.state == "storing"
    assert store.record_visit("visitor:1", 1.0, {}) == 1
    store.close()


READ_ONLY_FILE = """
import os, sys, time
from pathlib import Path
from device.hub import ObservationHub
from device.observations import Observation
from device.store import Store
path = Path(sys.argv[1])
hub, store = ObservationHub(), Store(path, flush_interval_s=0.05)
store.start(hub)
for i in range(152):
    hub.publish(Observation(2.0 + i, "camera", "face", None, {}))
time.sleep(2.5)
print(store.status().get("state"), store.status().get("waiting"), flush=True)
os.chmod(path, 0o644)                   # its owner makes it writable again
started = time.monotonic()
print(store.flush(5), store.count(), store.status().get("state"), round(time.monotonic() - started, 2), flush=True)
store.close()
"""


def test_a_database_file_the_kits_user_may_not_write_pauses_storing_and_resumes_when_it_may(tmp_path):
    """The real thing, as the kit's user: SQLite opens a file it may not write read-only, without a word."""
    import shutil
    import tempfile

    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0 or setpriv is None:
        pytest.skip("needs root and setpriv to run as another user (the mode=ro test above covers the logic)")
    folder = Path(tempfile.mkdtemp(prefix="read-only-"))
    try:
        hub, store = ObservationHub(), Store(folder / "kit.db")
        store.start(hub)
        hub.publish(obs(1.0))
        store.close()
        (folder / "kit.db.reserve").unlink(missing_ok=True)
        folder.chmod(0o755)
        for path in folder.iterdir():
            os.chown(path, 65534, 65534)
        os.chown(folder, 65534, 65534)
        (folder / "kit.db").chmod(0o444)
        done = subprocess.run([setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-c",
                               READ_ONLY_FILE, str(folder / "kit.db")], cwd=ROOT, capture_output=True, text=True,
                              timeout=60)
        if "Permission denied" in done.stderr or "No module named" in done.stderr:
            pytest.skip(f"the kit's code is not readable by another user here: {done.stderr[-200:]}")
        paused, stored = done.stdout.splitlines()
        assert paused == "paused: database read-only 152", done.stderr
        flushed, count, state, seconds = stored.split()
        assert (flushed, count, state) == ("True", "153", "storing") and float(seconds) < 3.0, done.stderr
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def small_disk(tmp_path):
    """A real 8 MB file system (tmpfs), where the disk can really fill up; needs root."""
    folder = tmp_path / "small"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(folder)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.decode().strip()}): max_page_count tests cover it")
    yield folder
    subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def fill_the_disk(folder):
    fd = os.open(folder / "ballast", os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, bytes(65536))
    except OSError:
        pass
    finally:
        os.close(fd)


def test_a_kit_stopped_on_a_full_disk_starts_again_on_its_reserve_or_says_the_disk_is_full(small_disk):
    hub, store = ObservationHub(), Store(small_disk / "kit.db")
    store.start(hub)
    for i in range(5000):
        hub.publish(obs(float(i)))
    assert store.flush(5) and (small_disk / "kit.db.reserve").exists()
    store.close()
    fill_the_disk(small_disk)
    store = Store(small_disk / "kit.db", recover=True)      # as the kit: SQLite could not even make its -shm
    assert store.count() == 5000 and not (small_disk / "kit.db.reserve").exists(), "the reserve made the room"
    store.close()
    fill_the_disk(small_disk)
    with pytest.raises(StoreError, match="the disk is full; free some space") as refused:
        Store(small_disk / "kit.db", recover=True)
    assert "\n" not in str(refused.value) and not list(small_disk.glob("kit.db.corrupt-*")), "not moved aside"


def test_stopping_while_paused_says_what_is_lost(tmp_path, caplog):
    hub, store = running(tmp_path)
    disk_full(store)
    for i in range(3000):
        hub.publish(obs(float(i)))
    assert eventually(lambda: store.status()["failed"] > 0) and store.flush(0.5) is False
    waiting = store.status()["waiting"]
    started = time.monotonic()
    store.close()
    assert time.monotonic() - started < 2.0
    assert store.status()["lost"] == waiting > 0 and store.status()["waiting"] == 0
    assert store.count() + waiting == 3000, "what was not written is what is said to be lost"
    assert any(r.levelname == "ERROR" and f"{waiting} observations could not be written" in r.getMessage()
               for r in caplog.records)


def test_the_side_tables_prune_by_age_or_oldest_first(tmp_path):
    hub, store = running(tmp_path, routes=VISION)
    for i in range(30):
        store.record_visit(f"visitor:{i}", float(i), {})
        hub.publish(obs(float(i), "person", f"track:{i}", state="left", dwell_s=1.0, looked=0))
    assert store.flush()
    assert store.side_counts() == {"tracks": 30, "visitors": 30, "snapshots": 0}
    assert store.prune_side(oldest={"visitors": 5, "tracks": 2}) == 7
    assert store.visitor("visitor:4") is None and store.visitor("visitor:5") is not None
    assert store.prune_side(10.0) == (10 - 5) + (10 - 2)
    assert store.side_counts() == {"tracks": 20, "visitors": 20, "snapshots": 0}
    store.close()


# ---- a database the kit cannot use
def real_database(tmp_path):
    hub, store = running(tmp_path / "real")
    hub.publish(obs(1.0))
    store.close()
    return (tmp_path / "real" / "kit.db").read_bytes()


def newer(tmp_path, path):
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE observations (id INTEGER PRIMARY KEY)")
        conn.execute("PRAGMA user_version=99")
        conn.commit()


def cut_short(tmp_path, path):
    """A database of some size whose end is missing (a full SD card, a copy cut off)."""
    hub, store = running(tmp_path / "big")
    for i in range(20000):
        hub.publish(obs(float(i), subject=f"track:{i % 50}"))
    store.close()
    data = (tmp_path / "big" / "kit.db").read_bytes()
    path.write_bytes(data[:len(data) * 6 // 10 // 4096 * 4096])


def last_page_garbage(tmp_path, path):
    """The right size, but the end is noise: the header and the schema read well, the newest rows do not."""
    cut_short(tmp_path, path)
    data = (tmp_path / "big" / "kit.db").read_bytes()
    path.write_bytes(data[:-4096] + os.urandom(4096))


DAMAGED = [
    pytest.param(lambda tmp_path, path: path.write_bytes(os.urandom(3000)), id="garbage"),
    pytest.param(last_page_garbage, id="last page garbage"),
    pytest.param(lambda tmp_path, path: path.write_bytes(real_database(tmp_path)[:100]), id="truncated"),
    pytest.param(cut_short, id="cut short"),
    pytest.param(lambda tmp_path, path: path.write_bytes(b"this is not a database\n" * 300), id="text"),
]


@pytest.mark.parametrize("make, says", [
    *[pytest.param(*damaged.values, "not an awareness-kit database", id=damaged.id) for damaged in DAMAGED],
    pytest.param(newer, "newer awareness-kit", id="newer"),
])
def test_a_database_the_kit_cannot_use_is_refused_and_left_as_it_was(tmp_path, make, says):
    path = tmp_path / "kit.db"
    make(tmp_path, path)
    before = path.read_bytes()
    with pytest.raises(StoreError, match=says) as refused:
        Store(path)
    assert str(path) in str(refused.value) and "\n" not in str(refused.value)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.glob("kit.db*")) == ["kit.db"], "no journal left beside it"


@pytest.mark.parametrize("make", DAMAGED)
def test_the_kit_moves_a_damaged_database_aside_and_starts_a_new_one(tmp_path, make, caplog):
    path = tmp_path / "kit.db"
    make(tmp_path, path)
    before = path.read_bytes()
    store = Store(path, recover=True)
    hub = ObservationHub()
    store.start(hub)
    hub.publish(obs(1.0))
    assert store.flush() and store.count() == 1, "a new, working database"
    (aside,) = store.moved_aside()[:1]
    assert re.fullmatch(r"kit\.db\.corrupt-\d{8}-\d{6}", aside.name) and aside.read_bytes() == before
    (line,) = [r for r in caplog.records if r.levelname == "ERROR" and "moved it aside" in r.getMessage()]
    assert str(path) in line.getMessage() and aside.name in line.getMessage()
    assert store.forget_all() == {"face": 1} and store.moved_aside() == [], "forgetting everything takes it too"
    store.close()


def test_a_database_moved_aside_takes_its_wal_and_shm_and_never_overwrites_another(tmp_path):
    from device.store.schema import move_aside

    path = tmp_path / "kit.db"
    for round in (1, 2):
        for end in ("", "-wal", "-shm"):
            (tmp_path / f"kit.db{end}").write_text(f"{round}{end}")
        aside = move_aside(path, ValueError("garbage"))
        assert [(tmp_path / f"{aside.name}{end}").read_text() for end in ("", "-wal", "-shm")] == \
            [f"{round}", f"{round}-wal", f"{round}-shm"]
    assert not path.exists() and len(list(tmp_path.glob("kit.db.corrupt-*"))) == 6, "two in one second: both kept"


@pytest.mark.parametrize("make, says", [(newer, "newer awareness-kit"), (
    lambda tmp_path, path: (path / "inside").mkdir(parents=True), "is a folder")], ids=["newer", "folder"])
def test_a_newer_database_or_a_folder_is_never_moved_aside(tmp_path, make, says):
    path = tmp_path / "kit.db"
    make(tmp_path, path)
    with pytest.raises(StoreError, match=says) as refused:
        Store(path, recover=True)
    assert str(path) in str(refused.value) and "\n" not in str(refused.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kit.db"], "left where it was, as it was"


def test_a_folder_where_the_database_should_be_is_refused(tmp_path):
    (tmp_path / "kit.db" / "inside").mkdir(parents=True)
    with pytest.raises(StoreError, match="is a folder") as refused:
        Store(tmp_path / "kit.db")
    assert str(tmp_path / "kit.db") in str(refused.value)
    assert [p.name for p in (tmp_path / "kit.db").iterdir()] == ["inside"]


def test_a_data_directory_that_cannot_be_made_is_refused(tmp_path):
    (tmp_path / "data").write_text("a file, not a folder")
    with pytest.raises(StoreError, match="cannot create the data directory") as refused:
        Store(tmp_path / "data" / "kit.db")
    assert str(tmp_path / "data") in str(refused.value)


# ---- routing: the owners of a kind say what goes to a side table
def test_a_route_puts_rows_in_a_side_table_and_stores_what_the_split_returned(tmp_path):
    def walker(o):
        row = SideRow("tracks", {"subject": o.subject, "first_seen": o.ts, "last_seen": o.ts,
                                 "signature": o.value.get("signature")}, key="subject", keep=("signature",))
        return {"seen": True}, [row]

    hub, store = running(tmp_path, routes={"walker": walker})
    hub.publish(obs(1.0, "walker", "track:1", signature="[1,2]", secret="kept out"))
    hub.publish(obs(2.0, "walker", "track:1", signature=None))
    hub.publish(obs(3.0, "face", "track:1", signature=None))
    assert store.flush()
    assert [o.value for o in store.query(kind="walker")] == [{"seen": True}] * 2
    assert store.query(kind="face")[0].value == {"signature": None}, "an unrouted kind is stored as it came"
    total, (row,) = store.side_rows("tracks")
    assert (row["first_seen"], row["last_seen"], row["signature"]) == (2.0, 2.0, "[1,2]"), \
        "upserted on the key; a kept column keeps its old value when the new one is None"
    store.close()


def test_a_fixed_column_is_set_once_by_the_first_row(tmp_path):
    def walker(o):
        return o.value, [SideRow("tracks", {"subject": o.subject, "first_seen": o.ts, "last_seen": o.ts},
                                 key="subject", fixed=("first_seen",))]

    hub, store = running(tmp_path, routes={"walker": walker})
    for ts in (1.0, 2.0, 3.0):
        hub.publish(obs(ts, "walker", "track:1"))
    assert store.flush()
    _, (row,) = store.side_rows("tracks")
    assert (row["first_seen"], row["last_seen"]) == (1.0, 3.0), "first seen stays when the track goes on"
    store.close()


def test_a_side_row_names_only_the_schemas_tables_and_columns(tmp_path):
    with pytest.raises(ValueError, match="no side table"):
        SideRow("observations", {"id": 1})
    with pytest.raises(ValueError, match="key"):
        SideRow("tracks", {"last_seen": 1.0}, key="subject")
    with pytest.raises(ValueError, match="keep"):
        SideRow("tracks", {"subject": "t"}, key="subject", keep=("subject",))

    def sly(o):
        return o.value, [SideRow("tracks", {"subject": "t", "first_seen": 0, "last_seen) VALUES (1); --": 1})]

    def null(o):                                    # file may not be NULL: the database refuses the row
        return o.value, [SideRow("snapshots", {"ts": o.ts, "file": None, "blurred": 0})]

    hub, store = running(tmp_path, routes={"sly": sly, "null": null})
    store.route("fine", lambda o: (o.value, []))
    with pytest.raises(ValueError, match="already routed"):
        store.route("fine", lambda o: (o.value, []))
    for kind in ("face", "sly", "null", "fine"):
        hub.publish(obs(1.0, kind))
    assert store.flush()
    assert sorted(o.kind for o in store.query()) == ["face", "fine"], "only the bad ones are lost"
    assert store.failed == 2 and store.side_rows("tracks")[0] == 0
    assert set(store.tables()) == {"observations", "tracks", "visitors", "snapshots"}
    store.close()
