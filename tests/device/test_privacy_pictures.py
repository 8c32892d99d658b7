"""What phones see of what the camera learnt: no face in the heatmap's room, no readable plate on a car that
drives on after its plate was found."""

from __future__ import annotations

import time
from types import SimpleNamespace

import cv2
import numpy as np
import pytest

from device.hub import Frame
from device.scene import Scene, car
from device.scene_media import face_bank
from device.services.privacy import Privacy
from device.vision.faces import FaceDetector
from device.vision.pipeline import Detections, heatmap_jpeg


class Room:
    """A people detector's layers: a learnt room with someone's face in it (they stood still), some heat."""

    def __init__(self, face: np.ndarray) -> None:
        room = np.full((240, 320, 3), (150, 170, 180), np.uint8)
        cv2.rectangle(room, (20, 60), (70, 200), (70, 90, 110), -1)         # a door
        room[40:140, 180:280] = cv2.resize(face, (100, 100), interpolation=cv2.INTER_AREA)
        self._room = room
        self.heat = np.zeros((240, 320), np.float32)
        self.heat[150:230, 60:160] = 120.0                                   # where people walked

    def background(self) -> np.ndarray:
        return self._room.copy()


class Watching:
    """The vision service's heatmap as it is made: the same JPEG until a new one is drawn."""

    def __init__(self, people: Room) -> None:
        self.analyzer = SimpleNamespace(people=people)
        self.jpeg = heatmap_jpeg(people, (320, 240))

    def heatmap_jpeg(self) -> bytes:
        return self.jpeg


def faces_in(jpeg: bytes) -> list:
    grey = cv2.cvtColor(cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2GRAY)
    return FaceDetector().detect(grey, min_size=24)


def test_phones_get_the_heatmap_over_a_coarse_room_the_kiosk_may_see_it_clear(kit, client, monkeypatch):
    watching = Watching(Room(face_bank()[0]))
    monkeypatch.setattr(kit, "watching", watching)
    made = []
    from device.vision import privacy as vision_privacy
    real = vision_privacy.public_heatmap
    monkeypatch.setattr(vision_privacy, "public_heatmap", lambda people: made.append(1) or real(people))
    assert kit.privacy.update(blur_public=True, kiosk_clear=True)
    phone = {"REMOTE_ADDR": "192.168.1.20"}

    public = client.get("/heatmap.jpg", environ_base=phone)
    assert public.status_code == 200 and public.mimetype == "image/jpeg"
    assert faces_in(watching.jpeg), "the clear heatmap shows the face (else this test shows nothing)"
    assert not faces_in(public.data), "a phone's heatmap shows no face"
    shown = cv2.imdecode(np.frombuffer(public.data, np.uint8), cv2.IMREAD_COLOR).astype(int)
    assert shown[190, 110, 2] > shown[190, 110, 0] + 40, "the heat's colours are kept (red where people walked)"
    assert faces_in(client.get("/heatmap.jpg").data), "the device's own screen sees it clear (kiosk clear on)"

    assert client.get("/heatmap.jpg", environ_base=phone).data == public.data and len(made) == 1, \
        "made once per heatmap, not per request"
    watching.jpeg = heatmap_jpeg(watching.analyzer.people, (320, 240))      # the service draws a new one
    assert not faces_in(client.get("/heatmap.jpg", environ_base=phone).data) and len(made) == 2

    assert kit.privacy.update(kiosk_clear=False)
    assert not faces_in(client.get("/heatmap.jpg").data), "kiosk clear off: the screen sees it coarse too"
    assert kit.privacy.update(blur_public=False)
    assert faces_in(client.get("/heatmap.jpg", environ_base=phone).data), "blurring off: phones see it clear"

    started = time.perf_counter()
    for _ in range(20):
        real(watching.analyzer.people)
    print(f"coarse heatmap: {(time.perf_counter() - started) / 20 * 1000:.2f} ms each")


def test_the_heat_of_someone_who_stood_still_does_not_trace_their_face_on_a_phone():
    """A still person's motion mask flickers along their features, so the heat can hold a face's shape: phones
    get the heat smoothed (the clear heatmap shows the face in its colours; the phone's does not)."""
    from device.vision.privacy import public_heatmap

    room = Room(face_bank()[0])
    room._room[:] = (150, 170, 180)                                          # an empty room: only the heat
    grey = cv2.cvtColor(cv2.resize(face_bank()[0], (100, 100), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2GRAY)
    room.heat[:] = 0
    room.heat[40:140, 180:280] = grey.astype(np.float32)                    # heat shaped like a face
    def decoded(jpeg: bytes) -> np.ndarray:
        return cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)

    face = (180, 40, 100, 100)
    clear, phone = decoded(heatmap_jpeg(room, (320, 240))), decoded(public_heatmap(room))
    kept = detail(phone, face) / detail(clear, face)
    assert kept < 0.25, f"a phone's heat keeps {kept:.0%} of the features' detail"
    assert phone[90, 230, 2] > phone[90, 230, 0] + 20, "the heat is still there, as a blob"


