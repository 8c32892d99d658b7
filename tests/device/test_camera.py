"""Camera sources: picamera2 checked against its real API (autospec), video files, and camera loss."""

from __future__ import annotations

import sys
import threading
import time
from unittest import mock

import cv2
import numpy as np
import pytest

from device.camera.opencv import OpenCVCamera
from device.errors import DeviceUnavailable
from tests.conftest import require
from tests.helpers import eventually


@pytest.fixture
def Picamera2(monkeypatch):
    """picamera2's real class. It imports libcamera and pykms (Raspberry Pi OS packages, not on PyPI) and
    prctl (a C extension): stand-ins for those three let the real module, and its signatures, load here."""
    for name in ("libcamera", "pykms", "prctl"):
        if name not in sys.modules:
            monkeypatch.setitem(sys.modules, name, mock.MagicMock(name=name))
    try:
        from picamera2 import Picamera2
    except ImportError as exc:
        require(False, f"picamera2 is not installed ({exc}); make test installs it")
    yield Picamera2
    for name in [n for n in sys.modules if n == "picamera2" or n.startswith("picamera2.")]:
        del sys.modules[name]       # loaded against stand-ins: no other test may find it imported


def fake_camera(Picamera2, main, lores):
    cls = mock.create_autospec(Picamera2)
    camera = cls.return_value
    camera.create_video_configuration.return_value = {"a": "config"}
    camera.capture_arrays.return_value = ([main, lores], {"SensorTimestamp": 1})
    return cls, camera


def test_picamera2_views_main_and_analyses_the_lores_y_plane(Picamera2):
    from device.camera.picamera2 import Picamera2Camera

    main = np.full((480, 640, 3), 9, np.uint8)
    lores = np.zeros((360, 320), np.uint8)
    lores[:240] = 77                       # the Y plane; U and V follow
    cls, camera = fake_camera(Picamera2, main, lores)
    source = Picamera2Camera(fps=15, size=(640, 480), picamera2_class=cls)
    with source:
        image, grey = source.read(threading.Event())
    cls.assert_called_once_with(0)
    camera.create_video_configuration.assert_called_once_with(
        main={"size": (640, 480), "format": "RGB888"}, lores={"size": (320, 240), "format": "YUV420"},
        controls={"FrameRate": 15.0}, buffer_count=4)
    camera.configure.assert_called_once_with({"a": "config"})
    camera.start.assert_called_once_with()
    assert image.shape == (480, 640, 3) and grey.shape == (240, 320) and (grey == 77).all()
    camera.stop.assert_called_once_with()
    camera.close.assert_called_once_with()


def test_picamera2_lores_is_never_larger_than_main(Picamera2):
    from device.camera.picamera2 import Picamera2Camera

    cls, camera = fake_camera(Picamera2, np.zeros((120, 160, 3), np.uint8), np.zeros((180, 160), np.uint8))
    with Picamera2Camera(fps=10, size=(160, 120), picamera2_class=cls):
        pass
    assert camera.create_video_configuration.call_args.kwargs["lores"]["size"] == (160, 120)


def test_no_camera_says_which_and_how_to_fix_it(Picamera2):
    from device.camera.picamera2 import Picamera2Camera

    cls = mock.create_autospec(Picamera2)
    cls.side_effect = RuntimeError('No camera number 0 found - use "rpicam-hello --list-cameras" to check')
    with pytest.raises(DeviceUnavailable, match="no camera number 0 found.*ribbon cable.*rpicam-hello"):
        Picamera2Camera(picamera2_class=cls).open()


def test_a_busy_camera_is_named_as_busy_and_can_be_opened_again_later(Picamera2):
    from device.camera.picamera2 import Picamera2Camera

    cls = mock.create_autospec(Picamera2)
    cls.side_effect = RuntimeError("Camera __init__ sequence did not complete.")
    with pytest.raises(DeviceUnavailable, match="probably busy"):
        Picamera2Camera(picamera2_class=cls).open()
    cls, camera = fake_camera(Picamera2, np.zeros((480, 640, 3), np.uint8), np.zeros((360, 320), np.uint8))
    with Picamera2Camera(picamera2_class=cls):     # the failed attempt released the one-per-process lock
        pass


