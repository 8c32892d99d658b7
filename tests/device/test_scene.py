import numpy as np
import pytest

from device.audio.level import dbfs
from device.scene import ROOM_DEPTH_M, Scene
from device.vision.faces import FaceDetector


def first_visitor(scene):
    return scene.visitors_between(0, 1)[0]


def test_the_same_seed_plays_the_same_scene():
    a, b = Scene(seed=7), Scene(seed=7)
    assert np.array_equal(a.render(9.3), b.render(9.3))
    assert np.array_equal(a.sound(16000 * 9, 1600), b.sound(16000 * 9, 1600))
    assert [v.enter for v in a.visitors_between(0, 120)] == [v.enter for v in b.visitors_between(0, 120)]


def test_another_seed_plays_other_visitors():
    assert Scene(seed=1).visitors_between(0, 120) != Scene(seed=2).visitors_between(0, 120)


def test_a_visitor_enters_stops_looks_talks_and_leaves_in_that_order():
    v = first_visitor(Scene(seed=3))
    assert v.enter < v.arrive <= v.look_start <= v.talk_start < v.talk_end <= v.look_end < v.leave < v.exit
    scene = Scene(seed=3)
    standing = (v.arrive + v.look_start) / 2
    assert not scene.people(v.enter - 0.1)
    assert [p.looking for p in scene.people(standing)] == [False]
    assert [(p.looking, p.talking) for p in scene.people((v.talk_start + v.talk_end) / 2)] == [(True, True)]
    assert not any(p.visitor is v for p in scene.people(v.exit + 0.1))


def test_visitors_keep_coming_all_day():
    scene = Scene(seed=1)
    late = scene.visitors_between(8 * 3600, 8 * 3600 + 120)
    assert late, "a lively demo: someone comes by every couple of minutes, hours in"


def test_the_face_detector_finds_the_faces_of_visitors_looking_at_the_camera():
    import cv2

    scene, detector = Scene(seed=1), FaceDetector()
    found = looked = 0
    for t in np.arange(0, 90, 0.5):
        people = [p for p in scene.people(t) if p.looking]
        if not people:
            continue
        grey = cv2.cvtColor(cv2.resize(scene.render(t), (320, 240), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2GRAY)
        faces = detector.detect(grey)
        looked += 1
        found += any(abs(fx * 2 - p.face_box[0]) < 30 and abs(fy * 2 - p.face_box[1]) < 30
                     for p in people for fx, fy, _, _ in faces)
    assert looked > 20
    assert found / looked >= 0.9


def test_no_face_is_found_when_nobody_looks_at_the_camera():
    import cv2

    scene, detector = Scene(seed=1), FaceDetector()
    v = first_visitor(scene)
    for t in (v.enter + 1.0, (v.arrive + v.look_start) / 2, v.leave + 1.0):
        grey = cv2.cvtColor(cv2.resize(scene.render(t), (320, 240), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2GRAY)
        assert detector.detect(grey) == []


def test_the_room_sounds_like_speech_while_a_visitor_talks():
    scene = Scene(seed=1)
    v = first_visitor(scene)
    quiet = dbfs(scene.sound(int((v.arrive + 0.2) * 16000), 16000))
    talk = dbfs(scene.sound(int(v.talk_start * 16000), int((v.talk_end - v.talk_start) * 16000)))
    assert quiet < -45
    assert talk > quiet + 20


def test_the_pir_and_the_distance_follow_the_visitor():
    scene = Scene(seed=1)
    v = first_visitor(scene)
    assert not scene.pir(v.enter - 0.1) and scene.distance(v.enter - 0.1) == ROOM_DEPTH_M
    assert scene.pir(v.arrive) and scene.distance(v.arrive + 0.5) == pytest.approx(v.distance_m)
    assert scene.pir(v.exit + 1.0), "a PIR holds its output a moment after the last movement"