def detail(image: np.ndarray, box: tuple[int, int, int, int]) -> float:
    """Mean high-frequency energy of a box: a plate's letters have much, a pixelated one hardly any."""
    x, y, w, h = box
    grey = cv2.cvtColor(image[y:y + h, x:x + w], cv2.COLOR_BGR2GRAY)
    return float(np.abs(cv2.Laplacian(grey, cv2.CV_32F)).mean())


def plate_on_a_phone(privacy: Privacy, passing, index: int, t: float, image: np.ndarray,
                     costs: list[float]) -> tuple[float | None, tuple[int, int, int, int]]:
    """How much of the plate's letters a phone's frame keeps (None when the picture shows too little of them to
    judge), and the letters' box; the render's time goes to *costs*."""
    started = time.perf_counter()
    public = privacy.render(Frame(index, t, image), "public")
    costs.append(time.perf_counter() - started)
    px, py, pw, ph = passing.plate_box(t)
    text = (max(0, px + 12), py + 5, min(640, px + pw - 4) - max(0, px + 12), ph - 10)
    if text[2] < 40 or detail(image, text) < 40:
        return None, text
    shown = cv2.imdecode(np.frombuffer(public, np.uint8), cv2.IMREAD_COLOR)
    return detail(shown, text) / detail(image, text), text


@pytest.mark.parametrize("motion", [False, True], ids=["plate boxes only", "with the car's motion box"])
def test_a_plate_found_once_stays_covered_while_the_car_drives_on(config, motion):
    """The plate is found twice 0.1 s apart (two agreeing reads), then not again: the pipeline keeps reporting
    where it was found while the car crosses the picture. Every public frame between analyses hides its text."""
    scene, passing = Scene(seed=1), car(1, 0)
    state = {"now": Detections()}
    privacy = Privacy(config, detections=lambda: state["now"])
    privacy.update(blur_public=True, kiosk_clear=True)
    found = [passing.enter + 0.9, passing.enter + 1.0]
    analyses = [passing.enter + 0.5 + 0.2 * i for i in range(20)]          # five analyses a second, to 4.3 s
    checked, worst, costs = 0, 0.0, []
    for index, t in enumerate(np.arange(found[0] + 0.05, passing.enter + passing.CROSS_S, 1 / 15)):
        analysed = max(a for a in analyses + found if a <= t - 0.03)       # the frame analysed last, before t
        last = max((f for f in found if f <= analysed), default=None)
        x = passing.x_at(analysed)
        body = [(x, 300, passing.WIDTH, 170)] if motion else []
        state["now"] = Detections(analysed, body, plates=[passing.plate_box(last)] if last else [],
                                  plate_texts=[(passing.plate_box(found[1]), passing.plate)] if last else [])
        image = scene.render(t)
        kept, text = plate_on_a_phone(privacy, passing, index, float(t), image, costs)
        if kept is None:
            continue            # the plate is (mostly) out of the picture, or someone walks in front of it
        worst = max(worst, kept)
        checked += 1
        seen = t, image, text
    t, image, text = seen
    kiosk = cv2.imdecode(np.frombuffer(privacy.render(Frame(0, float(t), image), "kiosk"), np.uint8),
                         cv2.IMREAD_COLOR)
    print(f"plate detail on phones <= {worst:.0%} of the clear frame's; render {np.mean(costs) * 1000:.2f} ms "
          "a frame")
    assert checked >= 30
    assert worst < 0.3, "a phone's frame showed the plate's letters"
    assert detail(kiosk, text) > 0.6 * detail(image, text), "the kiosk's clear view shows it"


def test_the_real_pipeline_s_plates_are_covered_on_phones_from_their_first_detection(config):
    """The simulated camera's car, analysed by the pipeline (OpenCV's own detectors) every third frame, every
    frame rendered: once its plate has been found, no public frame shows its letters."""
    from device.vision.pipeline import VisionAnalyzer

    analyzer = VisionAnalyzer(config.vision, publish=lambda obs: None, models=False)
    privacy = Privacy(config, detections=lambda: analyzer.latest)
    privacy.update(blur_public=True)
    scene, passing = Scene(seed=1), car(1, 0)
    found, checked, worst = None, 0, 0.0
    for index, t in enumerate(np.arange(passing.enter - 3.0, passing.enter + passing.CROSS_S, 1 / 15)):
        image = scene.render(t)
        if index % 3 == 0:
            analyzer.process(Frame(index, float(t), image))
            if found is None and analyzer.latest.plates:
                found = t
        public = privacy.render(Frame(index, float(t), image), "public")
        px, py, pw, ph = passing.plate_box(t)
        text = (max(0, px + 12), py + 5, min(640, px + pw - 4) - max(0, px + 12), ph - 10)
        if found is None or text[2] < 40 or detail(image, text) < 40:
            continue
        shown = cv2.imdecode(np.frombuffer(public, np.uint8), cv2.IMREAD_COLOR)
        worst = max(worst, detail(shown, text) / detail(image, text))
        checked += 1
    assert found is not None, "the pipeline found the plate"
    assert checked >= 10 and worst < 0.3, f"a phone's frame showed the plate's letters ({worst:.0%} of its detail)"


