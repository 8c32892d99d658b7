"""The live page in a real browser at a phone's size, against a kit on simulated hardware."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import camera_snapshot, eventually, save


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
