"""/you in a real browser, against a kit on simulated hardware."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import eventually, save, watched_page
from tests.helpers import eventually as eventually_here

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def visitors(kit) -> int:
    return kit.store.side_rows("visitors")[0]


def test_you_shows_the_phones_own_data_escapes_what_it_sent_and_forgets(live_url, browser):
    agent = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) <img src=x onerror=alert(1)> "
             "Version/17.2 Mobile/15E148 Safari/604.1")
    with watched_page(browser, **PHONE, user_agent=agent, locale="sr-Latn-RS",
                      timezone_id="Europe/Belgrade") as (page, watch):
        dialogs = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(live_url + "/you")
        expect(page.locator("#f-time_zone")).to_have_text("Europe/Belgrade")
        expect(page.locator("#f-device")).to_have_text("iPhone")
        expect(page.locator("#f-os")).to_have_text("iOS 17.2")
        expect(page.locator("#f-touch_points")).not_to_have_text("–")
        assert "onerror=alert(1)" in page.locator("#facts").inner_text(), "shown as text"
        expect(page.locator("#you-stored")).to_contain_text("onerror=alert(1)")    # stored, and shown as text
        save(page, "you-phone")
        page.reload()                       # what the script reported was stored with the visit
        expect(page.locator("#f-screen")).to_have_text("390 x 844")
        expect(page.locator("h1")).to_have_text("Šta ovaj uređaj zna o vama")   # the phone asked for Serbian
        expect(page.locator("#f-memory_gb")).to_contain_text("oko ")           # values in Serbian too
        expect(page.locator("#f-battery")).to_contain_text(" se")               # "puni se", "ne puni se"
        expect(page.locator("#you-stored")).to_contain_text("Posete vašeg telefona ovoj stranici: 2 posete")
        page.locator("button.danger").click()                                  # "Zaboravi me"
        expect(page.locator("[role=status]")).to_contain_text("Gotovo: obrisan")
        assert dialogs == [], "nothing a visitor sent ran as script"
        assert watch.errors == [] and watch.offsite() == []


def test_a_phone_checks_the_guess_against_the_persons_picture_forgets_and_stays_forgotten(live_app, browser, kit,
                                                                                          monkeypatch):
    """A person with a snapshot is in view of the simulated scene when the phone opens /you: the guess comes
    with their (blurred) picture. After "forget me", reloading records nothing until the visitor carries on."""
    seen: dict = {}

    def pictured_in_view() -> bool:
        pictured = {row["subject"] for row in kit.store.side_rows("snapshots", limit=1000)[1]}
        seen.update(person=next((p for p in kit.watching.in_view() if f"track:{p.id}" in pictured), None))
        return seen["person"] is not None

    assert eventually_here(pictured_in_view, 40), "the simulated scene shows a person whose face was kept"
    person = seen["person"]
    monkeypatch.setattr(kit.visitors, "_in_view", lambda: [person])    # still the one in view when the phone reports
    live_url = live_app[1]
    with watched_page(browser, **PHONE, locale="en-GB") as (page, watch):
        page.goto(live_url + "/you")
        expect(page.locator("#you-who code")).to_have_text(re.compile(r"visitor:[0-9a-f]{32}"))
        assert visitors(kit) == 1
        guess = page.locator("#you-guess")
        expect(guess).to_contain_text(f"We think you are person #{person.id}")
        picture = guess.locator("figure img")
        expect(picture).to_have_attribute("src", re.compile(r"^/snapshots/\d+\.jpg$"))
        assert eventually(page, lambda: picture.evaluate("img => img.complete && img.naturalWidth") > 0), \
            "the guessed person's picture loaded"
        expect(page.locator("#you-stored")).to_contain_text(f"Your phone was linked to person #{person.id} (")
        save(page, "you-guess")
        reveals = [r for r in watch.requests if r.endswith("/you/reveal")]
        pages = [r for r in watch.requests if r.endswith("/you")]
        assert len(reveals) == 1 and len(pages) == 1, "the page is rendered once; its report updates its parts"
        assert picture.evaluate("img => getComputedStyle(img).objectPosition") == "50% 0px", "the head shows"
        assert re.fullmatch(r"\d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d:\d\d",
                            page.locator("#f-local_time").inner_text()), "the phone's time as the kit writes times"
        guess.get_by_role("button", name="Yes, that is me").click()
        expect(page.locator("#you-guess")).to_contain_text("You said this is right.")
        page.wait_for_timeout(300)              # time for a script that would report
        assert kit.store.visitor(page.locator("#you-who code").inner_text())["visits"] == 1, "an answer is no visit"
        assert len([r for r in watch.requests if r.endswith("/you/reveal")]) == 1

        page.locator("button.danger").click()
        expect(page.locator("#erased-title")).to_contain_text("items about you were erased")
        assert eventually_here(lambda: visitors(kit) == 0, 5)
        for _ in range(2):
            page.reload()
            expect(page.locator("#carry-on")).to_be_visible()
            page.wait_for_timeout(500)          # time for a script that would report
            assert visitors(kit) == 0, "the confirmation, reloaded, records nobody"
        assert not [c for c in page.context.cookies() if c["name"] == "ak_visitor"], "no new cookie"
        assert len([r for r in watch.requests if r.endswith("/you/reveal")]) == 1, "nothing reported"

        page.locator("#carry-on").click()                   # the visitor chooses to be recorded again
        expect(page.locator("#you-who code")).to_have_text(re.compile(r"visitor:[0-9a-f]{32}"))
        assert visitors(kit) == 1
        assert watch.errors == [] and watch.offsite() == []


def test_the_guessed_persons_picture_shows_once_the_kit_has_kept_it(live_app, browser, kit, monkeypatch):
    """The first view has no picture of the guessed person; the camera keeps one a little later: the page shows it."""
    import time
    from types import SimpleNamespace

    import numpy as np

    monkeypatch.setattr(kit.visitors, "_in_view", lambda: [SimpleNamespace(id=987654, first_seen=time.time(),
                                                                           looking=True)])
    with watched_page(browser, **PHONE, locale="en-GB") as (page, watch):
        page.goto(live_app[1] + "/you")
        expect(page.locator("#you-guess .no-picture")).to_be_visible()
        kit.snapshots.save("track:987654", np.full((120, 80, 3), 128, np.uint8), (20, 10, 40, 40), time.time())
        assert kit.store.flush(5)
        expect(page.locator("#you-guess figure img")).to_have_attribute(
            "src", re.compile(r"^/snapshots/\d+\.jpg$"), timeout=8000)
        assert watch.errors == [] and watch.offsite() == []
