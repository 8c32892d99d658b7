"""The marker: tracks, line crossings, occlusion and re-identification, on small synthetic pictures."""

import numpy as np

from device.vision.people import PeopleDetector
from device.vision.signature import Signature, clothes_histogram
from device.vision.tracker import Tracker

RED, BLUE = (40, 40, 200), (200, 60, 40)


def room(*people):
    """A 640x480 picture of an empty grey room with coloured people-shaped rectangles at (x, colour)."""
    image = np.full((480, 640, 3), (150, 160, 170), np.uint8)
    for x, colour in people:
        image[120:420, x:x + 100] = colour
    return image


def boxes(*xs):
    return [(x, 120, 100, 300) for x in xs]


def test_a_moving_person_keeps_their_id_and_crossing_the_line_counts():
    tracker = Tracker(line_x=320, width=640)
    events = []
    for step, x in enumerate(range(100, 420, 20)):
        events += tracker.update(step / 15, boxes(x), room((x, RED)))
    assert [t.id for t in tracker.active] == [1]
    assert [e.kind for e in events] == ["start", "cross"]
    assert events[1].detail == {"direction": "in"} and (tracker.count_in, tracker.count_out) == (1, 0)
    track = tracker.active[0]
    assert track.direction == "right" and track.dwell_s > 0.9 and len(track.trail) == 16


def test_a_lost_track_ends_and_goes_to_the_gallery():
    tracker = Tracker(line_x=320, width=640, lost_after_s=1.0, confirm_hits=1, confirm_s=0.0)
    tracker.update(0.0, boxes(200), room((200, RED)))
    tracker.update(0.5, [], room())
    assert tracker.active and not tracker.active[0].visible
    events = tracker.update(1.6, [], room())
    assert [e.kind for e in events] == ["end"] and not tracker.active and len(tracker.gallery) == 1


def test_people_who_merge_and_part_keep_their_own_ids_by_the_colour_of_their_clothes():
    tracker = Tracker(line_x=320, width=640, confirm_hits=1, confirm_s=0.0)
    tracker.update(0.0, boxes(100, 400), room((100, RED), (400, BLUE)))
    red, blue = tracker.active
    merged = (150, 120, 300, 300)
    tracker.update(0.1, [merged], room((150, RED), (350, BLUE)))
    assert {red.visible, blue.visible} == {True, False}, "one is hidden behind the other, not lost"
    tracker.update(0.2, boxes(100, 450), room((100, BLUE), (450, RED)))   # they part, having swapped sides
    assert red.box[0] == 450 and blue.box[0] == 100


def test_someone_who_comes_back_gets_their_old_id_when_they_look_alike():
    tracker = Tracker(line_x=320, width=640, lost_after_s=0.5, confirm_hits=1, confirm_s=0.0)
    face = np.linspace(-1, 1, 64)
    face /= np.linalg.norm(face)
    tracker.update(0.0, boxes(200), room((200, RED)))
    first = tracker.active[0]
    first.signature.face = face
    tracker.update(1.0, [], room())
    tracker.update(2.0, [], room())
    assert not tracker.active
    tracker.update(30.0, boxes(300), room((300, RED)))
    back = tracker.active[0]
    assert back.id != first.id
    back.signature.face = face
    event = tracker.reidentify(back, 30.0)
    assert event.kind == "reid" and back.id == first.id and event.detail["confidence"] >= 0.9


def test_a_stranger_in_other_clothes_is_not_given_an_old_id():
    tracker = Tracker(line_x=320, width=640, lost_after_s=0.5, confirm_hits=1, confirm_s=0.0)
    tracker.update(0.0, boxes(200), room((200, RED)))
    tracker.active[0].signature.face = np.ones(64) / 8
    tracker.update(1.0, [], room())
    tracker.update(2.0, [], room())
    tracker.update(30.0, boxes(300), room((300, BLUE)))
    stranger = tracker.active[0]
    stranger.signature.face = np.linspace(-1, 1, 64) / np.linalg.norm(np.linspace(-1, 1, 64))
    assert tracker.reidentify(stranger, 30.0) is None and stranger.id == 2


def test_signatures_compare_clothes_and_faces():
    red = Signature(clothes_histogram(room((200, RED)), boxes(200)[0]))
    red_again = Signature(clothes_histogram(room((300, RED)), boxes(300)[0]))
    blue = Signature(clothes_histogram(room((200, BLUE)), boxes(200)[0]))
    assert red.similarity(red_again) > 0.8 > 0.3 > red.similarity(blue)


def test_the_people_detector_finds_someone_standing_still_and_ignores_a_wide_car():
    detector = PeopleDetector()
    empty = np.full((120, 160, 3), 150, np.uint8)
    detector.detect(empty)
    person = empty.copy()
    person[30:100, 60:85] = (40, 40, 200)
    for _ in range(15 * 20):                # twenty seconds standing still
        found = detector.detect(person)
    assert len(found) == 1 and abs(found[0][0] - 60) <= 3
    car = empty.copy()
    car[80:110, 10:120] = (200, 60, 40)
    assert detector.detect(car) == []


