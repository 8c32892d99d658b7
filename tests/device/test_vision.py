import cv2
import numpy as np
import pytest

from device.config import VisionConfig
from device.hub import Frame
from device.scene import Scene, face_bank
from device.vision.motion import MotionDetector
from device.vision.pipeline import VisionAnalyzer
from device.vision.privacy import blur_faces, render_view
from tests.helpers import Published


def small_frame(square_at=None):
    frame = np.full((120, 160), 90, np.uint8)
    if square_at is not None:
        x, y = square_at
        frame[y:y + 20, x:x + 20] = 200
    return frame


def test_a_still_picture_has_no_motion():
    detector = MotionDetector()
    detector.detect(small_frame((40, 40)))
    result = detector.detect(small_frame((40, 40)))
    assert not result.moving and result.fraction == 0.0


def test_a_moving_square_is_boxed_where_it_moved():
    detector = MotionDetector()
    detector.detect(small_frame((40, 40)))
    result = detector.detect(small_frame((60, 40)))
    assert result.moving
    (x, y, w, h), = result.boxes
    assert 35 <= x <= 45 and x + w >= 75 and 35 <= y <= 45 and y + h >= 55


def test_tiny_flicker_is_ignored():
    detector = MotionDetector(min_area=0.01)
    detector.detect(small_frame())
    frame = small_frame()
    frame[10:13, 10:13] = 250
    assert not detector.detect(frame).moving


def scene_with_face(face_at=None, size=100):
    image = np.full((480, 640, 3), 150, np.uint8)
    if face_at is not None:
        face = cv2.resize(face_bank()[0], (size, size))
        x, y = face_at
        image[y:y + size, x:x + size] = face
    return image


def play(scene, start, end, analyzer, fps=15):
    """Analyse the simulated scene from start to end; return the detections of each frame."""
    out = []
    for i in range(int(start * fps), int(end * fps)):
        out.append(analyzer.process(Frame(i + 1, i / fps, scene.render(i / fps))))
    return out


def test_a_visitor_is_tracked_with_one_id_and_their_face_reported_while_they_look():
    scene, published = Scene(seed=1), Published()
    analyzer = VisionAnalyzer(VisionConfig(), publish=published)
    visitor, following = scene.visitors_between(0, 20)[:2]
    frames = play(scene, 0, min(visitor.exit + 1.0, following.enter), analyzer)
    standing = [d for d in frames if visitor.arrive + 0.5 <= d.ts < visitor.leave]
    assert {tuple(p.id for p in d.people) for d in standing} == {(1,)}, "one marker, the same all along"
    looking = [d for d in standing if visitor.look_start + 0.3 <= d.ts < visitor.look_end]
    assert sum(bool(d.faces) for d in looking) >= 0.9 * len(looking)
    assert not any(d.faces for d in standing if d.ts < visitor.look_start)
    people = published.of("person")
    assert {o.subject for o in people} == {"track:1"}
    last = people[-1].value
    assert last["state"] == "left" and len(last["trajectory"]) >= 5
    assert last["dwell_s"] == pytest.approx(visitor.exit - visitor.enter, abs=2.0)
    assert last["looked"] >= 1
    faces = [o for o in published.of("face") if o.value["count"]]
    assert faces and faces[0].value["faces"][0]["track"] == 1


def test_face_detection_is_gated():
    config = VisionConfig(face_recheck_s=60.0)
    analyzer = VisionAnalyzer(config, publish=Published())
    still = scene_with_face()
    analyzer.process(Frame(1, 1.0, still))            # the first frame is searched once
    checks = analyzer.face_checks
    for i in range(2, 30):
        analyzer.process(Frame(i, 1.0 + i / 15, still))
    assert analyzer.face_checks == checks, "a still, empty picture is not searched again before the recheck"


def test_a_face_with_no_body_tracked_is_still_found_where_something_moves():
    published = Published()
    analyzer = VisionAnalyzer(VisionConfig(), publish=published)
    analyzer.process(Frame(1, 1.0, scene_with_face()))
    det = analyzer.process(Frame(2, 1.1, scene_with_face((300, 100))))
    assert any(abs(x - 300) < 25 and abs(y - 100) < 25 for x, y, _, _ in det.faces)


def test_viewers_see_faces_pixelated():
    image = scene_with_face((200, 100))
    original = image[100:200, 200:300].copy()
    blur_faces(image, [(200, 100, 100, 100)], blocks=6)
    assert not np.array_equal(image[100:200, 200:300], original)
    assert np.unique(image[100:200, 200:300].reshape(-1, 3), axis=0).shape[0] <= 36  # 6x6 blocks at most
    assert np.array_equal(image[0:100], scene_with_face((200, 100))[0:100])            # nothing else changed


def test_the_view_is_a_jpeg_with_faces_blurred_unless_asked_otherwise():
    from device.vision.pipeline import Detections

    image = scene_with_face((200, 100))
    det = Detections(faces=[(200, 100, 100, 100)])
    blurred = cv2.imdecode(np.frombuffer(render_view(image, det, blur=True, blocks=4), np.uint8), cv2.IMREAD_COLOR)
    clear = cv2.imdecode(np.frombuffer(render_view(image, det, blur=False), np.uint8), cv2.IMREAD_COLOR)
    assert blurred.shape == clear.shape == (480, 640, 3)
    face = slice(110, 190), slice(210, 290)
    assert np.abs(clear[face].astype(int) - image[face]).mean() < 6
    assert np.abs(blurred[face].astype(int) - image[face]).mean() > 10


def test_plates_are_found_on_a_passing_car():
    from device.scene import car
    from device.vision.plates import PlateDetector

    scene, detector = Scene(seed=1), PlateDetector()
    passing = car(1, 0)
    hits = 0
    for t in np.arange(passing.enter + 1.2, passing.enter + 2.8, 0.2):
        px, py, pw, ph = passing.plate_box(t)
        found = detector.detect(cv2.cvtColor(scene.render(t), cv2.COLOR_BGR2GRAY))
        hits += any(x <= px + pw and px <= x + w and y <= py + ph and py <= y + h for x, y, w, h in found)
    assert hits >= 3, "the plate cascade finds a plate on most frames of a passing car"
    assert detector.detect(cv2.cvtColor(scene.render(passing.enter - 5), cv2.COLOR_BGR2GRAY)) == []
