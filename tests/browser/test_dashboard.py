"""The live page in a real browser at a phone's size, against a kit on simulated hardware."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import camera_snapshot, eventually, save
from tests.web.conftest import RawViewer

HIDE = """hidden => {
    Object.defineProperty(document, "hidden", { configurable: true, get: () => hidden });
    document.dispatchEvent(new Event("visibilitychange"));
}"""


# Lines with more than their time and their kind's name: the sentence the event carried.
SENTENCES = """() => Array.from(document.querySelectorAll("#feed li")).some((li) => {
  const rest = li.textContent.replace(li.querySelector("time").textContent, "")
    .replace(li.querySelector(".kind").textContent, "");
  return rest.trim().length > 10;
})"""

# A pacer of one line every 500 ms whose drawing takes 300 ms every other line: the gaps between lines in place.
PACED = """async () => {
  const placed = [];
  let slow = true;
  const calm = window.sentences.pacer({ every: 500, tick: 20, again: 0, draw: () => {
    const end = performance.now() + (slow ? 300 : 0);
    while (performance.now() < end) { /* a busy screen */ }
    slow = !slow;
    placed.push(performance.now());
  } });
  const feeding = setInterval(() => ["a", "b", "c"].forEach((kind) => calm.take({ kind, ts: Date.now() / 1000 })), 10);
  await new Promise((done) => setTimeout(done, 2600));
  clearInterval(feeding);
  return placed.slice(1).map((at, i) => at - placed[i]);
}"""


def frames(page) -> int:
    return int(page.locator("#camera").get_attribute("data-frames") or 0)


def test_the_live_page_on_a_phone_shows_live_frames_and_counters(live_url, phone):
    page, watch = phone
    page.goto(live_url + "/")

    # Counters fill in from the event stream; the infrared sensor's from the status.
    expect(page.locator("#c-sound")).to_contain_text("dBFS")
    expect(page.locator("#c-distance")).to_have_text(re.compile(r"^\d+(\.\d+)? m$"))
    expect(page.locator("#c-pir")).to_have_text(re.compile(r"^(someone|no one)$"))
    stored = int(page.locator("#c-stored").text_content())
    assert eventually(page, lambda: int(page.locator("#c-stored").text_content()) > stored)

    # The feed: plain sentences, a line a second at most; what each kind reveals is one link per kind, above it.
    expect(page.locator("#feed li").first).to_be_visible()
    expect(page.locator("#feed-state")).to_contain_text("Live")
    lines = page.locator("#feed li").count()
    page.wait_for_timeout(3000)
    assert page.locator("#feed li").count() - lines <= 4, "more than a line a second"
    assert page.locator("#feed a").count() == 0
    legend = page.locator("#feed-kinds a")
    assert legend.count() >= 1 and legend.first.get_attribute("href").startswith("/data#kind-")
    # Each line is the kit's own sentence for it (the event's "says", as /data says it), never its raw value.
    describe = "o => window.sentences.describe(o)"
    assert page.evaluate(describe, {"kind": "face", "says": {"en": "Two faces", "sr": "Dva lica"}}) == "Two faces"
    assert page.evaluate(describe, {"kind": "face", "value": {"odd": 1}}) == "Faces", "no sentence: the kind's title"
    said = page.locator("#feed li").all_text_contents()
    assert said and not [line for line in said if "{" in line or "undefined" in line], said
    assert eventually(page, lambda: page.evaluate(SENTENCES)), "no line carries the kit's sentence, only kind names"
    # The pacing holds when drawing a line is slow and then fast (a busy phone): gaps from line to line in place.
    gaps = page.evaluate(PACED)
    assert len(gaps) >= 3 and min(gaps) >= 500, gaps

    # The camera: a canvas, which shows frame after frame, named for what it shows.
    camera = page.locator("#camera")
    expect(camera).to_have_attribute("role", "img")
    expect(camera).to_have_attribute("aria-label", re.compile("Live camera view"))
    assert eventually(page, lambda: frames(page) >= 2)
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


def test_the_camera_is_not_read_while_the_page_is_hidden(live_app, phone):
    app, url = live_app
    page, _ = phone
    slots = app.extensions["viewers"]["camera"]
    page.goto(url + "/")
    assert eventually(page, lambda: frames(page) >= 1 and slots.active == 1)
    page.evaluate(HIDE, True)           # the phone's screen off, or another tab in front
    assert eventually(page, lambda: slots.active == 0), "the stream was not given up"
    hidden_at = frames(page)
    page.wait_for_timeout(1000)
    assert frames(page) == hidden_at
    page.evaluate(HIDE, False)
    assert eventually(page, lambda: slots.active == 1 and frames(page) > hidden_at + 1), "it did not come back"


@pytest.mark.settings(WEB_MAX_VIEWERS=1)
def test_a_refused_phone_waits_its_turn_with_a_countdown_and_no_broken_image(live_app, phone, monkeypatch):
    import web.views.stream

    app, url = live_app
    page, watch = phone
    # The browser is on the kit itself, whose screen is never refused: here it counts as a phone.
    real = web.views.stream.address_key
    monkeypatch.setattr(web.views.stream, "address_key", lambda a: "198.51.100.7" if a == "127.0.0.1" else real(a))
    first = RawViewer(int(url.rsplit(":", 1)[1]), "/stream.mjpg", source="127.0.0.2")     # the one place
    try:
        assert first.status == 200
        page.goto(url + "/")
        camera = page.locator("#camera")
        expect(camera).to_have_attribute("aria-label", re.compile(r"number 1 in line, your turn in about \d+ s"))
        seconds = lambda: int(re.search(r"about (\d+) s", camera.get_attribute("aria-label")).group(1))  # noqa: E731
        counted = seconds()
        assert eventually(page, lambda: seconds() < counted, 3), "the countdown does not count"
        assert page.locator("img").evaluate_all("all => all.every(i => i.complete && i.naturalWidth > 0)")
        assert page.locator("#camera").evaluate("c => c.tagName") == "CANVAS"
        save(page, "live-phone-waiting")
    finally:
        first.close()
    assert eventually(page, lambda: frames(page) >= 1, 15), "the place did not go to the phone waiting"
    expect(camera).to_have_attribute("aria-label", re.compile("Live camera view"))
    assert [e for e in watch.errors if "status of 503" not in e] == [], "nothing failed but the polite refusals"


def test_the_language_switch_works_in_the_browser(live_url, phone):
    page, watch = phone
    page.goto(live_url + "/")
    page.get_by_role("link", name="Srpski").click()
    expect(page.locator("h1")).to_have_text("Šta ovaj uređaj vidi, čuje i oseća, upravo sada")
    expect(page.locator("#feed-state")).to_contain_text("Uživo")           # the script speaks Serbian too
    # The header at 390 px: two lines at most, the languages beside the kit's name, every page's link in full.
    middles = sorted(page.locator("header.top").locator("a, strong").evaluate_all(
        "all => all.filter(e => e.offsetParent).map(e => e.getBoundingClientRect()).map(r => r.top + r.height / 2)"))
    assert sum(1 for n in range(1, len(middles)) if middles[n] - middles[n - 1] > 8) <= 1, middles    # two rows
    middle = lambda box: box["y"] + box["height"] / 2  # noqa: E731
    assert abs(middle(page.get_by_text("Srpski", exact=True).bounding_box()) -
               middle(page.locator(".brand").bounding_box())) < 8, "the languages share the name's row"
    assert page.locator("header.top nav").evaluate("n => n.scrollWidth <= n.clientWidth")
    save(page, "live-phone-sr")
    page.goto(live_url + "/data")
    expect(page.locator("h1")).to_have_text("Sve što je ovaj uređaj sačuvao")   # remembered
    page.get_by_role("link", name="English").click()
    expect(page.locator("h1")).to_have_text("Everything this device has stored")
    assert watch.errors == [] and watch.offsite() == []