def test_forgetting_while_frames_are_analysed_neither_raises_nor_corrupts():
    """Forget everything (and forget one person) 1,000 times from another thread while the vision thread
    ends tracks into the gallery and re-identifies newcomers against it."""
    import threading

    tracker = Tracker(line_x=320, width=640, gallery_size=200, confirm_hits=1, confirm_s=0.0, lost_after_s=1.0)
    face = np.ones(64) / 8
    errors: list[BaseException] = []
    done = threading.Event()
    rounds = [0]

    def analyse() -> None:
        ts = 0.0
        try:
            while not done.is_set():
                rounds[0] += 1
                ts += 10.0
                tracker.update(ts, boxes(200), room((200, RED)))
                tracker.active[0].signature.face = face
                tracker.reidentify(tracker.active[0], ts)
                tracker.update(ts + 0.5, [], room())
                tracker.update(ts + 2.0, [], room())        # ended: into the gallery
        except BaseException as exc:       # noqa: BLE001 - the test reports whatever the thread hit
            errors.append(exc)

    thread = threading.Thread(target=analyse)
    thread.start()
    try:
        forgets = 0
        while (forgets < 1000 or rounds[0] < 200) and thread.is_alive():
            tracker.forget_all() if forgets % 2 else tracker.forget(forgets % 7 + 1)
            tracker.in_view()
            forgets += 1
    finally:
        done.set()
        thread.join(10)
    assert not errors, f"the vision thread failed: {errors[0]!r}"
    assert rounds[0] >= 200, "frames were analysed meanwhile"
    gallery = list(tracker.gallery)
    assert len(gallery) <= 200 and all(not t.visible for t in gallery), "only ended tracks are remembered"
    assert tracker.forget_all() == len(gallery) and not tracker.gallery


def test_a_flicker_is_not_given_a_number_but_someone_who_stays_is():
    tracker = Tracker(line_x=320, width=640)
    events = tracker.update(0.0, boxes(200), room((200, RED)))
    events += tracker.update(0.1, [], room())
    events += tracker.update(0.6, [], room())
    assert not events and not tracker.active and tracker.started == 0, "a shape seen once is nobody"
    for step in range(12):
        events += tracker.update(1.0 + step / 10, boxes(200 + step), room((200 + step, RED)))
    assert [e.kind for e in events] == ["start"] and [t.id for t in tracker.active] == [1]


def test_someone_missed_for_a_moment_keeps_their_number():
    tracker = Tracker(line_x=320, width=640)
    for step in range(15):                                  # walking right, 10 px a frame
        tracker.update(step / 10, boxes(100 + 10 * step), room((100 + 10 * step, RED)))
    for step in range(15, 25):                              # lost for a second (behind a pillar)
        tracker.update(step / 10, [], room())
    for step in range(25, 40):                              # seen again further on
        tracker.update(step / 10, boxes(100 + 10 * step), room((100 + 10 * step, RED)))
    assert [t.id for t in tracker.active] == [1] and tracker.started == 1


def test_a_face_embedding_recognises_someone_in_other_clothes():
    tracker = Tracker(line_x=320, width=640, lost_after_s=0.5, confirm_hits=1, confirm_s=0.0)
    face = np.linspace(-1, 1, 128).astype(np.float32)
    tracker.update(0.0, boxes(200), room((200, RED)))
    tracker.active[0].signature.face = np.ones(64) / 8
    tracker.active[0].signature.embedding = face
    tracker.update(1.0, [], room())
    tracker.update(2.0, [], room())
    tracker.update(30.0, boxes(300), room((300, BLUE)))     # back, in a blue coat
    back = tracker.active[0]
    back.signature.face = np.ones(64) / 8
    back.signature.embedding = face + 0.01
    event = tracker.reidentify(back, 30.0)
    assert back.id == 1 and event.detail["method"].startswith("face recognition")
    assert event.detail["confidence"] >= 0.9


# ---- numbering: after the tracks stored, and from 1 again once everything is forgotten (issue 15)

def walk_past(tracker, start: float, x0: int = 100) -> None:
    """Someone walks right, across the line, and out at the picture's edge (their track ends)."""
    for step, x in enumerate(range(x0, 541, 20)):
        tracker.update(start + step / 10, boxes(x), room((x, RED)))
    tracker.update(start + 3.0, [], room())
    tracker.update(start + 3.5, [], room())


def test_the_numbers_go_on_after_the_highest_stored_and_restart_at_one_after_a_wipe():
    tracker = Tracker(line_x=320, width=640, left_after_s=0.3)
    tracker.continue_after(41)
    walk_past(tracker, 0.0)
    assert [t.id for t in tracker.gallery] == [42] and tracker.started == 1, "41 are stored: this is #42"
    assert tracker.count_in == 1
    tracker.continue_after(7)
    walk_past(tracker, 10.0, x0=120)
    assert tracker.gallery[-1].id == 43 and tracker.started == 2, "a lower number changes nothing"
    for step in range(12):                              # someone in view when everything is forgotten
        tracker.update(20.0 + step / 10, boxes(200), room((200, BLUE)))
    assert [t.id for t in tracker.active] == [44]
    tracker.restart()
    assert not tracker.active and not tracker.tentative and not tracker.gallery, "nobody followed or remembered"
    assert (tracker.count_in, tracker.count_out, tracker.started) == (0, 0, 0)
    for step in range(12):                              # still there: a new person now, the first
        tracker.update(22.0 + step / 10, boxes(200), room((200, BLUE)))
    assert [t.id for t in tracker.active] == [1] and tracker.started == 1


