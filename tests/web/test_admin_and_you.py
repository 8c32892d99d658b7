"""Admin (PIN, CSRF, rate limit, expiry) and the visitor's own page with "forget me"."""

from __future__ import annotations

import re
import time

import pytest

from device.admin import AdminPin
from device.observations import Observation


def csrf(client, path):
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf" value="([0-9a-f]+)"', html).group(1)


@pytest.fixture
def pin(kit):
    return kit.admin.reset()


def login(client, pin):
    return client.post("/admin/login", data={"pin": pin, "csrf": csrf(client, "/admin")})


def test_the_pin_is_stored_hashed_and_checked(tmp_path):
    pins = AdminPin(tmp_path)
    made = pins.ensure()
    assert made and len(made) == 6 and made.isdigit()
    assert pins.ensure() is None, "made once, at first start"
    text = (tmp_path / "admin.json").read_text()
    assert made not in text and (tmp_path / "admin.json").stat().st_mode & 0o777 == 0o600
    assert pins.verify(made) and not pins.verify("000000" if made != "000000" else "111111")
    assert not pins.verify("12ab") and not pins.verify("")


def test_changing_the_device_needs_the_pin(client, kit, pin):
    token = csrf(client, "/admin")
    assert client.post("/admin/forget", data={"csrf": token}).status_code == 403
    assert client.get("/admin/export.jsonl").status_code == 403
    assert client.post("/admin/settings", data={"csrf": token}).status_code == 403
    assert kit.forgetting.last is None


def test_a_form_without_its_csrf_token_is_refused(client, pin):
    response = client.post("/admin/login", data={"pin": pin})
    assert response.status_code == 400 and "reload the page" in response.get_data(as_text=True)


def test_an_admin_can_forget_everything_change_privacy_and_export(client, kit, pin):
    kit.observations.publish(Observation(1.0, "camera", "face", None, {"count": 1}))
    assert kit.store.flush(5)
    login(client, pin)
    page = client.get("/admin").get_data(as_text=True)
    assert "Forget everything" in page and "Logged in for 15 minutes" in page
    token = csrf(client, "/admin")
    export = client.get("/admin/export.jsonl")
    assert export.status_code == 200 and b'"kind":"face"' in export.data
    assert client.get("/admin/export.csv").data.startswith(b"id,ts,source,kind,subject,value,confidence")
    client.post("/admin/settings", data={"csrf": token, "kiosk_clear": "on"})
    assert kit.privacy.settings == {"blur_public": False, "kiosk_clear": True}
    client.post("/admin/forget", data={"csrf": token})
    assert kit.forgetting.last["observations"]["face"] >= 1


def test_wrong_pins_are_rate_limited(client, pin):
    wrong = "000000" if pin != "000000" else "111111"
    for _ in range(5):
        login(client, wrong)
    response = client.post("/admin/login", data={"pin": pin, "csrf": csrf(client, "/admin")})
    assert response.status_code == 429 and "try again in" in response.get_data(as_text=True)


def test_the_admin_session_expires(client, pin):
    login(client, pin)
    with client.session_transaction() as session:
        session["admin_until"] = time.time() - 1
    assert client.get("/admin/export.jsonl").status_code == 403


def test_a_visitor_sees_what_their_phone_revealed_and_can_forget_themselves(client, kit):
    page = client.get("/you", headers={"User-Agent": "Mozilla/5.0 <script>alert(1)</script>",
                                       "Accept-Language": "sr-Latn,en;q=0.8"}).get_data(as_text=True)
    assert "sr-Latn,en;q=0.8" in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page
    subject = re.search(r"<code>(visitor:[0-9a-f]{32})</code>", page).group(1)
    kit.observations.publish(Observation(2.0, "phone", "correlation", subject, {"track": "track:42"}))
    kit.observations.publish(Observation(2.0, "camera", "person", "track:42", {"state": "left", "dwell_s": 3.0,
                                                                              "looked": 1, "trajectory": []}))
    kit.observations.publish(Observation(2.0, "camera", "person", "track:43", {"state": "left", "dwell_s": 3.0}))
    assert kit.store.flush(5)
    assert re.search(r"visit number\s+<strong>2</strong>", client.get("/you").get_data(as_text=True))
    response = client.post("/you/forget", data={"csrf": csrf(client, "/you")})
    assert response.status_code == 303
    assert "ak_visitor=;" in response.headers.get("Set-Cookie", "")
    after = client.get("/you").get_data(as_text=True)
    assert re.search(r"Done: \d+ items about you were erased", after)
    assert kit.store.count(subject=subject) == 0 and kit.store.count(subject="track:42") == 0
    assert kit.store.count(subject="track:43") == 1, "someone else's track stays"


def test_the_phone_is_linked_to_the_person_in_view_and_a_no_keeps_their_data(client, kit):
    from tests.helpers import eventually

    assert eventually(lambda: kit.watching.in_view(), 10)
    page = client.get("/you").get_data(as_text=True)
    match = re.search(r"We think you are <strong>person #(\d+)</strong> on the camera \((\d+)%", page)
    assert match and 0 < int(match.group(2)) <= 95 and re.search(r"because\s+you appeared", page)
    track = f"track:{match.group(1)}"
    kit.observations.publish(Observation(time.time(), "camera", "face", track, {"count": 1}))
    client.post("/you/answer", data={"csrf": csrf(client, "/you"), "track": track, "answer": "no"})
    assert kit.store.flush(5)
    assert "You said this is wrong" in client.get("/you").get_data(as_text=True)
    client.post("/you/forget", data={"csrf": csrf(client, "/you")})
    assert kit.store.count(subject=track) >= 1, "someone else's data is not erased on a wrong guess"
    assert client.post("/you/answer", data={"csrf": csrf(client, "/you"), "track": "<x>"}).status_code == 400


def test_what_the_browser_reveals_is_stored_bounded(client, kit):
    token = csrf(client, "/you")
    response = client.post("/you/reveal", data={"csrf": token, "time_zone": "Europe/Belgrade",
                                                "screen": "390 x 844" + "x" * 500, "secret": "ignored"})
    assert response.get_json()["stored"]["time_zone"] == "Europe/Belgrade"
    assert len(response.get_json()["stored"]["screen"]) == 100
    page = client.get("/you").get_data(as_text=True)
    assert "Europe/Belgrade" in page and "ignored" not in page
