import json

import pytest

from device.observations import KINDS, Observation
from tests.helpers import eventually


def wait_stored(kit, kind, timeout=10.0):
    """Bounded wait until the running kit has stored at least one observation of *kind*."""
    sub = kit.observations.subscribe()
    try:
        if kind not in kit.observations.latest:
            while not any(o.kind == kind for o in sub.get_batch(timeout)):
                pass
    finally:
        sub.close()
    assert kit.store.flush(timeout)


def test_the_live_page_links_the_stream_and_local_assets_only(client):
    page = client.get("/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-stream="/stream.mjpg"' in html and 'src="/static/app.js?v=' in html
    assert "http://" not in html and "https://" not in html
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]


def test_status_reports_sources_rates_and_uptime(client, kit):
    kit.frames.wait_newer(0, timeout=5)
    status = client.get("/api/status").get_json()
    assert status["sources"]["camera"] == {**status["sources"]["camera"], "name": "simulated", "real": False,
                                           "kind": "simulated"}
    assert {"capture_fps", "analysis_fps", "frames_skipped"} <= set(status["camera"])
    assert status["uptime_s"] >= 0 and status["viewers"]["camera"]["limit"] == kit.config.web.max_viewers


def test_observations_api_filters_by_kind_and_since(client, kit):
    wait_stored(kit, "sound_level")
    body = client.get("/api/observations?kind=sound_level&limit=5").get_json()
    assert 1 <= body["count"] <= 5 and {o["kind"] for o in body["observations"]} == {"sound_level"}
    since = body["observations"][-1]["ts"]
    later = client.get(f"/api/observations?kind=sound_level&since={since}").get_json()
    assert all(o["ts"] > since for o in later["observations"])


@pytest.mark.parametrize("query, reason", [
    ("kind=nonsense", "unknown kind 'nonsense'"),
    ("limit=0", "limit must be from 1 to 1000"),
    ("limit=abc", "limit must be an integer"),
    ("since=yesterday", "since must be a number"),
    ("since=nan", "since must be a finite number"),
])
def test_a_bad_query_gets_a_400_with_a_reason(client, query, reason):
    response = client.get(f"/api/observations?{query}")
    assert response.status_code == 400
    assert reason in response.get_json()["reason"]


def test_unknown_routes_and_methods_get_clear_errors_not_tracebacks(client):
    assert client.get("/api/nothing").get_json()["status"] == 404
    page = client.get("/nothing")
    assert page.status_code == 404 and "Traceback" not in page.get_data(as_text=True)
    assert client.post("/api/status").status_code == 405
    assert client.get("/data?kind=<script>").status_code == 400


def test_stored_values_are_escaped_on_the_data_page(client, kit):
    kit.observations.publish(Observation(1.0, "phone", "face", "<b>x</b>", {"note": "<script>alert(1)</script>"}))
    assert kit.store.flush(5)
    html = client.get("/data?kind=face").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "<b>x</b>" not in html


def test_the_camera_stream_is_multipart_jpeg(open_viewer, kit, app):
    viewer = open_viewer("/stream.mjpg")
    assert viewer.status == 200 and viewer.headers["Content-Type"].startswith("multipart/x-mixed-replace")
    frame_time, jpeg = viewer.frame()
    assert viewer.part_headers["Content-Type"] == "image/jpeg"
    assert jpeg[:2] == b"\xff\xd8" and len(jpeg) == int(viewer.part_headers["Content-Length"])
    assert abs(frame_time - kit.frames.latest.ts) < 5, "each part says when its frame was taken"
    viewer.close()
    assert eventually(lambda: app.extensions["viewers"]["camera"].active == 0), "a closed stream frees its slot"


