"""The kiosk's views (live, data, summary), how the device's button and ?view= choose them, the summary's
figures, and the QR code to /you."""

from __future__ import annotations

import re
import time

import pytest

from device.hub import ObservationHub
from device.observations import Observation
from device.services.screen import VIEWS, Screen
from device.store import Store
from device.vision.watching import stored_person
from tests.helpers import eventually

PANELS = {"live": "panel-live", "data": "panel-data", "summary": "panel-summary"}


def shown_panels(html: str) -> set[str]:
    """The views whose panel the page shows (the others carry the hidden attribute)."""
    return {view for view, panel in PANELS.items()
            if " hidden" not in re.search(rf'<section[^>]*id="{panel}"[^>]*>', html).group(0)}


def test_a_short_press_cycles_live_data_summary_and_the_kiosk_follows(kit, client):
    pin = kit._stimuli.button_pin
    seen = []
    for _ in VIEWS:
        before = kit.screen.view
        pin.drive_low()
        assert kit.sensors.devices["button"].wait_for_press(1)
        pin.drive_high()
        assert eventually(lambda b=before: kit.screen.view != b)
        html = client.get("/kiosk").get_data(as_text=True)
        assert f'data-view="{kit.screen.view}"' in html and shown_panels(html) == {kit.screen.view}
        seen.append(kit.status()["kiosk_view"])
    assert seen == ["data", "summary", "live"]


def test_class_mode_shows_a_view_by_name_and_refuses_others():
    screen = Screen()
    screen.show("summary")
    assert screen.view == "summary" and screen.toggle() == "live"
    with pytest.raises(ValueError, match="live, data, summary"):
        screen.show("party")


def test_view_in_the_address_shows_that_view_whatever_the_button_says(kit, client):
    kit.screen.show("data")
    html = client.get("/kiosk?view=summary").get_data(as_text=True)
    assert shown_panels(html) == {"summary"} and 'data-pinned="1"' in html
    assert re.search(r'<section class="kiosk-camera"[^>]* hidden>', html), "the summary takes the camera's place"
    assert 'id="s-people-today"' in html and 'id="s-stored"' in html and 'id="s-inferred"' in html
    assert "data-pinned" not in client.get("/kiosk").get_data(as_text=True), "without ?view= it follows the kit"
    bad = client.get("/kiosk?view=%3Cscript%3E")
    assert bad.status_code == 400
    text = bad.get_data(as_text=True)
    assert "live, data, summary" in text and "<script>" not in text, "a reason, the value escaped"


def test_the_summary_says_when_everything_was_wiped(kit, client):
    assert 'id="s-wiped" hidden' in client.get("/kiosk?view=summary").get_data(as_text=True)
    kit.forgetting.everything()
    html = client.get("/kiosk?view=summary&lang=en").get_data(as_text=True)
    line = re.search(r'<p class="kiosk-wiped" id="s-wiped"[^>]*>([^<]*)</p>', html)
    assert line and "Everything stored was erased at" in line.group(1), html


def test_the_summary_counts_today_from_what_the_store_holds(tmp_path):
    from web.views.kiosk import _midnight, figures

    hub, store = ObservationHub(), Store(tmp_path / "kit.db", flush_interval_s=0.05)
    store.route("person", stored_person)
    store.start(hub)
    now = time.time()
    today, yesterday = max(_midnight(now) + 1, now - 60), _midnight(now) - 3600
    for i, ts in enumerate([yesterday, today, today]):
        hub.publish(Observation(ts, "camera", "person", f"track:{i}", {"id": i, "state": "new", "dwell_s": 0.0}, 0.9))
    hub.publish(Observation(yesterday, "camera", "snapshot", "track:0", {"file": "a.jpg"}, 1.0))
    hub.publish(Observation(today, "camera", "snapshot", "track:1", {"file": "b.jpg"}, 1.0))
    for subject, ts in (("visitor:a", today), ("visitor:a", today), ("visitor:b", today), ("visitor:c", yesterday)):
        hub.publish(Observation(ts, "phone", "correlation", subject, {"track": "track:1", "reasons": []}, 0.5))
    for _ in range(4):
        hub.publish(Observation(today, "camera", "face", None, {"count": 1}, 0.8))
    hub.publish(Observation(today, "sensors", "light", None, {"on": True, "level": 0.5}, 1.0))
    assert store.flush()
    shown = figures(store, now)
    assert shown["people_today"] == 2 and shown["faces_today"] == 1 and shown["phones_linked"] == 2
    assert shown["stored"] == 3 + 2 + 4 + 4 + 1
    assert shown["inferred"][:2] == [["face", 4], ["correlation", 4]] or shown["inferred"][:2] == [
        ["correlation", 4], ["face", 4]], shown["inferred"]
    assert ["person", 3] in shown["inferred"] and "light" not in dict(shown["inferred"]), "measured, not inferred"
    store.close()


def test_the_summary_json_and_the_page_agree(kit, client):
    answer = client.get("/kiosk/summary.json")
    assert answer.headers["Cache-Control"] == "no-store"
    figures = answer.get_json()
    assert set(figures) == {"people_today", "faces_today", "phones_linked", "stored", "inferred"}
    html = client.get("/kiosk?view=summary").get_data(as_text=True)
    assert f'<dd id="s-stored">{figures["stored"]}</dd>' in html, "read once for both (SUMMARY_EVERY_S)"


def test_the_dashboard_code_opens_you(app, client):
    from web.views.kiosk import _svg, dashboard_url, you_url

    code = client.get("/kiosk/url.svg")
    with app.test_request_context("/kiosk/url.svg"):
        assert you_url() == dashboard_url() + "you" and dashboard_url().endswith("/")
        assert code.data == _svg(you_url()).data
    assert you_url_of(client).endswith("/you")


def you_url_of(client) -> str:
    """The address the kiosk's caption shows under the dashboard's code."""
    return re.search(r'<strong class="url">([^<]+)</strong>', client.get("/kiosk").get_data(as_text=True)).group(1)


@pytest.mark.settings(KIOSK_URL="http://kit.example:8000")
def test_a_configured_dashboard_address_is_the_base_of_you(app, client):
    from web.views.kiosk import _svg, dashboard_url

    assert you_url_of(client) == "http://kit.example:8000/you"
    with app.test_request_context("/"):
        assert client.get("/kiosk/url.svg").data == _svg("http://kit.example:8000/you").data
        assert dashboard_url() == "http://kit.example:8000", "the notice and the sign add their own pages to it"
