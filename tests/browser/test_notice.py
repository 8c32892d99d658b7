"""The notice's pages in Chromium: the sign prints to A4, one page per language, its QR code reads as the /you
address, the lesson follows the teacher's moves on /admin, and every page is legible and loads nothing from outside."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from device.notice.lesson import STEPS
from tests.browser.conftest import save, watched_page
from tests.browser.test_pages import CONTRAST

A4_PX = 1123          # an A4 page's height in CSS pixels (297 mm at 96 px per inch)
LONG = "Muzej nauke i tehnike, Odeljenje za obrazovanje i izložbe, Beograd " * 4


def pdf_pages(pdf: bytes) -> int:
    try:
        from pypdf import PdfReader
    except ImportError:
        return len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
    import io

    return len(PdfReader(io.BytesIO(pdf)).pages)


@pytest.mark.parametrize("kind", [
    "default",
    pytest.param("crowded", marks=pytest.mark.settings(
        MIC_RECORD="true", MIC_STORE_WORDS="true", STORE_RETENTION_BY_KIND="motion=1, face=2, person=3, voice=4",
        NOTICE_OPERATOR=LONG, NOTICE_CONTACT=LONG[:200], NOTICE_PURPOSE=LONG)),
])
def test_the_sign_prints_to_a4_on_one_page_per_language(live_url, browser, kind):
    with watched_page(browser, viewport={"width": 1400, "height": 1000}) as (page, watch):
        page.goto(live_url + "/notice/sign")
        expect(page.locator("article.sign")).to_have_count(2)
        save(page, f"sign-{kind}")
        pdf = page.pdf(format="A4", print_background=True)
        assert pdf_pages(pdf) == 2, "one A4 page per language"
        boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
        assert boxes and all(abs(float(w) - 595) < 2 and abs(float(h) - 842) < 2 for w, h in boxes), boxes  # A4
        page.emulate_media(media="print")
        heights = page.locator("article.sign").evaluate_all("els => els.map(e => e.getBoundingClientRect().height)")
        assert all(h <= A4_PX for h in heights), heights
        assert watch.errors == [] and watch.offsite() == []


def test_the_sign_qr_code_reads_as_the_you_address(live_url, browser):
    cv2 = pytest.importorskip("cv2")
    import numpy as np

    with watched_page(browser, viewport={"width": 1400, "height": 1000}) as (page, watch):
        page.goto(live_url + "/notice/sign")
        read = []
        for code in ("en", "sr"):
            sign = page.locator(f"#sign-{code}")
            shot = sign.locator("svg.qr").screenshot()
            grey = cv2.imdecode(np.frombuffer(shot, np.uint8), cv2.IMREAD_GRAYSCALE)
            text, _, _ = cv2.QRCodeDetectorAruco().detectAndDecode(grey)
            assert text == sign.locator(".sign-qr .sign-url").inner_text(), code
            read.append(text)
        assert read[0] == read[1] and re.fullmatch(r"http://[0-9.]+:\d+/you", read[0]), read
        page.goto(read[0].replace(read[0].split("/")[2], live_url.split("/")[2]))
        expect(page.locator("h1")).to_have_text("What this device knows about you")
        assert watch.errors == [] and watch.offsite() == []


def test_the_lesson_advances_through_all_its_steps_from_admin(live_app, browser):
    app, url = live_app
    pin = app.extensions["kit"].admin.reset()
    with watched_page(browser, viewport={"width": 1920, "height": 1080}) as (projector, shown), \
            watched_page(browser, viewport={"width": 390, "height": 844}, is_mobile=True) as (phone, watch):
        projector.goto(url + "/lesson")
        expect(projector.locator("h1")).to_have_text(STEPS[0].title)
        phone.goto(url + "/admin")
        phone.fill("#pin", pin)
        phone.get_by_role("button", name="Log in").click()
        expect(phone.locator("#lesson-current")).to_have_text(STEPS[0].title)
        for step in STEPS[1:]:
            phone.get_by_role("button", name="Next step").click()
            expect(phone.locator("#lesson-current")).to_have_text(step.title)
            expect(projector.locator("h1")).to_have_text(step.title, timeout=10000)    # it follows by itself
        expect(phone.get_by_role("button", name="Next step")).to_be_disabled()
        save(projector, "lesson-last-step")
        # The kiosk's keyboard (the projector here is the device's own screen): back one step, then on again.
        projector.keyboard.press("ArrowLeft")
        expect(projector.locator("h1")).to_have_text(STEPS[-2].title)
        projector.keyboard.press("PageDown")
        expect(projector.locator("h1")).to_have_text(STEPS[-1].title)
        assert shown.errors == [] and watch.errors == [] and watch.offsite() == shown.offsite() == []


HEADINGS = """() => {
  const levels = [...document.querySelectorAll("h1, h2, h3, h4, h5, h6")].map((h) => Number(h.tagName[1]));
  return levels.filter((level, i) => i > 0 && level > levels[i - 1] + 1).length === 0 && levels[0] === 1;
}"""


@pytest.mark.parametrize("lang", ["en", "sr"])
def test_the_pages_are_legible_in_order_and_local(live_url, browser, lang):
    with watched_page(browser, viewport={"width": 390, "height": 844}, is_mobile=True) as (page, watch):
        for path in ("/notice", "/notice/sign", "/lesson", "/lesson/plan", "/lesson/worksheet"):
            page.goto(f"{live_url}{path}?lang={lang}")
            expect(page.locator("h1").first).to_be_visible()
            assert page.locator("html").get_attribute("lang") == lang, path
            assert page.evaluate(CONTRAST) == [], f"text too faint on {path}"
            assert page.evaluate(HEADINGS), f"headings skip a level on {path}"
            save(page, f"phone-{lang}-{path.strip('/').replace('/', '-')}")
        assert watch.errors == [] and watch.offsite() == []