def test_the_event_stream_sends_status_then_observations(open_viewer, kit):
    viewer = open_viewer("/events")
    assert viewer.headers["Content-Type"].startswith("text/event-stream")
    first = viewer.until("event: status")
    assert first.startswith("retry: ")
    kit.observations.publish(Observation(2.0, "camera", "face", None, {"count": 3, "boxes": []}))
    viewer.line_after('"count":3')          # the whole line
    data = [json.loads(line[6:]) for line in viewer.body.decode().splitlines() if line.startswith("data: {")]
    assert {"count": 3, "boxes": []} in [d.get("value") for d in data]


def test_kinds_that_are_not_public_never_reach_a_phone(open_viewer, kit, client, monkeypatch):
    from device.observations import Kind

    monkeypatch.setitem(KINDS, "secret", Kind("secret", "camera", "Secret", "x", "r", "w", public=False))
    viewer = open_viewer("/events")
    viewer.until("event: status")
    kit.observations.publish(Observation(3.0, "camera", "secret", None, {"mark": "private"}))
    kit.observations.publish(Observation(3.0, "camera", "face", None, {"mark": "public"}))
    viewer.line_after('"mark":"public"')
    assert '"mark":"private"' not in viewer.body.decode()
    assert kit.store.flush(5)
    remote = {"REMOTE_ADDR": "192.168.4.20"}
    assert client.get("/api/observations?kind=secret", environ_base=remote).status_code == 403
    listed = client.get("/api/observations?limit=1000", environ_base=remote).get_json()["observations"]
    assert "secret" not in {o["kind"] for o in listed} and "face" in {o["kind"] for o in listed}
    assert "secret" not in client.get("/api/status", environ_base=remote).get_json()["now"]
    assert client.get("/api/observations?kind=secret").get_json()["count"] == 1, "the kit's own screen sees it"


def test_viewers_beyond_the_cap_get_a_polite_503(open_viewer, app):
    slots = app.extensions["viewers"]["events"]
    slots.phones = slots.limit
    refused = open_viewer("/events", source="127.0.0.2")
    assert refused.status == 503 and "try again" in refused.until("try again")
    assert refused.headers["Retry-After"] and "Queue-Ticket" not in refused.headers, "the events keep no line"
    slots.phones = 0


def test_streams_need_the_kits_own_server(client):
    for path in ("/stream.mjpg", "/events"):
        response = client.get(path)
        assert response.status_code == 501 and "own server (awareness-kit run)" in response.get_data(as_text=True)


def test_the_heatmap_is_a_jpeg(client, kit):
    kit.frames.wait_newer(0, timeout=5)
    response = client.get("/heatmap.jpg")
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert response.data[:2] == b"\xff\xd8"


def test_the_clear_kiosk_view_is_only_for_the_device_itself(client, open_viewer):
    remote = client.get("/stream.mjpg?view=kiosk", environ_base={"REMOTE_ADDR": "192.168.1.20"})
    assert remote.status_code == 403 and "screen attached to the device" in remote.get_data(as_text=True)
    assert client.get("/stream.mjpg?view=nonsense").status_code == 400
    local = open_viewer("/stream.mjpg?view=kiosk")       # the real server's viewers are on loopback
    assert local.status == 200 and local.frame()[1][:2] == b"\xff\xd8"


def test_the_event_stream_carries_the_live_spectrum(open_viewer):
    columns = json.loads(open_viewer("/events").line_after("event: spectrum\ndata: "))
    assert columns and all(len(bands) == 40 and all(0 <= b <= 100 for b in bands) for _, bands in columns)


HOSTILE = [
    ("page=%C2%B2", "page"), ("page=%D9%A1%D9%A2", "page"), ("page=99999999999999999999", "page"),
    ("page=1%00", "page"), ("page=-1", "page"), ("page=1.5", "page"), ("page=" + "9" * 5000, "page"),
    ("kind=%00", "kind"), ("kind=" + "x" * 10000, "kind"), ("subject=track%3A1%00", "subject"),
    ("subject=" + "a" * 10000, "subject"), ("subject=%0A%0D", None), ("since=%EF%BC%91%EF%BC%92", "since"),
    ("since=" + "9" * 400, "since"), ("since=nan", "since"), ("until=-inf", "until"),
    ("until=2026-11-26T14:30%00", "until"), ("since=0001-01-01T00:00", "since"), ("until=9999-12-31T23:59:59", None),
    ("since=2026-11-26T14:30", None), ("table=tracks%00", "table"),
    ("table=" + "t" * 10000, "table"), ("table=tracks&page=%C2%B2", "page"),
]


