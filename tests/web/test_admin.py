"""Admin: the PIN, CSRF, sessions kept on the server, the limits on guesses, and the PIN never on a public screen."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from device.admin import AdminPin
from device.observations import Observation
from tests.helpers import eventually
from tests.web.conftest import cookie, csrf, give_cookie

ROOT = Path(__file__).resolve().parents[2]
PHONE = {"REMOTE_ADDR": "192.168.4.20"}
DEVICE = {"REMOTE_ADDR": "127.0.0.1"}


@pytest.fixture
def pin(kit):
    return kit.admin.reset()


def wrong(pin: str) -> str:
    return "000000" if pin != "000000" else "111111"


def login(client, pin, environ=None, lang="en"):
    token = csrf(client, f"/admin?lang={lang}")
    return client.post("/admin/login", data={"pin": pin, "csrf": token}, environ_base=environ or DEVICE)


def has(response, pin: str) -> bool:
    """Whether the PIN is in a response (as a number of its own, not inside a longer one)."""
    return re.search(rf"(?<!\d){pin}(?!\d)", response.get_data(as_text=True)) is not None


def is_admin(client) -> bool:
    return client.get("/admin/export.csv", environ_base=PHONE).status_code == 200


class Clock:
    """A clock that a test moves on, for the web layer's limits and sessions (as the time module, or a callable)."""

    def __init__(self) -> None:
        self.now = time.monotonic()
        self.offset = time.time() - self.now

    def __call__(self) -> float:
        return self.now

    monotonic = __call__

    def time(self) -> float:
        return self.now + self.offset


@pytest.fixture
def clock(monkeypatch):
    """Moves web/security.py's time (its sessions and PIN limits) only when the test says."""
    import web.security

    clock = Clock()
    monkeypatch.setattr(web.security, "time", clock)
    return clock


class Counted:
    """kit.admin.verify, counting the PINs actually hashed (and optionally slower, as on a Pi)."""

    def __init__(self, verify, delay_s: float = 0.0) -> None:
        self.verify, self.delay_s = verify, delay_s
        self.calls = 0
        self._lock = threading.Lock()

    def __call__(self, pin: str) -> bool:
        with self._lock:
            self.calls += 1
        time.sleep(self.delay_s)
        return self.verify(pin)


def test_the_pin_is_stored_hashed_and_checked(tmp_path):
    pins = AdminPin(tmp_path)
    made = pins.ensure()
    assert made and len(made) == 6 and made.isdigit()
    assert pins.ensure() is None, "made once, at first start"
    text = (tmp_path / "admin.json").read_text()
    assert made not in text and (tmp_path / "admin.json").stat().st_mode & 0o777 == 0o600
    assert pins.verify(made) and not pins.verify("000000" if made != "000000" else "111111")
    assert not pins.verify("12ab") and not pins.verify("")


def test_a_reset_anywhere_makes_a_new_generation_and_this_run_forgets_a_pin_it_did_not_make(tmp_path):
    here, elsewhere = AdminPin(tmp_path), AdminPin(tmp_path)        # the kit, and `admin reset-pin`
    made = here.ensure()
    first = here.generation()
    assert first is not None and here.shown == made
    assert here.generation() is first, "unchanged file: not read again"
    new = elsewhere.reset()
    assert here.generation() not in (None, first) and here.generation()[0] == first[0] + 1
    assert here.shown is None and elsewhere.shown == new, "only the run that made a PIN knows it"


def test_changing_the_device_needs_the_pin(client, kit, pin):
    token = csrf(client, "/admin")
    assert client.post("/admin/forget", data={"csrf": token}).status_code == 403
    assert client.post("/admin/forget", data={"csrf": token, "confirm": "yes"}).status_code == 403
    assert client.post("/admin/next-class", data={"csrf": token}).status_code == 403
    assert client.get("/admin/export.jsonl").status_code == 403
    assert client.post("/admin/settings", data={"csrf": token}).status_code == 403
    assert kit.forgetting.last is None


