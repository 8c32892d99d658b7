import cv2
import numpy as np

from device.config import VisionConfig
from device.hub import Frame
from device.scene import face_bank
from device.vision.motion import MotionDetector
from device.vision.pipeline import VisionAnalyzer
from device.vision.privacy import blur_faces, render_view


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


class Published(list):
    def __call__(self, obs):
        self.append(obs)


def test_the_analyzer_finds_a_face_that_appears_and_reports_it_once():
    published = Published()
    analyzer = VisionAnalyzer(VisionConfig(), publish=published)
    analyzer.process(Frame(1, 1.0, scene_with_face()))
    det = analyzer.process(Frame(2, 1.1, scene_with_face((300, 100))))
    (x, y, w, h), = det.faces
    assert abs(x - 300) < 25 and abs(y - 100) < 25 and 70 < w < 140
    faces = [o for o in published if o.kind == "face"]
    assert [o.value["count"] for o in faces] == [1]
    analyzer.process(Frame(3, 1.2, scene_with_face((300, 100))))
    assert len([o for o in published if o.kind == "face"]) == 1, "no new observation within the second"


def test_face_detection_is_gated_on_motion():
    config = VisionConfig(face_recheck_s=60.0)
    analyzer = VisionAnalyzer(config, publish=Published())
    still = scene_with_face()
    analyzer.process(Frame(1, 1.0, still))            # the first frame is checked once
    checks = analyzer.face_checks
    for i in range(2, 30):
        analyzer.process(Frame(i, 1.0 + i / 15, still))
    assert analyzer.face_checks == checks, "a still, empty picture is not searched again before the recheck"
    analyzer.process(Frame(31, 4.0, scene_with_face((100, 100))))
    assert analyzer.face_checks == checks + 1


def test_viewers_see_faces_pixelated():
    image = scene_with_face((200, 100))
    original = image[100:200, 200:300].copy()
    blur_faces(image, [(200, 100, 100, 100)])
    assert not np.array_equal(image[100:200, 200:300], original)
    assert np.unique(image[100:200, 200:300].reshape(-1, 3), axis=0).shape[0] <= 36  # 6x6 blocks at most
    assert np.array_equal(image[0:100], scene_with_face((200, 100))[0:100])            # nothing else changed


def test_the_view_is_a_jpeg():
    from device.vision.pipeline import Detections

    jpeg = render_view(scene_with_face((200, 100)), Detections(faces=[(200, 100, 100, 100)]), blur=True)
    assert jpeg[:2] == b"\xff\xd8" and jpeg[-2:] == b"\xff\xd9"
    assert cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR).shape == (480, 640, 3)