# Known limits, measured: the car merges with a visitor standing in front of it, and device/vision/people.py finds no
# vehicle in a person's shape, so its plate is clear on phones until it is found (seed 1: until they part, 2.4 s after
# it enters) or for the whole crossing (seed 5: its box stops growing, then is lost). Only the leak is let pass.
MERGED_WITH_A_VISITOR = {1: "found no vehicle until the visitor and the car part",
                         5: "its box stops growing at the visitor, then is lost"}


@pytest.mark.parametrize("seed", [2, 4, 1, 5])
def test_a_plate_is_never_legible_on_phones_even_before_it_is_found(config, seed):
    """The simulated camera's car, analysed by the real pipeline (OpenCV's own detectors) every third frame,
    every frame rendered: from the first frame that shows 40 pixels of its plate's text (in the scene's own
    plate box), no public frame keeps its letters, before the plate is first found as after; the kiosk's
    clear view shows them."""
    from device.vision.pipeline import VisionAnalyzer

    analyzer = VisionAnalyzer(config.vision, publish=lambda obs: None, models=False)
    privacy = Privacy(config, detections=lambda: analyzer.latest)
    privacy.update(blur_public=True, kiosk_clear=True)
    scene, passing = Scene(seed=seed), car(seed, 0)
    found, before, kept, costs = None, 0, [], []
    for index, t in enumerate(np.arange(passing.enter - 2.0, passing.enter + passing.CROSS_S, 1 / 15)):
        image = scene.render(t)
        if index % 3 == 0:
            analyzer.process(Frame(index, float(t), image))
            found = t if found is None and analyzer.latest.plates else found
        share, text = plate_on_a_phone(privacy, passing, index, float(t), image, costs)
        if share is None:
            continue            # the plate is (mostly) out of the picture, or someone stands in front of it
        kept.append(share)
        before += found is None
        seen = t, image, text
    print(f"seed {seed}: plate detail on phones <= {max(kept):.0%} over {len(kept)} frames, {before} of them "
          f"before its first detection; render {np.mean(costs) * 1000:.2f} ms a frame")
    t, image, text = seen
    kiosk = cv2.imdecode(np.frombuffer(privacy.render(Frame(0, float(t), image), "kiosk"), np.uint8),
                         cv2.IMREAD_COLOR)
    assert detail(kiosk, text) > 0.6 * detail(image, text), "the kiosk's clear view shows it"
    assert len(kept) >= 30 and before >= 3, "frames before the plate was found are checked"
    if seed in MERGED_WITH_A_VISITOR:
        assert max(kept) >= 0.3, f"seed {seed} is masked now: take it off MERGED_WITH_A_VISITOR"
        pytest.xfail(f"known limit: {MERGED_WITH_A_VISITOR[seed]} ({max(kept):.0%} of the plate's detail shown)")
    assert max(kept) < 0.3, f"a phone's frame showed the plate's letters ({max(kept):.0%} of its detail)"


def test_a_stopped_cameras_last_picture_keeps_its_faces_blurred_on_phones(tmp_path):
    """When the camera stops, its last picture is shown again without boxes (nobody is seen any more): its faces
    are still in it, so blurred views keep them masked."""
    from device.config import Config
    from device.hub import FrameHub
    from device.vision.watching import Watching

    config = Config().replace("store", data_dir=str(tmp_path))
    holder = {}
    privacy = Privacy(config, detections=lambda: holder["watching"].latest)
    hub = FrameHub(encode=privacy.render)
    watching = holder["watching"] = Watching(config, hub, publish=lambda o: None)
    image = np.random.default_rng(1).integers(0, 255, (480, 640, 3), dtype=np.uint8)     # detail everywhere
    hub.publish(image)
    face = (200, 100, 120, 120)
    watching.analyzer.latest = Detections(time.time(), faces=[face])

    def face_detail(view: str) -> float:
        return detail(cv2.imdecode(np.frombuffer(hub.jpeg(view)[2], np.uint8), cv2.IMREAD_COLOR), face)

    running = face_detail("public")
    watching._camera_stopped()
    assert watching.latest.faces == [] and watching.latest.people == [], "nothing drawn: nobody is seen"
    assert face_detail("public") < 2 * running, "the last picture's face stays blurred for phones"
    assert face_detail("public") < face_detail("kiosk") / 4 or not privacy.blur("kiosk")
