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


def test_a_timed_view_gives_way_to_live_unless_someone_chose_another():
    now = [100.0]
    screen = Screen(clock=lambda: now[0])
    screen.show("summary", for_s=300)
    now[0] += 299
    assert screen.view == "summary"
    now[0] += 1
    assert screen.view == "live", "its time is up: the camera again, by itself"
    screen.show("summary", for_s=300)
    assert screen.toggle() == "live" and screen.toggle() == "data"
    now[0] += 1000
    assert screen.view == "data", "the button's choice stays"
    screen.show("summary", for_s=300)
    screen.show("summary")
    now[0] += 1000
    assert screen.view == "summary", "shown without a time: it stays"


def test_next_class_shows_the_summary_for_the_class_first_minutes(client, kit):
    from tests.web.conftest import csrf
    from web.views.admin import CLASS_SUMMARY_S

    token = csrf(client, "/admin")
    client.post("/admin/login", data={"pin": kit.admin.reset(), "csrf": token},
                environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert client.post("/admin/next-class", data={"csrf": csrf(client, "/admin")}).status_code == 303
    assert kit.status()["kiosk_view"] == "summary"
    assert 60 <= CLASS_SUMMARY_S <= 600
    kit.screen._until -= CLASS_SUMMARY_S - 1     # a second before its time is up: still the summary
    assert kit.status()["kiosk_view"] == "summary"
    kit.screen._until -= 1                       # CLASS_SUMMARY_S later
    assert kit.status()["kiosk_view"] == "live"
    assert 'data-view="live"' in client.get("/kiosk").get_data(as_text=True)
    assert shown_panels(client.get("/kiosk?view=summary").get_data(as_text=True)) == {"summary"}, "pinned: stays"


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
    assert shown["since"] == _midnight(now)
    wiped = figures(store, now, wiped=today + 0.5)
    assert wiped["since"] == today + 0.5 and wiped["people_today"] == 0 and wiped["phones_linked"] == 0, \
        "counted since the later of the day's start and the last wipe"
    assert figures(store, now, wiped=yesterday)["since"] == _midnight(now)
    assert shown["stored"] == 3 + 2 + 4 + 4 + 1
    assert shown["inferred"][:2] == [["face", 4], ["correlation", 4]] or shown["inferred"][:2] == [
        ["correlation", 4], ["face", 4]], shown["inferred"]
    assert ["person", 3] in shown["inferred"] and "light" not in dict(shown["inferred"]), "measured, not inferred"
    store.close()


def test_the_summary_json_and_the_page_agree(kit, client):
    answer = client.get("/kiosk/summary.json")
    assert answer.headers["Cache-Control"] == "no-store"
    figures = answer.get_json()
    assert set(figures) == {"people_today", "faces_today", "phones_linked", "stored", "inferred", "since"}
    html = client.get("/kiosk?view=summary&lang=en").get_data(as_text=True)
    assert f'<dd id="s-stored">{figures["stored"]}</dd>' in html, "read once for both (SUMMARY_EVERY_S)"
    stored = figures["stored"]
    assert f'id="c-stored">{stored} observation{"" if stored == 1 else "s"} stored</p>' in html, \
        "the data view: the same count, the same word"
    labels = re.findall(r"<dt>(.*?)</dt>", html)
    assert "Observations stored" in labels and not [label for label in labels if "today" in label.lower()], labels
    hm = time.strftime("%H:%M", time.localtime(figures["since"]))
    assert html.count(f'">{hm}</time>') == 3, "people, faces and phones: since the day's start"
    assert "People tracked so far" not in html, "one count of people seen, beside the ones in view now"


def test_after_a_wipe_the_summary_counts_from_it_at_once(kit, client):
    client.get("/kiosk/summary.json")
    result = kit.forgetting.everything()
    figures = client.get("/kiosk/summary.json").get_json()
    assert figures["since"] == result["at"], "read anew, not the figures from before the wipe"
    hm = time.strftime("%H:%M", time.localtime(result["at"]))
    assert f'>{hm}</time>' in client.get("/kiosk?view=summary").get_data(as_text=True)


def test_the_data_view_says_what_forget_me_really_erases(client):
    html = client.get("/kiosk?view=data&lang=en").get_data(as_text=True)
    assert "anyone can erase" not in html
    assert "“Forget me” erases what a phone itself revealed and the person its owner confirmed" in html
    assert "the staff can erase everything" in html
    sr = client.get("/kiosk?view=data&lang=sr").get_data(as_text=True)
    assert "„Zaboravi me“ briše" in sr and "osoblje može da obriše sve" in sr


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


def stopped(kit, monkeypatch, *, camera: str = "ended", microphone: str = "offline") -> float:
    """The kit's status with its camera and microphone in these states, and someone who was in the room at the last
    wipe gone out (in 0, out 1, one first seen inside); returns when the counts started."""
    real, since = kit.status, time.time() - 600

    def status():
        s = real()
        s["sources"]["camera"] = {**s["sources"]["camera"], "state": camera, "capturing": camera == "running"}
        s["sources"]["microphone"] = {**s["sources"]["microphone"], "state": microphone,
                                      "capturing": microphone == "running"}
        s["microphone"] = {**s["microphone"], "speaking": True}
        s["vision"] = {**(s["vision"] or {}), "people": 2, "in": 0, "out": 1, "first_inside": 1, "counted_since": since}
        return s
    monkeypatch.setattr(kit, "status", status)
    kit.observations.publish(Observation(time.time(), "camera", "face", None, {"count": 1}))
    return since


def dd(html: str, name: str) -> str:
    return re.search(rf'<dd id="{name}">(.*?)</dd>', html).group(1)


def test_a_stopped_camera_or_microphone_shows_dashes_on_the_kiosk_not_its_last_figures(kit, client, monkeypatch):
    stopped(kit, monkeypatch, camera="running", microphone="running")
    html = client.get("/kiosk?lang=en").get_data(as_text=True)
    assert (dd(html, "c-people"), dd(html, "c-faces"), dd(html, "c-speaking"), dd(html, "s-people-now")) == \
        ("2", "1", "yes", "2")
    monkeypatch.undo()
    stopped(kit, monkeypatch)
    html = client.get("/kiosk?lang=en").get_data(as_text=True)
    assert (dd(html, "c-people"), dd(html, "c-faces"), dd(html, "c-speaking"), dd(html, "s-people-now")) == \
        ("–", "–", "–", "–")
    # As it goes on, the kiosk's script does the same: tests/browser/test_stopped_sources.py.


@pytest.mark.parametrize("lang, crossed, counts", [
    ("en", "Crossed the line since", "in 0 · out 1"), ("sr", "Prelasci linije od", "ušlo 0 · izašlo 1")])
def test_the_in_and_out_counter_says_since_when_and_who_was_inside_already(kit, client, monkeypatch, lang, crossed,
                                                                          counts):
    since = stopped(kit, monkeypatch)
    for path in ("/kiosk", "/"):
        html = client.get(f"{path}?lang={lang}").get_data(as_text=True)
        assert f'<dt>{crossed} <time id="inout-since" data-at="{since}">' in html, path
        assert dd(html, "c-inout").startswith(counts), path
        assert "Came in / went out" not in html and "Ušlo / izašlo" not in html, path
    inside = {"en": " · 1 person already inside", "sr": " · 1 osoba već unutra"}[lang]
    assert dd(html, "c-inout") == counts + inside, "the live page says who left without having come in"
