"""The live page in a real browser at a phone's size, against a kit on simulated hardware."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import eventually, save, watched_page


def settled_screenshot(page, locator) -> bytes:
    """A screenshot of *locator* once two in a row are alike: the page moves a little as its feed fills."""
    shots = [locator.screenshot()]

    def alike_again() -> bool:
        shots.append(locator.screenshot())
        return shots[-1] == shots[-2]

    assert eventually(page, alike_again), "the element kept moving"
    return shots[-1]


def camera_snapshot(page) -> bytes:
    return page.locator("#camera").screenshot()


def test_the_live_page_on_a_phone_shows_live_frames_and_counters(live_url, phone):
    page, watch = phone
    page.goto(live_url + "/")

    # Counters fill in from the event stream.
    expect(page.locator("#c-sound")).to_contain_text("dBFS")
    expect(page.locator("#c-distance")).to_have_text(re.compile(r"^\d+(\.\d+)? m$"))
    stored = int(page.locator("#c-stored").text_content())
    assert eventually(page, lambda: int(page.locator("#c-stored").text_content()) > stored)
    expect(page.locator("#feed li").first).to_be_visible()
    expect(page.locator("#feed-state")).to_contain_text("Live")

    # The camera image changes over time.
    assert eventually(page, lambda: page.locator("#camera").evaluate("img => img.naturalWidth") == 640)
    first = camera_snapshot(page)
    assert eventually(page, lambda: camera_snapshot(page) != first), "the camera image did not change"

    # The spectrogram scrolls in from the live spectrum events.
    painted = "c => Array.from(c.getContext('2d').getImageData(c.width - 6, 0, 6, c.height).data)" \
              ".some((v, i) => i % 4 !== 3 && v > 0)"
    assert eventually(page, lambda: page.locator("#spectrogram").evaluate(painted))

    path = save(page, "live-phone")
    assert path.stat().st_size > 10_000
    assert watch.errors == []
    assert watch.offsite() == [], "a request left the device"
    assert any(u.endswith("/stream.mjpg") for u in watch.requests)
    assert any(u.endswith("/events") for u in watch.requests)


def test_the_data_page_lists_what_is_stored(live_url, phone, kit):
    page, watch = phone
    assert kit.store.flush(5)
    deadline = time.monotonic() + 10
    while not kit.store.inventory() and time.monotonic() < deadline:
        kit.store.flush(1)
    page.goto(live_url + "/data")
    assert page.locator("table.inventory tbody tr").count() >= 5
    assert page.locator("section.kind").first.is_visible()
    save(page, "data-phone")
    assert watch.errors == [] and watch.offsite() == []


def test_the_kiosk_fills_a_1920x1080_screen_and_shows_its_codes(live_url, browser, kit):
    kit.admin.reset()
    with watched_page(browser, viewport={"width": 1920, "height": 1080}) as (page, watch):
        page.goto(live_url + "/kiosk")
        expect(page.locator(".pin")).to_contain_text("Admin PIN")
        assert eventually(page, lambda: page.locator(".kiosk-join img").first.evaluate("i => i.naturalWidth") > 0)
        assert eventually(page, lambda: page.locator("#camera").evaluate("i => i.naturalWidth") == 640)
        expect(page.locator("#feed li").first).to_be_visible()
        size = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
        assert size[0] <= 1920 and size[1] <= 1080, "the kiosk fits the screen: nothing to scroll"
        path = save(page, "kiosk-1920")
        assert path.stat().st_size > 20_000
        assert watch.errors == [] and watch.offsite() == []


@pytest.mark.settings(KIOSK_WIFI_SSID='Expo "Hall"; B', KIOSK_WIFI_PASSWORD="pass:word,1")
def test_the_kiosks_codes_scan_to_the_wifi_network_and_the_dashboard(live_url, browser):
    import cv2
    import numpy as np

    with watched_page(browser, viewport={"width": 1920, "height": 1080}) as (page, watch):
        page.goto(live_url + "/kiosk")
        codes = page.locator(".kiosk-join figure img")
        expect(codes).to_have_count(2)
        read = []
        for i in range(2):
            assert eventually(page, lambda i=i: codes.nth(i).evaluate("img => img.naturalWidth") > 0)
            grey = cv2.imdecode(np.frombuffer(settled_screenshot(page, codes.nth(i)), np.uint8), cv2.IMREAD_GRAYSCALE)
            grey = cv2.resize(grey, None, fx=3, fy=3, interpolation=cv2.INTER_NEAREST)   # a phone's camera: closer
            # OpenCV's older QRCodeDetector misreads about one perfect code in five; the ArUco-based one does not.
            text, _, _ = cv2.QRCodeDetectorAruco().detectAndDecode(grey)
            read.append(text)
        assert read[0] == 'WIFI:T:WPA;S:Expo \\"Hall\\"\\; B;P:pass\\:word\\,1;;'
        assert re.fullmatch(r"http://[0-9.]+:\d+/", read[1]), read[1]
        expect(page.locator(".kiosk-join")).to_contain_text('Expo "Hall"; B')
        assert watch.errors == [] and watch.offsite() == []


def test_the_kiosk_recovers_by_itself_when_its_streams_drop(live_app, browser):
    """As when the kit restarts or the network drops: the connections end with no goodbye."""
    import socket

    app, url = live_app
    live = app.extensions["live"]
    with watched_page(browser, viewport={"width": 1920, "height": 1080}) as (page, watch):
        page.goto(url + "/kiosk")
        frames_shown = lambda: int(page.locator("#camera").get_attribute("data-frames") or 0)  # noqa: E731
        assert eventually(page, lambda: frames_shown() >= 2)
        expect(page.locator("#feed-state")).to_contain_text("Live")
        cameras, feeds = live.frames.served, live.events.served
        for fanout in (live.frames, live.events):
            with fanout.lock:
                for viewer in fanout.viewers:
                    viewer.connection.socket.shutdown(socket.SHUT_RDWR)
        assert eventually(page, lambda: live.frames.served > cameras and live.events.served > feeds, 20), \
            "the page opened both streams again"
        before = frames_shown()
        assert eventually(page, lambda: frames_shown() > before + 2), "frames are shown again"
        expect(page.locator("#feed-state")).to_contain_text("Live")
        expect(page.locator("#camera-note")).to_be_hidden()
        assert [e for e in watch.errors if "net::" not in e] == [], "nothing failed but the dropped connections"


def test_a_phone_beyond_the_viewer_cap_is_told_and_comes_back_when_the_kit_says(live_app, phone):
    app, url = live_app
    page, watch = phone
    slots = app.extensions["viewers"]["camera"]
    slots.active = slots.limit
    try:
        page.goto(url + "/")
        expect(page.locator("#camera-note")).to_contain_text("So many phones are watching")
        page.wait_for_timeout(4000)       # the kit said Retry-After: 30; the page must not ask sooner
        asked = [u for u in watch.requests if "/stream.mjpg" in u]
        assert len(asked) == 1, f"the page asked {len(asked)} times"
    finally:
        slots.active = 0


def test_you_shows_the_phones_own_data_escapes_what_it_sent_and_forgets(live_url, browser):
    agent = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) <img src=x onerror=alert(1)> "
             "Version/17.2 Mobile/15E148 Safari/604.1")
    with watched_page(browser, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                      user_agent=agent, locale="sr-Latn-RS", timezone_id="Europe/Belgrade") as (page, watch):
        dialogs = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(live_url + "/you")
        expect(page.locator("#f-time_zone")).to_have_text("Europe/Belgrade")
        expect(page.locator("#f-device")).to_have_text("iPhone")
        expect(page.locator("#f-os")).to_have_text("iOS 17.2")
        expect(page.locator("#f-touch_points")).not_to_have_text("–")
        assert "onerror=alert(1)" in page.locator("#facts").inner_text(), "shown as text"
        save(page, "you-phone")
        page.reload()                       # what the script reported was stored with the visit
        expect(page.locator("#f-screen")).to_have_text("390 x 844")
        expect(page.locator("h1")).to_have_text("Šta ovaj uređaj zna o vama")   # the phone asked for Serbian
        expect(page.locator("#f-memory_gb")).to_contain_text("oko ")           # values in Serbian too
        expect(page.locator("#f-battery")).to_contain_text(" se")               # "puni se", "ne puni se"
        page.locator("button.danger").click()                                  # "Zaboravi me"
        expect(page.locator("[role=status]")).to_contain_text("obrisano")
        assert dialogs == [], "nothing a visitor sent ran as script"
        assert watch.errors == [] and watch.offsite() == []


def test_the_language_switch_works_in_the_browser(live_url, phone):
    page, watch = phone
    page.goto(live_url + "/")
    page.get_by_role("link", name="Srpski").click()
    expect(page.locator("h1")).to_have_text("Šta ovaj uređaj vidi, čuje i oseća, upravo sada")
    expect(page.locator("#feed-state")).to_contain_text("Uživo")           # the script speaks Serbian too
    save(page, "live-phone-sr")
    page.goto(live_url + "/data")
    expect(page.locator("h1")).to_have_text("Sve što je ovaj uređaj sačuvao")   # remembered
    page.get_by_role("link", name="English").click()
    expect(page.locator("h1")).to_have_text("Everything this device has stored")
    assert watch.errors == [] and watch.offsite() == []
