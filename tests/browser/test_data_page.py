"""/data in a real browser at a phone's size, against a kit on simulated hardware."""

from __future__ import annotations

import time

from tests.browser.conftest import save


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