def test_every_parameter_of_the_data_page_answers_bad_input_with_a_400_and_a_reason(client):
    """Issue 13: ?page=%C2%B2 was a 500 ('²'.isdigit() is True, int('²') is not a number)."""
    wrong = []
    for query, reason in HOSTILE:
        answer = client.get(f"/data?{query}")
        text = answer.get_data(as_text=True)
        if reason is None:          # harmless: a blank subject, a date far away
            fine = answer.status_code == 200
        else:                       # says why, briefly
            fine = answer.status_code == 400 and reason in text and "Traceback" not in text and len(text) < 20_000
        if not fine:
            wrong.append(f"{query[:40]}: {answer.status_code}")
    assert not wrong, wrong


def test_a_file_that_goes_while_the_data_page_is_made_is_left_out(client, kit, monkeypatch):
    """A -wal checkpointed away, a snapshot pruned: between listing the folder and reading a file's size."""
    import os

    (kit.config.data_dir / "gone.jpg").write_bytes(b"x")
    listing = os.walk

    def walk_then_delete(top):
        for root, folders, names in listing(top):
            (kit.config.data_dir / "gone.jpg").unlink(missing_ok=True)
            yield root, folders, names

    monkeypatch.setattr("web.views.pages.os.walk", walk_then_delete)
    answer = client.get("/data")
    assert answer.status_code == 200 and "gone.jpg" not in answer.get_data(as_text=True)


@pytest.mark.parametrize("state, english, serbian", [
    ("paused: disk full", "storing paused: disk full", "upis zaustavljen: disk je pun"),
    ("paused: database read-only", "storing paused: database read-only",
     "upis zaustavljen: baza podataka je samo za čitanje"),
])
def test_a_paused_store_is_said_on_the_data_page_and_the_live_page_in_both_languages(
        client, kit, monkeypatch, state, english, serbian):
    status = kit.store.status
    monkeypatch.setattr(kit.store, "status", lambda: {**status(), "state": state, "waiting": 1234, "lost": 5,
                                                      "since": 1_796_000_000.0})
    for path in ("/data", "/"):
        html = client.get(f"{path}?lang=en").get_data(as_text=True)
        line = html.split('id="store-state"', 1)[1].split("</p>", 1)[0]
        assert "hidden" not in line.split(">", 1)[0] and english in line and "1234 observations waiting" in line
        assert "5 lost" in line
        assert serbian in client.get(f"{path}?lang=sr").get_data(as_text=True)
    monkeypatch.setattr(kit.store, "status", lambda: {**status(), "state": "storing", "lost": 0})
    html = client.get("/data?lang=en").get_data(as_text=True)
    assert 'id="store-state" role="status" hidden' in html, "all is well: nothing to say"


def test_the_data_page_shows_and_explains_a_damaged_database_moved_aside_and_the_reserve(client, kit):
    (kit.config.data_dir / "awareness.db.corrupt-20261130-104500").write_bytes(b"old rows")
    assert eventually(lambda: (kit.config.data_dir / "awareness.db.reserve").exists())
    html = client.get("/data").get_data(as_text=True)
    assert "<code>awareness.db.corrupt-20261130-104500</code>" in html and "a damaged database the kit moved" in html
    assert "<code>awareness.db.reserve</code>" in html and "holds nothing" in html