def test_a_form_without_its_csrf_token_is_refused(client, pin):
    for path in ("/admin/login", "/admin/logout", "/admin/forget", "/admin/settings", "/admin/next-class",
                 "/admin/kiosk-live"):
        response = client.post(path, data={"pin": pin, "confirm": "yes"})
        assert response.status_code == 400 and "reload the page" in response.get_data(as_text=True), path


def test_an_admin_can_forget_everything_change_privacy_and_export(client, kit, pin):
    kit.observations.publish(Observation(1.0, "camera", "face", None, {"count": 1}))
    assert kit.store.flush(5)
    login(client, pin, PHONE)
    page = client.get("/admin").get_data(as_text=True)
    assert "Forget everything" in page and page.count("Logged in") == 1, "said once"
    assert re.search(r"Logged in until \d\d:\d\d; each action extends it, up to \d\d:\d\d at the latest\.", page)
    token = csrf(client, "/admin")
    export = client.get("/admin/export.jsonl")
    assert export.status_code == 200 and b'"kind":"face"' in export.data
    assert client.get("/admin/export.csv").data.startswith(b"table,id,ts,source,kind,subject,value,confidence")
    client.post("/admin/settings", data={"csrf": token, "kiosk_clear": "on"})
    assert kit.privacy.settings == {"blur_public": False, "kiosk_clear": True}
    client.post("/admin/forget", data={"csrf": token, "confirm": "yes"})
    assert kit.forgetting.last["observations"]["face"] >= 1


@pytest.mark.parametrize("sent", ["12ab56", "１２３４５６", "1" * 13, " ", "-12345"])
def test_a_pin_that_is_not_digits_is_refused_with_a_reason_and_checks_nothing(client, kit, pin, sent, monkeypatch):
    counted = Counted(kit.admin.verify)
    monkeypatch.setattr(kit.admin, "verify", counted)
    response = login(client, sent, PHONE)
    assert response.status_code == 400 and "digits only" in response.get_data(as_text=True)
    assert counted.calls == 0


def test_an_unknown_export_is_a_404_with_a_reason(client, pin):
    login(client, pin)
    response = client.get("/admin/export.xml")
    assert response.status_code == 404 and "export.jsonl or export.csv" in response.get_data(as_text=True)


# ---- sessions live on the server (issue 13: logout, `admin reset-pin`)

def test_logging_out_ends_the_session_for_every_copy_of_the_cookie(client, app, pin):
    login(client, pin, PHONE)
    assert is_admin(client)
    copied = cookie(client, "session").value
    thief = app.test_client()
    give_cookie(thief, "session", copied)
    assert is_admin(thief), "the copy works while the admin is logged in"
    client.post("/admin/logout", data={"csrf": csrf(client, "/admin")})
    assert not is_admin(client)
    assert not is_admin(thief), "logged out: the copied cookie is worth nothing"
    assert "Logged out" in client.get("/admin").get_data(as_text=True)


def test_reset_pin_in_another_process_logs_every_admin_out_of_a_running_kit(client, app, kit, pin):
    login(client, pin, PHONE)
    other = app.test_client()
    login(other, pin, PHONE)
    assert is_admin(client) and is_admin(other)
    subprocess.run([sys.executable, "-c", "import sys; from device.admin import AdminPin; "
                    "AdminPin(sys.argv[1]).reset()", str(kit.config.data_dir)], cwd=ROOT, check=True, timeout=30)
    assert not is_admin(client) and not is_admin(other)
    assert "Log in" in client.get("/admin").get_data(as_text=True)
    assert login(client, pin, PHONE).status_code == 303 and not is_admin(client), "the old PIN is no more"


def test_a_new_pin_made_by_this_process_ends_the_sessions_too(client, kit, pin):
    login(client, pin)
    kit.admin.reset()
    assert not is_admin(client)


