import threading

import numpy as np

from device.hub import FrameHub, ObservationHub
from device.observations import Observation


def obs(n, kind="motion"):
    return Observation(float(n), "camera", kind, None, {"n": n})


def test_a_late_reader_gets_the_newest_frame_not_a_queue():
    hub = FrameHub(encode=lambda f, view: b"")
    for i in range(5):
        hub.publish(np.full((2, 2), i, np.uint8))
    frame = hub.wait_newer(0, timeout=0.1)
    assert frame.index == 5 and frame.image[0, 0] == 4
    assert hub.wait_newer(5, timeout=0.05) is None


def test_each_frame_is_encoded_once_whatever_the_number_of_viewers():
    encoded = []
    hub = FrameHub(encode=lambda f, view: encoded.append(f.index) or b"jpeg%d" % f.index)
    hub.publish(np.zeros((2, 2), np.uint8), ts=10.0)
    results = []
    threads = [threading.Thread(target=lambda: results.append(hub.jpeg())) for _ in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [(1, 10.0, b"jpeg1")] * 30 and encoded == [1]
    hub.publish(np.zeros((2, 2), np.uint8), ts=11.0)
    assert hub.jpeg() == (2, 11.0, b"jpeg2") and encoded == [1, 2]


def test_closing_wakes_a_waiting_reader():
    hub = FrameHub(encode=lambda f, view: b"")
    got = []
    reader = threading.Thread(target=lambda: got.append(hub.wait_newer(0, timeout=10)))
    reader.start()
    hub.close()
    reader.join(2)
    assert not reader.is_alive() and got == [None]


def test_a_full_subscription_drops_its_oldest_and_counts_it():
    hub = ObservationHub()
    slow = hub.subscribe(maxsize=3)
    fast = hub.subscribe(maxsize=100)
    for n in range(5):
        hub.publish(obs(n))
    assert [o.value["n"] for o in slow.get_batch(0.1)] == [2, 3, 4] and slow.dropped == 2
    assert len(fast.get_batch(0.1)) == 5 and fast.dropped == 0
    assert hub.counts["motion"] == 5 and hub.latest["motion"].value == {"n": 4}


def test_a_closed_subscription_receives_nothing_more():
    hub = ObservationHub()
    sub = hub.subscribe()
    sub.close()
    hub.publish(obs(1))
    assert sub.get_batch(0.01) == [] and sub.closed


def test_a_snapshot_of_the_latest_is_a_copy_that_publishing_does_not_change():
    hub = ObservationHub()
    hub.publish(Observation(1.0, "camera", "face", None, {"count": 1}))
    latest, counts = hub.snapshot()
    hub.publish(Observation(2.0, "camera", "motion", None, {"area": 0.1}))
    assert set(latest) == {"face"} and counts == {"face": 1}, "what a reader holds does not change under it"
    assert set(hub.snapshot()[0]) == {"face", "motion"}
