"""The kiosk in a real browser at a screen's size, against a kit on simulated hardware."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import eventually, save, settled_screenshot, watched_page


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