def test_the_admin_session_expires(client, pin, clock):
    """After 15 minutes without an admin action (is_admin() is one), the session has ended."""
    login(client, pin)
    clock.now += 14 * 60
    assert is_admin(client)
    clock.now += 15 * 60 + 1
    assert not is_admin(client)


def test_each_admin_action_extends_the_session_up_to_two_hours_after_logging_in(client, pin, clock):
    """A 45-minute lesson (or a double one) with an action now and then stays logged in; 15 idle minutes, or two
    hours however busy, end it; logging out ends it at once."""
    from web.security import ADMIN_MOST_S, ADMIN_SESSION_S

    login(client, pin, PHONE)
    start = clock.now
    while clock.now - start < ADMIN_MOST_S - ADMIN_SESSION_S:
        clock.now += ADMIN_SESSION_S - 60
        assert is_admin(client), f"an action {clock.now - start:.0f} s after logging in extends it"
    clock.now = start + ADMIN_MOST_S - 1
    assert is_admin(client)
    clock.now = start + ADMIN_MOST_S + 1
    assert not is_admin(client), "never past the absolute limit"
    login(client, pin, PHONE)
    clock.now += ADMIN_SESSION_S - 60
    page = client.get("/admin", environ_base=PHONE).get_data(as_text=True)     # seeing the page: an action too
    until = re.search(r"Logged in until (\d\d:\d\d)", page).group(1)
    assert until == time.strftime("%H:%M", time.localtime(clock.time() + ADMIN_SESSION_S))
    client.post("/admin/logout", data={"csrf": csrf(client, "/admin")}, environ_base=PHONE)
    assert not is_admin(client)


def test_a_wrong_pin_says_how_many_tries_are_left_and_a_refused_export_offers_to_log_in(client, pin):
    for left in (4, 3):
        page = login(client, wrong(pin), PHONE, lang="sr")
        assert page.status_code == 303
        text = client.get("/admin", environ_base=PHONE).get_data(as_text=True)
        assert f"Taj PIN nije ispravan. Još {left} pokušaja pre čekanja." in text
    english = login(client, wrong(pin), PHONE)
    assert english.status_code == 303
    assert "That PIN is not right. 2 more tries before a wait." in client.get("/admin", environ_base=PHONE).get_data(
        as_text=True)
    for other in [f"192.168.1.{n}" for n in range(31, 37)]:         # others guessing too: 24 of the kit's 30
        for _ in range(4):
            login(client, wrong(pin), {"REMOTE_ADDR": other})
    login(client, wrong(pin), {"REMOTE_ADDR": "192.168.1.40"})
    assert "That PIN is not right. 4 more tries before a wait." in client.get(
        "/admin", environ_base={"REMOTE_ADDR": "192.168.1.40"}).get_data(as_text=True), \
        "a phone learns its own tries left, not how many others have guessed"
    refused = client.get("/admin/export.csv", environ_base=PHONE)
    assert refused.status_code == 403 and 'href="/admin"' in refused.get_data(as_text=True)
    assert 'href="/admin"' not in client.get("/api/observations?kind=nope").get_data(as_text=True)


# ---- guessing the PIN (issue 13)