def test_one_picamera2_per_process(Picamera2):
    from device.camera.picamera2 import Picamera2Camera

    cls, _ = fake_camera(Picamera2, np.zeros((480, 640, 3), np.uint8), np.zeros((360, 320), np.uint8))
    with Picamera2Camera(picamera2_class=cls):
        with pytest.raises(DeviceUnavailable, match="one Picamera2 per process"):
            Picamera2Camera(picamera2_class=cls).open()


def write_video(path, frames=6, fps=30):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (160, 120))
    for i in range(frames):
        writer.write(np.full((120, 160, 3), i * 40, np.uint8))
    writer.release()


def test_a_video_file_plays_at_its_own_rate_then_ends(tmp_path):
    write_video(tmp_path / "clip.avi", frames=6, fps=30)
    stop = threading.Event()
    started = time.monotonic()
    with OpenCVCamera(str(tmp_path / "clip.avi"), size=(160, 120)) as camera:
        frames = [camera.read(stop) for _ in range(7)]
    assert [f is None for f in frames] == [False] * 6 + [True]
    assert time.monotonic() - started >= 5 / 30 * 0.9, "played at 30 fps, not as fast as it decodes"
    assert frames[1][0].mean() == pytest.approx(40, abs=3)


def test_loop_plays_a_video_file_again(tmp_path):
    write_video(tmp_path / "clip.avi", frames=3)
    stop = threading.Event()
    with OpenCVCamera(str(tmp_path / "clip.avi"), size=(160, 120), loop=True) as camera:
        frames = [camera.read(stop) for _ in range(7)]
    assert all(f is not None for f in frames)
    assert frames[3][0].mean() == pytest.approx(0, abs=3) and frames[4][0].mean() == pytest.approx(40, abs=3)


def test_reading_a_camera_that_is_not_open_names_it(tmp_path):
    from device.camera.simulated import SimulatedCamera
    from device.scene import Scene

    write_video(tmp_path / "clip.avi")
    for camera in (SimulatedCamera(Scene(1)), OpenCVCamera(str(tmp_path / "clip.avi")), OpenCVCamera(3)):
        with pytest.raises(DeviceUnavailable, match=f"camera {camera.name} is not open"):
            camera.read(threading.Event())


def test_a_picamera2_that_fails_to_start_is_unavailable_and_let_go(Picamera2):
    from device.camera.picamera2 import Picamera2Camera

    cls, camera = fake_camera(Picamera2, np.zeros((480, 640, 3), np.uint8), np.zeros((360, 320), np.uint8))
    camera.start.side_effect = RuntimeError("Failed to start camera: Device or resource busy")
    with pytest.raises(DeviceUnavailable, match=r"camera picamera2 did not start at 640x480, 15 fps \(Failed"):
        Picamera2Camera(fps=15, size=(640, 480), picamera2_class=cls).open()
    camera.close.assert_called_once_with()
    cls, _ = fake_camera(Picamera2, np.zeros((480, 640, 3), np.uint8), np.zeros((360, 320), np.uint8))
    with Picamera2Camera(picamera2_class=cls):     # the one-per-process lock was released
        pass


def test_a_missing_file_or_webcam_says_so(tmp_path):
    with pytest.raises(DeviceUnavailable, match="no such video file"):
        OpenCVCamera(str(tmp_path / "absent.avi")).open()
    with pytest.raises(DeviceUnavailable, match="camera opencv:97 could not be opened: is it plugged in"):
        OpenCVCamera(97).open()


