"""A camera whose video file ends and a microphone whose file is missing: the kit stops saying what it saw, and the
live page says each source stopped, and why, in its language, with "–" for their figures."""

from __future__ import annotations

import time

import pytest

from tests.browser.conftest import eventually, watched_page
from tests.conftest import require


def moving_square_video(path, seconds: float = 1.5, fps: int = 10) -> None:
    """A short video of a white square crossing a grey picture: motion in every frame, to the last."""
    cv2 = pytest.importorskip("cv2")
    np = pytest.importorskip("numpy")
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (320, 240))
    require(writer.isOpened(), "OpenCV cannot write MJPG videos here")
    for i in range(int(seconds * fps)):
        image = np.full((240, 320, 3), 90, np.uint8)
        x = 10 + i * 18
        image[80:180, x:x + 60] = 255
        writer.write(image)
    writer.release()


@pytest.fixture
def stopped_kit(config, tmp_path):
    """A kit whose camera is a 1.5 s video that ends, and whose microphone file does not exist, behind the server;
    every observation it publishes is kept (a subscription from before the start)."""
    from gpiozero.pins.mock import MockFactory

    from device.kit import Kit
    from web import create_app
    from web.server import Server

    video = tmp_path / "walk.avi"
    moving_square_video(video)
    kit = Kit(config.replace("camera", source=f"file:{video}").replace("mic", source=f"file:{tmp_path}/none.wav"),
              pin_factory=MockFactory())
    seen = kit.observations.subscribe(maxsize=10000)
    kit.start()
    server = Server(create_app(kit), "127.0.0.1", 0, max_viewers=kit.config.web.max_viewers).start()
    yield kit, f"http://127.0.0.1:{server.port}", seen
    kit.stop()
    server.stop()


def test_stopped_sources_clear_their_figures_and_say_so_in_serbian(stopped_kit, browser):
    kit, url, seen = stopped_kit
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        status = kit.status()
        motion = status["now"].get("motion")
        if status["sources"]["camera"]["state"] == "ended" and motion and not motion["value"]["boxes"]:
            break
        time.sleep(0.1)
    assert status["sources"]["camera"]["state"] == "ended"
    assert status["sources"]["camera"]["kind"] == "file" and status["sources"]["camera"]["real"] is False
    assert status["sources"]["microphone"]["kind"] == "file"
    motions = [o for o in seen.get_batch(0.1, limit=10000) if o.kind == "motion"]
    assert any(o.value["boxes"] for o in motions), "the video moved while it played"
    assert motions[-1].value["boxes"] == [], "after the end: no motion"
    assert status["vision"]["people"] == 0 and kit.watching.in_view() == []
    latest = kit.watching.latest
    assert latest.motion == [] and latest.people == [] and latest.faces == [], "no boxes drawn on the last picture"
    assert status["sources"]["microphone"]["state"] == "offline"

    with watched_page(browser, viewport={"width": 390, "height": 844}) as (page, watch):
        page.goto(url + "/?lang=sr")
        camera_note, mic_note = page.locator("#camera-note"), page.locator("#mic-note")
        assert eventually(page, lambda: camera_note.is_visible() and mic_note.is_visible()
                          and "Mikrofon" in mic_note.inner_text())
        camera, mic = camera_note.inner_text(), mic_note.inner_text()
        assert "snimak se završio u" in camera and "video datoteka se završila" in camera, camera
        assert "je nedostupan od" in mic and "datoteka ne može da se pročita" in mic, mic
        for english in ("since", "ended", "offline", "cannot", "file has"):
            assert english not in camera + mic, (english, camera, mic)
        for figure in ("c-sound", "c-speaking", "c-pitch", "c-talk", "c-people", "c-faces", "c-motion"):
            assert page.locator("#" + figure).inner_text() == "–", figure
        assert page.locator("#words-line").count() == 0 or not page.locator("#words-line").is_visible()
        assert watch.errors == []
        # The kiosk's figures too, as its script updates them from the status.
        page.goto(url + "/kiosk?lang=sr")
        assert eventually(page, lambda: page.locator("body").get_attribute("data-kit-view") is not None)
        for figure in ("c-people", "c-faces", "s-people-now", "c-sound", "c-speaking"):
            assert eventually(page, lambda f=figure: page.locator("#" + f).inner_text() == "–"), figure
        assert watch.errors == []