def test_the_kiosk_qr_codes(client, kit, app):
    from web.views.kiosk import _escape_wifi

    assert client.get("/kiosk/wifi.svg").status_code == 404, "no Wi-Fi configured: no code, and a reason"
    response = client.get("/kiosk/url.svg")
    assert response.mimetype == "image/svg+xml" and b"<svg" in response.data
    assert _escape_wifi('my;net,"x"') == 'my\\;net\\,\\"x\\"'


def test_the_charts_are_svg_drawn_from_the_store(client, kit):
    import time

    now = time.time()
    for i, dwell in enumerate([5, 20, 45, 400]):
        kit.observations.publish(Observation(now - 120, "camera", "person", f"track:{i}", {
            "state": "new", "dwell_s": 0.0, "looked": 0}))
        kit.observations.publish(Observation(now - 60, "camera", "person", f"track:{i}", {
            "state": "left", "dwell_s": float(dwell), "looked": 0}))
    assert kit.store.flush(5)
    dwell = client.get("/charts/dwell.svg")
    assert dwell.mimetype == "image/svg+xml"
    text = dwell.get_data(as_text=True)
    assert "How long people stayed (4 people)" in text
    assert "&lt;10 s: 1 person" in text and "30-60 s: 1 person" in text and "&gt;5 min: 1 person" in text
    timeline = client.get("/charts/timeline.svg").get_data(as_text=True)
    assert "-2&#x27;: 4 people" in timeline or "-1&#x27;: 4 people" in timeline
    assert "4 people" in client.get("/charts/hours.svg").get_data(as_text=True)
    assert client.get("/charts/pie.svg").status_code == 404


def test_asking_a_stream_for_its_headers_only_holds_no_viewer_slot(open_viewer, app):
    for path, slots in (("/stream.mjpg", "camera"), ("/events", "events")):
        response = open_viewer(path, method="HEAD")
        assert response.status == 200
        assert eventually(lambda s=slots: app.extensions["viewers"][s].active == 0), f"HEAD {path} kept a slot"


def test_a_store_that_cannot_write_gets_a_503_with_a_reason_and_its_retry_after(client, kit, monkeypatch):
    from device.errors import StoreError

    def paused(*args, **kwargs):
        raise StoreError("storing is paused: disk full")

    monkeypatch.setattr(kit.forgetting, "everything", paused)
    monkeypatch.setattr("web.views.admin.require_admin", lambda: None)
    from tests.web.conftest import csrf

    response = client.post("/admin/forget", data={"csrf": csrf(client, "/admin"), "confirm": "yes"})
    assert response.status_code == 503 and response.headers["Retry-After"] == "60"
    assert "nothing was changed" in response.get_data(as_text=True)
    assert client.post("/api/status").headers.get("Allow"), "a 405 keeps its Allow header"


def test_a_plate_read_reaches_phones_masked_as_faces_are_blurred(open_viewer, kit, client):
    viewer = open_viewer("/events")
    viewer.until("event: status")
    kit.observations.publish(Observation(4.0, "camera", "plate_text", None, {"text": "LZW 9715", "confidence": 0.9}))
    viewer.line_after('"kind":"plate_text"')
    assert "LZW 9715" not in viewer.body.decode() and '"text":"L** ****"' in viewer.body.decode()
    assert kit.store.flush(5)
    remote = {"REMOTE_ADDR": "192.168.4.20"}
    texts = [o["value"]["text"] for o in client.get("/api/observations?kind=plate_text",
                                                     environ_base=remote).get_json()["observations"]]
    assert texts == ["L** ****"]
    assert "LZW 9715" not in client.get("/data?kind=plate_text", environ_base=remote).get_data(as_text=True)
    assert client.get("/api/observations?kind=plate_text").get_json()["observations"][0]["value"]["text"] == \
        "LZW 9715", "the kit's own screen reads it clear"
    kit.privacy.update(blur_public=False)           # an administrator allows otherwise
    assert client.get("/api/observations?kind=plate_text", environ_base=remote).get_json()[
        "observations"][0]["value"]["text"] == "LZW 9715"
