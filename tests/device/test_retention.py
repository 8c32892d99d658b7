"""Retention by age and the disk guard, on a real store: what goes when the disk fills up, and how soon."""

from __future__ import annotations

import os
import shutil
import time
from collections import namedtuple

import pytest

from device.hub import ObservationHub
from device.observations import Observation
from device.services import retention as retention_module
from device.services.retention import Retention
from device.store import Store, StorePaused
from device.workers import Worker
from tests.helpers import eventually

Usage = namedtuple("Usage", "total used free")
MB = 1_000_000


@pytest.fixture
def store(config):
    hub, store = ObservationHub(), Store(config.data_dir / "awareness.db", flush_interval_s=0.05)
    store.start(hub)
    store.hub = hub
    yield store
    store.close()


def free_space(monkeypatch, mb):
    """The file system says *mb* MB are free (the store's free pages are its own business)."""
    monkeypatch.setattr(retention_module.shutil, "disk_usage", lambda path: Usage(10_000 * MB, 0, mb * MB))


def fill(store, n, start=None, kind="face"):
    """n observations, a second apart, the newest a few seconds old."""
    start = time.time() - n - 60 if start is None else start
    for i in range(n):
        store.hub.publish(Observation(start + i, "camera", kind, f"track:{i % 30}", {"count": i, "pad": "x" * 80}))
    assert store.flush(10)


def test_a_nearly_full_disk_prunes_the_oldest_of_every_table_visitors_included(config, store, monkeypatch):
    now = time.time()
    fill(store, 3000, now - 3000)
    for i in range(400):                     # a flood of phones: the visitors table must not grow for ever
        store.record_visit(f"visitor:{i}", now - 1000 + i, {"user_agent": "x" * 300})
    free_space(monkeypatch, 5)
    retention = Retention(config.replace("store", min_free_mb=100), store)
    pruned = retention.keep_house(now)
    assert retention.disk["low"] is True and "motion" in store.skip_kinds
    assert pruned["oldest (disk nearly full)"] == 1000 and store.count() == 2000
    assert store.query(limit=1, newest_first=True)[0].ts == now - 1, "the newest stay"
    assert store.side_counts()["visitors"] == 360 and store.visitor("visitor:39") is None
    assert store.visitor("visitor:40") is not None, "the oldest tenth of the visitors went, no more"


def test_free_pages_inside_the_database_count_as_free(config, store, monkeypatch):
    """Pruning frees pages that new rows reuse; the file system's figure need not move for the guard to see it."""
    fill(store, 20000)
    assert store.prune(oldest=10000) == 10000
    inside = store.reusable_bytes() / MB
    assert inside > 0.5
    free_space(monkeypatch, 10)
    retention = Retention(config.replace("store", min_free_mb=int(10 + inside / 2)), store)
    retention.keep_house(time.time())
    assert retention.disk["low"] is False and store.count() == 10000, "room enough: nothing more pruned"
    assert store.skip_kinds == frozenset()


def test_pages_pruned_on_a_nearly_full_disk_go_back_to_the_file_system(config, store, monkeypatch):
    fill(store, 20000)
    before = os.path.getsize(store.path) + os.path.getsize(f"{store.path}-wal")
    free_space(monkeypatch, 5)
    Retention(config.replace("store", min_free_mb=100), store).keep_house(time.time())
    after = os.path.getsize(store.path) + os.path.getsize(f"{store.path}-wal")
    assert store.count() == 18000 and after < before - 100_000, (before, after)


def test_when_a_write_finds_the_disk_full_the_guard_prunes_at_once_and_storing_resumes(config, store):
    retention = Retention(config, store)         # plenty of room says the file system: only the write knows
    worker = Worker("housekeeping", retention.loop).start()
    try:
        assert eventually(lambda: retention.disk), "the first round, at start"
        fill(store, 5000)
        store.write(lambda conn: conn.execute("PRAGMA max_page_count=1").fetchone(), transaction=False)
        started = time.monotonic()
        for i in range(3000):
            store.hub.publish(Observation(time.time(), "camera", "face", None, {"count": i}))
        assert eventually(lambda: retention.disk.get("full") is True, timeout=5), "pruned within the round's minute"
        assert store.flush(5) and eventually(lambda: store.state == "storing")
        print(f"disk full -> storing again: {time.monotonic() - started:.2f} s")
        assert time.monotonic() - started < 4.0
        assert store.status()["lost"] == 0 and store.count(since=time.time() - 30) == 3000, "none lost"
    finally:
        worker.close(timeout=3)


def test_a_step_that_fails_does_not_stop_the_others(config, store, monkeypatch):
    now = time.time()
    store.record_visit("visitor:old", now - 100 * 3600, {})

    def paused(**_):
        raise StorePaused("storing is paused: disk full")

    monkeypatch.setattr(store, "prune", paused)
    pruned = Retention(config, store).keep_house(now)
    assert pruned == {"side tables": 1} and store.visitor("visitor:old") is None


def test_a_damaged_database_moved_aside_goes_after_the_longest_retention_or_when_the_disk_fills(
        config, store, monkeypatch):
    old, new = (config.data_dir / f"awareness.db.corrupt-2026010{n}-000000" for n in (1, 2))
    for path in (old, new):
        path.write_bytes(b"rows of someone")
    os.utime(old, (time.time() - 200 * 3600,) * 2)
    retention = Retention(config, store)
    retention.keep_house(time.time())
    assert not old.exists() and new.exists(), "kept no longer than any observation"
    free_space(monkeypatch, 5)
    Retention(config.replace("store", min_free_mb=100), store).keep_house(time.time())
    assert not new.exists(), "the first thing to go when the disk fills up"


def test_the_reserve_is_kept_while_the_disk_has_room(config, store):
    reserve = config.data_dir / "awareness.db.reserve"
    assert eventually(lambda: reserve.exists()), "made when the writer starts"
    reserve.unlink()
    Retention(config, store).keep_house(time.time())
    assert reserve.stat().st_size >= 1024 * 1024, "made again by the disk guard"
    assert shutil.disk_usage(config.data_dir).free > 0


def test_the_guard_leaves_a_healthy_disk_alone(config, store):
    fill(store, 100, time.time() - 100)
    retention = Retention(config.replace("store", min_free_mb=10), store)
    assert retention.keep_house(time.time()) == {}
    assert retention.disk["low"] is False and retention.disk["full"] is False and store.count() == 100