def test_an_exhibitions_kit_goes_on_numbering_after_a_wipe():
    tracker = Tracker(line_x=320, width=640)
    tracker.continue_after(9)
    walk_past(tracker, 0.0)
    tracker.restart(numbers=False)
    assert tracker.started == 0 and not tracker.gallery
    walk_past(tracker, 10.0)
    assert tracker.gallery[-1].id == 11 and tracker.started == 1


def test_the_highest_track_stored_is_read_as_a_number_from_every_table(tmp_path):
    import sqlite3
    from contextlib import closing
    from importlib import resources

    from device.vision.watching import highest_track

    with closing(sqlite3.connect(tmp_path / "old.db")) as conn:
        conn.executescript(resources.files("device.store").joinpath("schema_1.sql").read_text())
        assert highest_track(conn) == 0, "no track, and no side tables (an old database)"
        conn.executemany("INSERT INTO observations (ts, source, kind, subject, value) VALUES (0, 'camera', 'face', ?, "
                         "'{}')", [("track:9",), ("track:10",), ("visitor:99",), ("trackless",), (None,)])
        assert highest_track(conn) == 10, "10 > 9, though 'track:9' > 'track:10' as text"
        conn.executescript(resources.files("device.store").joinpath("schema_2.sql").read_text())
        conn.execute("INSERT INTO tracks (subject, first_seen, last_seen) VALUES ('track:57', 0, 1)")
        conn.execute("INSERT INTO snapshots (ts, subject, file, blurred) VALUES (0, 'track:12', 'x.jpg', 1)")
        assert highest_track(conn) == 57


def test_the_kit_numbers_people_after_those_stored_and_from_one_after_forgetting_everything(config):
    """A restart (kit #2 on kit #1's data) goes on after track:57; forget everything makes the next person #1."""
    from device.hub import ObservationHub
    from device.kit import Kit
    from device.observations import Observation
    from device.store import Store
    from device.vision.watching import stored_person
    from tests.helpers import eventually

    hub, store = ObservationHub(), Store(config.data_dir / "awareness.db")
    store.route("person", stored_person)
    store.start(hub)
    hub.publish(Observation(1.0, "camera", "person", "track:57", {"state": "left", "dwell_s": 2.0}))
    hub.publish(Observation(2.0, "camera", "face", "track:9", {"count": 1}))
    store.close()

    kit = Kit(config)
    kit.start()
    try:
        assert eventually(lambda: kit.watching.in_view(), timeout=20), "a simulated visitor comes in"
        assert min(p.id for p in kit.watching.in_view()) == 58
        kit.watching.analyzer.people.heat[:] = 100          # as after a busy hour
        kit.forgetting.everything()
        assert kit.status()["vision"]["tracked_total"] == 0 and not kit.watching.in_view()
        assert kit.watching.analyzer.people.heat.max() < 2, "the heatmap forgets where people were too"
        assert eventually(lambda: kit.watching.in_view(), timeout=20)
        assert min(p.id for p in kit.watching.in_view()) == 1, "the first person after the wipe is #1"
        assert kit.store.flush(5)
        subjects = {row["subject"] for row in kit.store.side_rows("tracks")[1]}
        assert "track:57" not in subjects and "track:58" not in subjects, "erased, so #1 clashes with nobody"
    finally:
        kit.stop()


def test_someone_inside_at_a_wipe_who_leaves_is_counted_as_first_seen_inside_so_out_never_exceeds_in_and_them():
    tracker = Tracker(line_x=320, width=640, left_after_s=0.3)
    walk_past(tracker, 0.0)
    before = tracker.since
    tracker.restart()
    assert (tracker.count_in, tracker.count_out, tracker.first_inside) == (0, 0, 0) and tracker.since >= before
    for step in range(12):                              # in the room (right of the line) when everything went
        tracker.update(10.0 + step / 10, boxes(440), room((440, BLUE)))
    for step, x in enumerate(range(440, -1, -40)):      # then leaves, across the line and out at the left
        tracker.update(11.2 + step / 10, boxes(x), room((x, BLUE)))
    tracker.update(14.0, [], room())
    tracker.update(14.5, [], room())
    assert (tracker.count_in, tracker.count_out, tracker.first_inside) == (0, 1, 1)
    walk_past(tracker, 20.0)                            # a newcomer from outside: an "in", not first seen inside
    assert (tracker.count_in, tracker.count_out, tracker.first_inside) == (1, 1, 1)
    assert tracker.count_out <= tracker.count_in + tracker.first_inside
