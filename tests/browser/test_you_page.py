"""/you in a real browser, against a kit on simulated hardware."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import save, watched_page


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
