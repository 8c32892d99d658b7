"""/data in a real browser at a phone's size (390x844), against a kit on simulated hardware that has stored what a
few minutes bring: hundreds of observations, dozens of tracks, snapshots, a few phones."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import cv2
import numpy as np
import pytest

from device.observations import Observation
from tests.browser.conftest import eventually, save

SCREEN = 844
SCREENS = 10


def a_person(width: int, height: int, seed: int) -> np.ndarray:
    """A snapshot-like picture: a head over a coloured body, with detail in it."""
    rng = np.random.default_rng(seed)
    image = np.full((height, width, 3), rng.integers(60, 200, 3), np.uint8)
    cv2.rectangle(image, (0, height // 3), (width, height), [int(c) for c in rng.integers(0, 255, 3)], -1)
    cv2.circle(image, (width // 2, height // 6), width // 4, (150, 170, 210), -1)
    return cv2.add(image, rng.integers(0, 30, image.shape, dtype=np.uint8))


@pytest.fixture
def stored(kit):
    """What a kit stores in a few minutes, published as the kit's own parts publish it, then on disk."""
    now = time.time() - 300
    publish = kit.observations.publish
    folder = kit.config.data_dir / "snapshots"
    folder.mkdir(exist_ok=True)
    for i in range(300):
        ts = now + i
        publish(Observation(ts, "microphone", "sound_level", None,
                            {"dbfs": -50.0 + i % 7, "peak_dbfs": -45.0, "spl_db": 50.0, "speaking": False}))
        publish(Observation(ts + .1, "camera", "motion", None, {"area": 0.01, "boxes": [[10, 20, 30, 40]]}))
        publish(Observation(ts + .2, "camera", "face", None, {
            "count": 1, "looking": 1, "smiling": 0, "boxes": [[124, 173, 95, 110]],
            "faces": [{"box": [124, 173, 95, 110], "track": i % 40, "looking": True, "smiling": False}]}, 0.8))
    for n in range(1, 41):
        ts = now + 7 * n
        path = [[ts - 20 + j / 3, 100 + j, 200 + j % 5] for j in range(60)]
        publish(Observation(ts, "camera", "person", f"track:{n}", {
            "id": n, "box": [26, 188, 112, 198], "dwell_s": 20.0, "direction": "right", "looking": False,
            "looked": 1, "smiling": False, "state": "left", "trajectory": path,
            "signature": {"clothes": [0.0123] * 48, "face": [0.5] * 64, "embedding": [0.0417] * 128}}, 0.6))
        publish(Observation(ts, "microphone", "voice", None, {
            "start": ts - 1, "end": ts, "duration_s": 1.0, "pitch_hz": 160.0,
            "claimed": "typical of an adult man's voice (85-165 Hz), so such systems would label it 'male'"}, 0.7))
        if n <= 24:
            name = f"track-{n}-{int(ts * 1000)}.jpg"
            picture = a_person(150 + 5 * n, 300, n)
            (folder / name).write_bytes(cv2.imencode(".jpg", picture)[1].tobytes())
            publish(Observation(ts, "camera", "snapshot", f"track:{n}",
                                {"file": f"snapshots/{name}", "blurred": n % 2 == 0}))
    for n in range(8):
        kit.store.record_visit(f"visitor:{n:032x}", now + n, {
            "user_agent": "Mozilla/5.0 (Linux; Android 14; Pixel 8 Pro Build/AP1A.240405.002; wv) AppleWebKit/537.36 "
                          "(KHTML, like Gecko) Version/4.0 Chrome/124.0.6367.82 Mobile Safari/537.36",
            "language": "sr-RS,sr;q=0.9,en-US;q=0.8", "screen": "412x915", "timezone": "Europe/Belgrade"})
    assert kit.store.flush(10)
    assert kit.store.count() >= 1000 and kit.store.side_counts()["tracks"] >= 40
    return kit


def test_the_data_page_fits_a_phone(live_url, phone, stored):
    page, watch = phone
    page.goto(live_url + "/data")
    height = page.evaluate("document.documentElement.scrollHeight")
    save(page, "data-phone")
    assert height <= SCREENS * SCREEN, f"{height} px: {height / SCREEN:.1f} screens"
    assert page.locator(".kinds li.kind").count() >= 19, "the summary first: one line per kind"
    assert page.locator("#row-cards > li.card").count() == 20
    width = "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    scroll, client = page.evaluate(width)
    assert scroll <= client, "nothing wider than the screen"
    page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")
    scroll, client = page.evaluate(width)
    assert scroll <= client, "nor once every long value is open"
    assert watch.errors == [] and watch.offsite() == []


def test_older_keeps_the_kind_and_lands_on_the_rows(live_url, phone, stored):
    page, watch = phone
    page.goto(live_url + "/data")
    page.select_option("#kind", "face")
    page.click("form.filter button[type=submit]")
    page.wait_for_url(lambda url: "kind=face" in url)
    page.locator("#rows ~ nav.pager a[rel=next]").first.click()
    page.wait_for_url(lambda url: "page=2" in url)
    url = urlsplit(page.url)
    assert parse_qs(url.query)["kind"] == ["face"] and url.fragment == "rows"
    header = page.evaluate("document.querySelector('header.top').getBoundingClientRect().bottom")
    top = page.evaluate("document.getElementById('rows').getBoundingClientRect().top")
    assert header - 1 <= top < SCREEN / 3, "the rows' heading at the top of the screen, below the header"
    titles = page.locator("#row-cards .card-head strong").all_text_contents()
    assert len(titles) == 20 and set(titles) == {"Faces"}
    assert "page 2 of" in page.locator("#rows ~ nav.pager").first.text_content()
    assert watch.errors == [] and watch.offsite() == []


def test_the_snapshots_pictures_load(live_url, phone, stored):
    page, watch = phone
    page.goto(live_url + "/data")
    pictures = page.locator("#table-snapshots img")
    assert pictures.count() >= 12
    for i in range(pictures.count()):
        picture = pictures.nth(i)
        picture.scroll_into_view_if_needed()
        assert eventually(page, lambda p=picture: p.evaluate("(img) => img.complete && img.naturalWidth > 0")), \
            f"picture {i} did not load"
        assert picture.get_attribute("loading") == "lazy" and picture.get_attribute("alt")
    shown = pictures.first.bounding_box()
    assert shown and shown["width"] > 30 and shown["height"] > 60
    save(page, "data-phone-pictures")
    assert watch.errors == [] and watch.offsite() == []