class FlakyCamera:
    """Delivers a few frames, then fails as an unplugged camera does; works again when reopened."""

    name, real = "flaky", True

    def __init__(self, frames_before_failure=3):
        self.frames_before_failure = frames_before_failure
        self.opened = 0
        self.delivered = 0

    def open(self):
        self.opened += 1
        self.delivered = 0

    def read(self, stop):
        if stop.wait(0.02):
            return None
        if self.opened == 1 and self.delivered >= self.frames_before_failure:
            raise DeviceUnavailable("camera flaky stopped delivering frames")
        self.delivered += 1
        return np.zeros((120, 160, 3), np.uint8), None

    def close(self):
        pass


def test_a_camera_that_stops_is_reported_offline_and_reopened_while_the_rest_goes_on(config):
    from device.kit import Kit

    camera = FlakyCamera()
    kit = Kit(config, camera=camera)
    kit.start()
    try:
        camera_state = kit.sources["camera"]
        assert eventually(lambda: camera_state.state == "offline")
        assert "stopped delivering frames" in camera_state.error and camera_state.since <= time.time()
        assert kit.status()["sources"]["camera"]["state"] == "offline"
        sound_before = kit.observations.counts["sound_level"]
        assert eventually(lambda: camera.opened == 2 and camera_state.state == "running")
        captured = kit.camera.captured
        assert eventually(lambda: kit.camera.captured > captured + 3), "frames flow again after the reopen"
        assert eventually(lambda: kit.observations.counts["sound_level"] > sound_before), "the microphone went on"
    finally:
        kit.stop()


def test_a_recorded_clip_is_tracked_and_stored(tmp_path, config):
    """The file source is how anyone reproduces a result: a clip of the scene gives tracks, faces, rows."""
    from device.kit import Kit
    from device.scene import Scene

    scene = Scene(seed=1)
    visitor = scene.visitors_between(0, 1)[0]
    clip = tmp_path / "visitor.avi"
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"MJPG"), 15, (640, 480))
    for i in range(int((visitor.look_start + 1.5) * 15)):
        writer.write(scene.render(i / 15))
    writer.release()

    kit = Kit(config.replace("camera", source=f"file:{clip}"))
    kit.start()
    try:
        assert kit.sources["camera"].name == f"file:{clip}"
        assert eventually(lambda: kit.sources["camera"].state == "ended", timeout=20)
    finally:
        kit.stop()
    people = kit.store.query(kind="person")
    assert people and {o.subject for o in people} == {"track:1"}
    faces = [o for o in kit.store.query(kind="face") if o.value["count"]]
    assert faces and faces[0].value["faces"][0]["track"] == 1


def test_frames_keep_the_shape_of_their_source():
    from device.camera import fit

    assert fit((1920, 1080), (640, 480)) == (640, 360)      # 16:9 into 4:3: not squashed
    assert fit((854, 480), (640, 480)) == (640, 360)
    assert fit((640, 480), (640, 480)) == (640, 480)
    assert fit((480, 360), (640, 480)) == (480, 360), "never enlarged: that adds pixels, not detail"
    assert fit((480, 640), (640, 480)) == (360, 480)        # a phone held upright


def test_a_16_9_video_is_played_16_9(tmp_path):
    writer = cv2.VideoWriter(str(tmp_path / "wide.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 30, (320, 180))
    for i in range(3):
        writer.write(np.full((180, 320, 3), 60 * i, np.uint8))
    writer.release()
    with OpenCVCamera(str(tmp_path / "wide.avi"), size=(160, 120)) as camera:
        image, _ = camera.read(threading.Event())
    assert image.shape == (90, 160, 3)


def test_a_file_can_play_as_fast_as_it_decodes_for_benchmarks(tmp_path):
    writer = cv2.VideoWriter(str(tmp_path / "clip.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 5, (160, 120))
    for i in range(30):                                     # six seconds at its own rate
        writer.write(np.full((120, 160, 3), 8 * i, np.uint8))
    writer.release()
    stop = threading.Event()
    started = time.monotonic()
    camera = OpenCVCamera(str(tmp_path / "clip.avi"), size=(160, 120))
    camera.pace = False
    with camera:
        frames = [camera.read(stop) for _ in range(31)]
    assert [f is None for f in frames] == [False] * 30 + [True]
    assert time.monotonic() - started < 3.0