def test_sixty_guesses_sent_at_once_from_one_address_check_at_most_five(app, kit, pin, monkeypatch):
    counted = Counted(kit.admin.verify, delay_s=0.05)      # the hash takes 30-400 ms: wide open to a race
    monkeypatch.setattr(kit.admin, "verify", counted)
    clients = [app.test_client() for _ in range(60)]
    tokens = [csrf(c, "/admin") for c in clients]
    start, statuses = threading.Barrier(60), []

    def guess(c, token):
        start.wait()
        statuses.append(c.post("/admin/login", data={"pin": wrong(pin), "csrf": token}, environ_base=PHONE).status_code)

    threads = [threading.Thread(target=guess, args=pair) for pair in zip(clients, tokens, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(statuses) == 60
    assert counted.calls == 5, f"{counted.calls} of 60 guesses sent at once were checked (the limit is 5)"
    assert statuses.count(303) == 5 and statuses.count(429) == 55


def guesses_checked(client, kit, clock, addresses, *, minutes: float, every_s: float) -> int:
    """PINs hashed while one guess is sent every *every_s* (simulated) seconds, each from addresses(n)."""
    counted = Counted(lambda pin: False)
    kit.admin.verify = counted
    token = csrf(client, "/admin")
    sent, end = 0, clock.now + minutes * 60
    while clock.now < end:
        response = client.post("/admin/login", data={"pin": "000000", "csrf": token},
                               environ_base={"REMOTE_ADDR": addresses(sent)})
        assert response.status_code in (303, 429)
        sent += 1
        clock.now += every_s
    del kit.admin.verify
    return counted.calls


def many(prefix: str):
    return lambda n: f"{prefix}.{n // 256 % 256}.{n % 256}"


def test_guesses_are_paced_per_address_and_for_the_whole_kit(client, kit, pin, clock):
    """One address: 5, then after 1, 2, 4, 8, 16 ... minutes. Every address together: 30, then one a minute."""
    one = guesses_checked(client, kit, clock, lambda n: "192.168.4.20", minutes=60, every_s=5)
    assert one == 10, f"one address, an hour: {one} checked"           # 5 + at 1, 3, 7, 15 and 31 minutes
    first = guesses_checked(client, kit, clock, many("10.1"), minutes=1, every_s=0.25)
    assert first <= 30 + 1, f"240 addresses, a minute: {first} checked"
    hour = guesses_checked(client, kit, clock, many("10.2"), minutes=60, every_s=0.5)
    assert hour <= 60 + 1, f"7,200 addresses, the next hour: {hour} checked (10^6 PINs: ~1.9 years)"


def test_a_lockout_expires_and_an_address_is_forgotten_a_day_after_its_last_wrong_pin(client, kit, pin, clock):
    for _ in range(5):
        assert login(client, wrong(pin), PHONE).status_code == 303
    assert login(client, pin, PHONE).status_code == 429
    clock.now += 61
    assert login(client, wrong(pin), PHONE).status_code == 303, "the minute is over: one more try"
    assert login(client, wrong(pin), PHONE).status_code == 429, "then two minutes"
    clock.now += 24 * 3600
    for _ in range(5):
        assert login(client, wrong(pin), PHONE).status_code == 303, "a day later, forgotten: five tries again"
    clock.now += 24 * 3600
    assert login(client, pin, PHONE).status_code == 303 and is_admin(client)


def test_the_devices_own_screen_is_never_locked_out(client, kit, pin, monkeypatch):
    monkeypatch.setattr(kit.admin, "verify", Counted(lambda p: p == pin))
    for address in ("127.0.0.1", "::1"):
        for _ in range(6):
            assert login(client, wrong(pin), {"REMOTE_ADDR": address}).status_code == 303, address
        assert login(client, pin, {"REMOTE_ADDR": address}).status_code == 303 and is_admin(client), address
        client.post("/admin/logout", data={"csrf": csrf(client, "/admin")})
    for n in range(40):         # now the whole kit is locked out, and this phone too
        login(client, wrong(pin), {"REMOTE_ADDR": f"192.168.4.{n + 2}"})
    assert login(client, pin, PHONE).status_code == 429
    assert login(client, pin, DEVICE).status_code == 303 and is_admin(client), "the device's screen still gets in"


def test_a_phone_with_many_ipv6_addresses_counts_as_one(client, app, kit, pin, monkeypatch):
    monkeypatch.setattr(kit.admin, "verify", Counted(lambda p: False))
    for n in range(5):
        assert login(client, wrong(pin), {"REMOTE_ADDR": f"fd00:1:2:3::{n + 1:x}"}).status_code == 303
    assert login(client, wrong(pin), {"REMOTE_ADDR": "fd00:1:2:3:ffff::9"}).status_code == 429
    assert login(client, wrong(pin), {"REMOTE_ADDR": "fd00:1:2:4::1"}).status_code == 303, "another /64"


@pytest.mark.parametrize(("lang", "says", "why", "staff"), [
    ("en", "Too many wrong PINs from this device: try again in",
     "Why: after 5 wrong PINs from one device, it waits before each further try, 1 minute first",
     "The staff can always log in on the device's own screen."),
    ("sr", "Previše pogrešnih PIN-ova sa ovog uređaja: pokušajte ponovo za",
     "Zašto: posle 5 pogrešnih PIN-ova sa jednog uređaja",
     "Osoblje uvek može da se prijavi na ekranu samog uređaja.")])
def test_the_sixth_wrong_pin_gets_the_admin_page_saying_why_and_when_in_the_visitors_language(client, pin, lang, says,
                                                                                              why, staff):
    for _ in range(5):
        login(client, wrong(pin), PHONE, lang)
    response = login(client, pin, PHONE, lang)
    page = response.get_data(as_text=True)
    assert response.status_code == 429 and says in page and why in page and staff in page
    seconds = int(re.search(r"(\d+) s \(", page).group(1))
    assert 55 <= seconds <= 60 and response.headers["Retry-After"] == str(seconds)
    assert 'name="pin"' in page and f'<html lang="{lang}">' in page, "the admin page itself, with its form"
    assert re.search(r'<input id="pin"[^>]* disabled aria-describedby="pin-wait"', page), "closed until then"
    assert re.search(r'<button type="submit" disabled aria-describedby="pin-wait">', page)
    assert f'<meta http-equiv="refresh" content="{seconds}; url=/admin">' in page, "and open again then, no script"
    again = client.get("/admin", environ_base=PHONE).get_data(as_text=True)
    assert says in again and why in again, "it says so until then"
    assert "disabled" not in client.get("/admin", environ_base=DEVICE).get_data(as_text=True), "not on the device"


def test_when_the_whole_kit_is_locked_the_page_says_so(client, app, kit, pin, monkeypatch):
    monkeypatch.setattr(kit.admin, "verify", Counted(lambda p: False))
    for n in range(30):
        login(client, wrong(pin), {"REMOTE_ADDR": f"10.0.0.{n + 1}"})
    response = login(client, pin, {"REMOTE_ADDR": "10.0.1.1"}, "sr")
    page = response.get_data(as_text=True)
    assert response.status_code == 429 and "Na ovom uređaju je isprobano previše pogrešnih PIN-ova" in page
    assert "Zašto: svi telefoni i računari zajedno mogu da pokušaju 30 pogrešnih PIN-ova" in page
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    english = login(client, pin, {"REMOTE_ADDR": "10.0.1.2"}, "en").get_data(as_text=True)
    assert "Why: all the phones and computers together may try 30 wrong PINs, then one a minute" in english


def test_a_kit_without_a_readable_pin_says_how_to_make_one(client, kit, pin):
    kit.admin.path.write_text("{not json")
    response = login(client, pin, PHONE)
    assert response.status_code == 503 and "admin reset-pin" in response.get_data(as_text=True)


# ---- forget everything, asked first; the counters and numbers start again (issue 15)

def test_forget_everything_asks_first_saying_what_would_go_and_erases_only_when_confirmed(client, kit, pin):
    kit.watching.continue_after(40)         # as after a restart with 40 tracks stored: the next person is #41
    assert eventually(lambda: any(p.id > 40 for p in kit.watching.in_view()), timeout=30), "a visitor comes in"
    kit.observations.publish(Observation(1.0, "camera", "face", None, {"count": 1}))
    assert kit.store.flush(5)
    stored = kit.store.count()
    login(client, pin, PHONE)
    asked = client.post("/admin/forget", data={"csrf": csrf(client, "/admin")})
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "Forget everything? This cannot be undone." in page
    shown = int(re.search(r"Observations: (\d+)", page).group(1))
    assert stored <= shown and "People followed: " in page and "Files (pictures and sound clips): " in page
    assert "the next person seen is #1 again" in page
    assert "The privacy settings, the admin PIN and the config stay" in page
    assert 'name="confirm" value="yes"' in page and "<script" not in page.split("<main>")[1].split("</main>")[0]
    assert kit.forgetting.last is None and kit.store.count() >= stored, "nothing erased yet"

    before = kit.status()
    assert before["store"]["written"] >= stored and sum(before["counts"].values()) >= stored
    done = client.post("/admin/forget", data={"csrf": csrf(client, "/admin"), "confirm": "yes"})
    assert done.status_code == 303 and kit.forgetting.last["total"] >= stored
    after = kit.status()
    assert after["vision"]["tracked_total"] == 0 and (after["vision"]["in"], after["vision"]["out"]) == (0, 0)
    assert after["vision"]["first_inside"] == 0
    assert before["vision"]["counted_since"] < after["vision"]["counted_since"] <= time.time(), "counted from the wipe"
    assert after["store"]["written"] < 20 and sum(after["counts"].values()) < 20, "counted again from zero"
    assert "face" not in after["now"] or after["now"]["face"]["ts"] > 1.0
    assert eventually(lambda: kit.watching.in_view(), timeout=20)
    assert min(p.id for p in kit.watching.in_view()) == 1, "the next new person is #1"

    page = client.get("/admin").get_data(as_text=True)
    assert "Everything stored was erased: " in page and "The counters start again from zero." in page
    assert "Last done at" in page
    assert "Everything stored was erased at" in client.get("/").get_data(as_text=True)
    assert "Everything stored was erased at" in client.get("/data").get_data(as_text=True)
    assert client.get("/api/status").get_json()["last_forget"]["at"] == kit.forgetting.last["at"]


def test_next_class_resets_the_room_in_one_tap(client, app, kit, pin):
    from device.services.screen import VIEWS

    lesson = app.extensions["lesson"]
    lesson.move("3")
    kit.observations.publish(Observation(1.0, "camera", "face", None, {"count": 1}))
    assert kit.store.flush(5)
    login(client, pin, PHONE, "sr")
    response = client.post("/admin/next-class", data={"csrf": csrf(client, "/admin")})
    assert response.status_code == 303 and kit.forgetting.last["observations"]["face"] >= 1, "no second question"
    assert kit.status()["vision"]["tracked_total"] == 0
    assert lesson.step == 0, "the lesson back at its first step"
    if "summary" in VIEWS:
        assert kit.screen.view == "summary" and kit.status()["kiosk_view"] == "summary"
    page = client.get("/admin").get_data(as_text=True)
    assert "Spremno za sledeći čas" in page and "Sledeći čas: obriši sve odmah" in page


def test_one_tap_shows_the_camera_on_the_kiosk_before_the_class_summary_is_over(client, kit, pin):
    token = csrf(client, "/admin")
    assert client.post("/admin/kiosk-live", data={"csrf": token}).status_code == 403, "the PIN first"
    login(client, pin, PHONE, "sr")
    client.post("/admin/next-class", data={"csrf": csrf(client, "/admin")})
    page = client.get("/admin").get_data(as_text=True)
    assert 'id="kiosk-view"' in page and "Prikaži kameru na kiosku odmah" in page
    assert client.post("/admin/kiosk-live", data={}).status_code == 400, "CSRF like the other forms"
    assert kit.screen.view == "summary"
    response = client.post("/admin/kiosk-live", data={"csrf": csrf(client, "/admin")})
    assert response.status_code == 303 and kit.screen.view == "live" and kit.status()["kiosk_view"] == "live"
    page = client.get("/admin").get_data(as_text=True)
    assert "Kiosk sada prikazuje kameru." in page and 'id="kiosk-view"' not in page


def test_privacy_settings_survive_a_restart_and_a_damaged_file_gives_the_defaults(client, kit, pin, config, caplog):
    import json

    from device.kit import Kit

    login(client, pin, PHONE)
    client.post("/admin/settings", data={"csrf": csrf(client, "/admin"), "kiosk_clear": "on"})
    assert "Settings saved: they stay after a restart" in client.get("/admin").get_data(as_text=True)
    path = config.data_dir / "settings.json"
    assert json.loads(path.read_text()) == {"blur_public": False, "kiosk_clear": True}
    assert path.stat().st_mode & 0o777 == 0o600 and not list(config.data_dir.glob(".settings.json*"))
    assert "settings.json" in client.get("/data").get_data(as_text=True), "listed with the kit's other files"
    client.post("/admin/forget", data={"csrf": csrf(client, "/admin"), "confirm": "yes"})
    assert kit.privacy.settings == {"blur_public": False, "kiosk_clear": True} and path.exists(), \
        "forgetting everything leaves the settings: they are about no one"
    kit.stop()

    again = Kit(config)         # the kit restarted, on the same data directory
    try:
        assert again.privacy.settings == {"blur_public": False, "kiosk_clear": True}
    finally:
        again.stop()
    assert config.vision.blur_faces is True, "the config keeps the defaults"

    for damaged in ("{not json", "[true]", '{"blur_public": "no", "kiosk_clear": false}'):
        path.write_text(damaged)
        caplog.clear()
        again = Kit(config)
        try:
            settings = again.privacy.settings
        finally:
            again.stop()
        assert settings["blur_public"] is True, damaged
        assert any("settings.json" in r.getMessage() and r.levelname == "WARNING" for r in caplog.records), damaged
    assert settings["kiosk_clear"] is False, "what is readable in a damaged file still counts"


def test_when_everything_was_last_erased_is_shown_after_a_restart_too(kit, config, caplog):
    from device.kit import Kit

    wiped = kit.forgetting.everything()
    kit.stop()
    again = Kit(config)         # the kit restarted, on the same data directory
    again.start()
    try:
        assert again.forgetting.last["at"] == wiped["at"] and again.forgetting.last["total"] == wiped["total"]
        assert again.status()["last_forget"]["at"] == wiped["at"]
    finally:
        again.stop()
    (config.data_dir / "last-wipe.json").write_text('{"at": "yesterday"}')
    again = Kit(config)
    again.start()
    try:
        assert again.forgetting.last is None
    finally:
        again.stop()
    assert any("last-wipe.json" in r.getMessage() and r.levelname == "WARNING" for r in caplog.records)


def test_exports_carry_the_side_tables_with_iso_times(client, kit, pin):
    import csv
    import io
    import json
    from datetime import datetime

    now = time.time()
    kit.observations.publish(Observation(now, "camera", "person", "track:900", {
        "state": "left", "dwell_s": 3.0, "trajectory": [[now, 10, 20]], "signature": {"clothes": [0.5]}}))
    kit.observations.publish(Observation(now, "camera", "snapshot", "track:900", {
        "file": "snapshots/track-900.jpg", "blurred": True}))
    kit.visitors.record("visitor:" + "ab" * 16, now, {"user_agent": "Mozilla/5.0 \"quoted\", with commas"})
    assert kit.store.flush(5)
    login(client, pin, PHONE)

    rows = [json.loads(line) for line in client.get("/admin/export.jsonl").get_data(as_text=True).splitlines()]
    tables = {row["table"] for row in rows}
    assert tables == {"observations", "tracks", "visitors", "snapshots"}
    assert [r["table"] for r in rows] == sorted((r["table"] for r in rows), key=["observations", "tracks",
                                                                                 "visitors", "snapshots"].index)
    track = next(r for r in rows if r["table"] == "tracks" and r["subject"] == "track:900")
    assert track["trajectory"] == [[now, 10, 20]] and track["signature"] == {"clothes": [0.5]}
    visitor = next(r for r in rows if r["table"] == "visitors")
    assert visitor["details"]["user_agent"].endswith("with commas") and visitor["visits"] == 1
    snapshot = next(r for r in rows if r["table"] == "snapshots")
    assert snapshot["blurred"] is True and snapshot["file"] == "snapshots/track-900.jpg"
    for row in rows:
        for column in ("ts", "first_seen", "last_seen"):
            if column in row:
                parsed = datetime.fromisoformat(row[column])
                assert parsed.utcoffset() is not None, (row["table"], column, row[column])
    assert abs(datetime.fromisoformat(track["last_seen"]).timestamp() - now) < 0.001

    text = client.get("/admin/export.csv").get_data(as_text=True)
    found = list(csv.DictReader(io.StringIO(text)))
    def key(row: dict) -> tuple[str, str]:
        return row["table"], str(row.get("id") or row.get("subject"))

    # The kit goes on storing between the two exports: the CSV has every row the JSON lines had, and maybe newer.
    assert {r["table"] for r in found} == tables and {key(r) for r in rows} <= {key(r) for r in found}
    visitor = next(r for r in found if r["table"] == "visitors")
    assert json.loads(visitor["details"])["user_agent"].startswith("Mozilla/5.0 \"quoted\"")
    assert visitor["kind"] == "" and datetime.fromisoformat(visitor["first_seen"]).utcoffset() is not None


# ---- the PIN is never on a public screen (issue 13)

def test_the_kiosk_page_never_holds_the_pin_even_on_the_device(client, kit, pin):
    for environ in (DEVICE, PHONE):
        assert not has(client.get("/kiosk", environ_base=environ), pin)
    device, phone = (client.get("/kiosk", environ_base=e).get_data(as_text=True) for e in (DEVICE, PHONE))
    assert "Admin PIN set" in device and "view=kiosk" in device, "the device's own screen: its clear view"
    assert "Admin PIN" not in phone and "view=public" in phone
    assert client.get("/kiosk/pin", environ_base=DEVICE).get_json() == {"state": "hidden"}
    answer = client.get("/kiosk/pin", environ_base=PHONE)
    assert answer.status_code == 403 and "own screen" in answer.get_data(as_text=True)


def test_the_button_shows_the_pin_on_the_devices_own_screen_for_ten_seconds(client, kit, pin):
    clock = Clock()
    kit.pin_display.clock = clock
    kit.sensors.pin_after_s = 0.1
    button, pin_in = kit.sensors.devices["button"], kit._stimuli.button_pin
    pin_in.drive_low()
    assert eventually(lambda: (button.active_time or 0) > 0.2)     # held past the PIN's second, short of forgetting
    pin_in.drive_high()
    assert eventually(lambda: client.get("/kiosk/pin", environ_base=DEVICE).get_json()["state"] == "shown")
    shown = client.get("/kiosk/pin", environ_base=DEVICE)
    assert shown.get_json() == {"state": "shown", "pin": pin, "left_s": 10.0}
    assert shown.headers["Cache-Control"] == "no-store"
    assert client.get("/kiosk/pin", environ_base=PHONE).status_code == 403, "never to a phone"
    assert not has(client.get("/kiosk", environ_base=DEVICE), pin), "nor in the page: only /kiosk/pin has it"
    assert kit.screen.view == "live" and kit.forgetting.last is None, "only the PIN: no toggle, nothing forgotten"
    clock.now += 10
    assert client.get("/kiosk/pin", environ_base=DEVICE).get_json() == {"state": "hidden"}


def test_a_pin_made_by_reset_pin_is_never_shown_on_the_kiosk(client, kit, pin):
    kit.pin_display.show()
    assert client.get("/kiosk/pin", environ_base=DEVICE).get_json()["pin"] == pin
    new = AdminPin(kit.config.data_dir).reset()         # `awareness-kit admin reset-pin`, printed by that command
    answer = client.get("/kiosk/pin", environ_base=DEVICE)
    assert answer.get_json()["state"] == "unknown" and not has(answer, new)
    assert not has(answer, pin), "nor the old one, which no longer works"
    assert not has(client.get("/kiosk", environ_base=DEVICE), new)
