"""Admin: the PIN, CSRF, the rate limit on guesses, the session's expiry."""

from __future__ import annotations

import time

import pytest

from device.admin import AdminPin
from device.observations import Observation
from tests.web.conftest import csrf


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
