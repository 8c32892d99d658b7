"""The visitor's own page: what their phone revealed, the guess at which person they are, "forget me".

A visitor is a secret only they hold: a bare GET stores nothing, the cookie is a token nobody else sees,
a visitor answers only what the kit offered them, and "forget me" erases only what is theirs."""

from __future__ import annotations

import re
import time
from types import SimpleNamespace

import numpy as np

from device.observations import Observation
from tests.web.conftest import cookie, csrf, give_cookie

SUBJECT = re.compile(r"<code>(visitor:[0-9a-f]{32})</code>")
SERBIAN = {"Accept-Language": "sr-Latn-RS,sr;q=0.9"}


def arrive(client, **request) -> str:
    """Open /you as a phone's browser does (the page, then its script's report); the phone's subject."""
    token = csrf(client, "/you")
    response = client.post("/you/reveal", data={"csrf": token, "time_zone": "Europe/Belgrade"}, **request)
    assert response.status_code == 200, response.get_data(as_text=True)
    return SUBJECT.search(client.get("/you").get_data(as_text=True)).group(1)


def offer(kit, subject: str, track: str) -> None:
    """The kit's guess that *subject* holds the phone seen as *track* (as kit.visitors.guess stores it)."""
    guess = {"track": track, "id": int(track.split(":")[1]), "confidence": 0.5,
             "reasons": [{"why": "alone"}], "confirmed": None}
    kit.observations.publish(Observation(time.time(), "phone", "correlation", subject, guess, 0.5))


def person(kit, track: str) -> None:
    kit.observations.publish(Observation(time.time(), "camera", "person", track,
                                         {"state": "left", "dwell_s": 3.0, "looked": 1, "trajectory": []}))


def visitors(kit) -> int:
    return kit.store.side_rows("visitors")[0]


def snapshot(kit, track: str) -> int:
    """A picture of *track* kept as the vision pipeline keeps one (blurred); its id in the snapshots table."""
    image = np.full((120, 80, 3), 128, np.uint8)
    kit.snapshots.save(track, image, (20, 10, 40, 40), time.time())
    assert kit.store.flush(5)
    return next(r["id"] for r in kit.store.side_rows("snapshots")[1] if r["subject"] == track)


def nothing_new(kit, before: int) -> bool:
    """No visitor row and no guess were added since there were *before* visitor rows."""
    assert kit.store.flush(5)
    return visitors(kit) == before and kit.store.count(kind="correlation") == 0


def test_a_visitor_sees_what_their_phone_revealed_and_can_forget_themselves(client, kit):
    page = client.get("/you", headers={"User-Agent": "Mozilla/5.0 <script>alert(1)</script>",
                                       "Accept-Language": "sr-Latn,en;q=0.8"}).get_data(as_text=True)
    assert "sr-Latn,en;q=0.8" in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page
    subject = arrive(client, headers={"User-Agent": "Mozilla/5.0 <script>alert(1)</script>"})
    assert "<script>alert(1)</script>" in kit.store.visitor(subject)["details"], "stored as sent"
    assert "&lt;script&gt;alert(1)" in client.get("/data?table=visitors").get_data(as_text=True), "shown as text"
    offer(kit, subject, "track:42")
    person(kit, "track:42")
    person(kit, "track:43")
    assert kit.store.flush(5)
    token = csrf(client, "/you")
    assert client.post("/you/reveal", data={"csrf": token}).get_json()["visits"] == 2
    assert re.search(r"visit number\s+<strong>2</strong>", client.get("/you").get_data(as_text=True))
    said = client.post("/you/answer", data={"csrf": token, "track": "track:42", "answer": "yes"})
    assert said.status_code == 303
    assert "You said this is right" in client.get("/you").get_data(as_text=True)
    response = client.post("/you/forget", data={"csrf": token})
    assert response.status_code == 303
    assert "ak_visitor=;" in response.headers.get("Set-Cookie", "")
    after = client.get("/you").get_data(as_text=True)
    assert re.search(r"Done: [2-9] items about you were erased", after)
    assert kit.store.count(subject=subject) == 0 and kit.store.visitor(subject) is None
    assert kit.store.count(subject="track:42") == 0, "the track they said is them goes with them"
    assert kit.store.count(subject="track:43") == 1, "someone else's track stays"


def test_the_phone_is_linked_to_the_person_in_view_and_a_no_keeps_their_data(client, kit):
    from tests.helpers import eventually

    assert eventually(lambda: kit.watching.in_view(), 10)
    arrive(client)                                        # the guess is made for a phone with a visit
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


# ---- issue 13: "a visitor is a secret only they hold"; each fails on the code before it


def test_a_visitor_may_answer_only_about_a_track_the_kit_offered_them(client, kit):
    subject = arrive(client)
    offer(kit, subject, "track:41")
    assert kit.store.flush(5)
    token = csrf(client, "/you")
    for track, said in (("track:43", "yes"), ("track:44", "no"), ("track:7", "yes")):     # never offered
        response = client.post("/you/answer", data={"csrf": token, "track": track, "answer": said})
        assert response.status_code == 403 and "did not offer" in response.get_data(as_text=True), track
    assert client.post("/you/answer", data={"csrf": token, "track": "track:41", "answer": "yes"}).status_code == 303
    assert kit.store.count(subject=subject, kind="correlation") == 2, "the guess and the one answer allowed"


def test_forget_me_erases_the_tracks_they_confirmed_never_a_guess_unanswered_or_denied(client, kit):
    subject = arrive(client)
    for track in ("track:41", "track:42", "track:43"):
        person(kit, track)
        offer(kit, subject, track)
    assert kit.store.flush(5)
    token = csrf(client, "/you")
    client.post("/you/answer", data={"csrf": token, "track": "track:41", "answer": "yes"})   # theirs
    client.post("/you/answer", data={"csrf": token, "track": "track:43", "answer": "no"})    # someone else
    client.post("/you/forget", data={"csrf": token})                                        # track:42 unanswered
    assert kit.store.count(subject="track:42") == 1, "a guess they did not answer is not theirs to erase"
    assert kit.store.count(subject="track:43") == 1, "nor one they said was someone else"
    assert kit.store.count(subject="track:41") == 0, "the track they confirmed goes with them"
    assert kit.store.count(subject=subject) == 0


def test_a_subject_shown_anywhere_is_no_use_as_a_cookie(app, client, kit):
    victim = arrive(client)
    offer(kit, victim, "track:5")
    assert kit.store.flush(5)
    listed = app.test_client().get("/data?table=visitors").get_data(as_text=True)
    api = app.test_client().get("/api/observations?kind=correlation").get_json()["observations"]
    assert victim in listed and victim in {o["subject"] for o in api}
    hex_part = victim.removeprefix("visitor:")
    for value in (victim, hex_part, hex_part * 2, hex_part.upper() * 2):
        thief = app.test_client()
        give_cookie(thief, "ak_visitor", value)
        page = thief.get("/you").get_data(as_text=True)
        assert victim not in page and "Europe/Belgrade" not in page, f"{value} reads the victim's page"
        thief.post("/you/forget", data={"csrf": csrf(thief, "/you")})
        give_cookie(thief, "ak_visitor", value)
        thief.post("/you/answer", data={"csrf": csrf(thief, "/you"), "track": "track:5", "answer": "yes"})
        assert kit.store.visitor(victim) is not None and kit.store.count(subject=victim) >= 1, f"{value} erased"
    held = cookie(client, "ak_visitor")
    assert held.http_only and held.same_site == "Lax" and not held.secure
    assert hex_part not in held.value, "the cookie is not what is shown"
    assert held.value not in listed and held.value not in str(api)
    key = kit.store.data_dir / "visitor.key"
    assert key.stat().st_mode & 0o777 == 0o600
    made = key.read_text()
    assert arrive(app.test_client()) and key.read_text() == made, "the key is made once"
    secure = app.test_client()
    token = csrf(secure, "https://localhost/you")
    assert secure.post("https://localhost/you/reveal", data={"csrf": token}).status_code == 200
    assert cookie(secure, "ak_visitor").secure


def test_a_bare_get_stores_nothing_and_makes_no_guess(app, kit, monkeypatch):
    someone = SimpleNamespace(id=3, first_seen=time.time(), looking=True)
    monkeypatch.setattr(kit.visitors, "_in_view", lambda: [someone])      # a person the kit could link to
    for _ in range(100):
        app.test_client().get("/you")
    page = app.test_client().get("/you", headers={"User-Agent": "Mozilla/5.0 (Linux; Android 14; Pixel 8)",
                                                  "Accept-Language": "de-AT"}).get_data(as_text=True)
    assert kit.store.flush(5)
    assert visitors(kit) == 0 and kit.store.count(kind="correlation") == 0, "no rows, no guesses"
    assert "Android 14" in page and "de-AT" in page and "127.0.0.1" in page, "shown, not stored"
    assert "stored yet" in page and not SUBJECT.search(page)
    phone = app.test_client()
    assert phone.post("/you/reveal", data={"csrf": csrf(phone, "/you")}).get_json()["created"] is True
    assert visitors(kit) == 1
    assert kit.store.count(kind="correlation") == 1, "the phone with a row gets its guess"


def test_new_visitors_are_bounded_per_address(app, kit):
    answers = []
    for _ in range(11):
        phone = app.test_client()
        answers.append(phone.post("/you/reveal", data={"csrf": csrf(phone, "/you")}))
    assert [r.status_code for r in answers] == [200] * 10 + [429]
    refused = answers[-1]
    assert 0 < int(refused.headers["Retry-After"]) <= 60 and "too many new visitors" in refused.get_json()["reason"]
    assert "ak_visitor" not in refused.headers.get("Set-Cookie", "")
    assert visitors(kit) == 10
    elsewhere = app.test_client()
    token = csrf(elsewhere, "/you")
    assert elsewhere.post("/you/reveal", data={"csrf": token},
                          environ_base={"REMOTE_ADDR": "192.168.4.23"}).status_code == 200


def test_every_bad_answer_gets_a_4xx_with_a_reason_and_erases_nothing(app, client, kit):
    subject = arrive(client)
    offer(kit, subject, "track:7")
    person(kit, "track:7")
    assert kit.store.flush(5)
    token = csrf(client, "/you")
    bad = [{"track": "track:²", "answer": "yes"}, {"track": "track:٣", "answer": "yes"},
           {"track": "track:" + "9" * 400, "answer": "yes"}, {"answer": "yes"}, {"track": "track:7"},
           {"track": "track:7", "answer": "maybe"}, {"track": "track:7", "answer": "YES" * 1000},
           {"track": ["track:7", "track:8"], "answer": "ja"}]
    for form in bad:
        response = client.post("/you/answer", data={"csrf": token, **form})
        assert 400 <= response.status_code < 500, form
        assert "must" in response.get_data(as_text=True), form
    stranger = app.test_client()
    response = stranger.post("/you/answer", data={"csrf": csrf(stranger, "/you"), "track": "track:7",
                                                  "answer": "yes"})
    assert response.status_code == 403 and "open /you first" in response.get_data(as_text=True)
    odd = client.post("/you/reveal", data={"csrf": token, "screen": "²" * 5000, "time_zone": "\x00\ud7ff"})
    assert odd.status_code == 200 and len(odd.get_json()["stored"]["screen"]) == 100
    client.post("/you/forget", data={"csrf": token})
    assert kit.store.count(subject="track:7") == 1, "nothing was confirmed, so nothing of track:7 went"


# ---- issue 15: "/you that a visitor can trust"


def test_after_forget_me_nothing_is_recorded_until_the_visitor_carries_on(client, kit, monkeypatch):
    someone = SimpleNamespace(id=3, first_seen=time.time(), looking=True)
    monkeypatch.setattr(kit.visitors, "_in_view", lambda: [someone])      # a person the kit could link to
    subject = arrive(client)
    assert visitors(kit) == 1 and kit.store.count(kind="correlation") == 1
    forgot = client.post("/you/forget", data={"csrf": csrf(client, "/you")})
    assert forgot.status_code == 303 and forgot.headers["Location"].endswith("/you#erased")
    assert "ak_visitor=;" in forgot.headers["Set-Cookie"] and cookie(client, "ak_forgotten").value == "1"
    assert kit.store.count(subject=subject) == 0 and visitors(kit) == 0
    for _ in range(3):                                      # the confirmation, reloaded
        confirmation = client.get("/you")
        assert "ak_visitor" not in confirmation.headers.get("Set-Cookie", ""), "no new cookie"
        page = confirmation.get_data(as_text=True)
        assert "Done: 2 items about you were erased:" in page
        assert "1 record of your visits" in page and "1 guess or answer about which person you are" in page
        assert 'data-report="no"' in page, "the page's script stores nothing on the confirmation"
        assert not SUBJECT.search(page) and "visit number" not in page and "We think you are" not in page
        assert "Start a new record" in page and "Forget me" not in page
    assert nothing_new(kit, 0), "the confirmation records nobody and guesses nothing"
    token = csrf(client, "/you")
    refused = client.post("/you/reveal", data={"csrf": token, "time_zone": "Europe/Belgrade"})
    assert refused.status_code == 409 and "Start a new record" in refused.get_json()["reason"]
    assert "ak_visitor" not in refused.headers.get("Set-Cookie", "")
    assert nothing_new(kit, 0), "not even the page's script records the visitor"
    assert client.post("/you/answer", data={"csrf": token, "track": "track:3", "answer": "yes"}).status_code == 403

    carry_on = client.post("/you/again", data={"csrf": token})
    assert carry_on.status_code == 303 and "ak_visitor" not in carry_on.headers.get("Set-Cookie", "")
    assert cookie(client, "ak_forgotten") is None, "the phone no longer says it asked to be forgotten"
    page = client.get("/you").get_data(as_text=True)
    assert 'data-report="yes"' in page and "Done:" not in page and "Forget me" in page
    reply = client.post("/you/reveal", data={"csrf": token})       # what the page's script does
    assert reply.status_code == 200 and reply.get_json()["created"] is True
    assert "ak_visitor=" in reply.headers["Set-Cookie"], "a new cookie, now that the visitor chose it"
    again = reply.get_json()["subject"]
    assert again != subject and visitors(kit) == 1 and kit.store.count(subject=again, kind="correlation") == 1
    assert re.search(r"visit number\s+<strong>1</strong>", client.get("/you").get_data(as_text=True))


def test_a_phone_that_asked_to_be_forgotten_stays_forgotten_in_a_new_browser_session(app, kit):
    phone = app.test_client()
    give_cookie(phone, "ak_forgotten", "1")         # what "forget me" left; the session that saw it is gone
    page = phone.get("/you", headers=SERBIAN).get_data(as_text=True)
    assert "Tražili ste da vas ovaj uređaj zaboravi." in page and 'data-report="no"' in page
    assert "Gotovo" not in page, "what was erased is not known to this session"
    assert phone.post("/you/reveal", data={"csrf": csrf(phone, "/you")}).status_code == 409
    assert nothing_new(kit, 0)
    phone.post("/you/again", data={"csrf": csrf(phone, "/you")})
    assert phone.post("/you/reveal", data={"csrf": csrf(phone, "/you")}).get_json()["created"] is True


def test_forget_me_without_a_record_erases_nothing_and_says_so(client, kit):
    client.post("/you/forget", data={"csrf": csrf(client, "/you")})
    page = client.get("/you", headers=SERBIAN).get_data(as_text=True)
    assert "Gotovo: o vama ništa nije bilo sačuvano, pa nije bilo šta da se obriše." in page
    assert 'data-report="no"' in page and "Započni novi zapis" in page
    assert nothing_new(kit, 0)


def test_what_was_erased_is_named_in_words_with_plural_forms(client, kit):
    subject = arrive(client)
    for track in ("track:41", "track:42"):
        person(kit, track)
        offer(kit, subject, track)
    assert kit.store.flush(5)
    token = csrf(client, "/you")
    for track in ("track:41", "track:42"):
        client.post("/you/answer", data={"csrf": token, "track": track, "answer": "yes"})
    client.post("/you/forget", data={"csrf": token})
    english = client.get("/you").get_data(as_text=True)
    assert "Done: 9 items about you were erased:" in english
    for words in ("1 record of your visits", "4 guesses and answers about which person you are",
                  "2 camera tracks of people you said are you", "2 observations of the kind “People tracked”"):
        assert words in english, words
    serbian = client.get("/you", headers=SERBIAN).get_data(as_text=True)
    assert "Gotovo: obrisano je 9 stavki o vama:" in serbian
    for words in ("1 zapis o vašim posetama", "4 nagađanja i odgovora o tome koja ste osoba",
                  "2 praćenja kamerom osoba za koje ste rekli da ste vi", "2 zapažanja vrste „Praćeni ljudi“"):
        assert words in serbian, words


def test_stored_rows_read_as_sentences_in_the_pages_language_and_as_stored(client, kit):
    pixel = {"User-Agent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) Mobile"}
    subject = arrive(client, headers=pixel)
    offer(kit, subject, "track:28")
    assert kit.store.flush(5)
    token = csrf(client, "/you")
    client.post("/you/answer", data={"csrf": token, "track": "track:28", "answer": "no"})
    english = client.get("/you").get_data(as_text=True)
    stored = english[english.index('<div id="you-stored">'):]
    assert "Your phone was linked to person #28 (50% sure)." in stored
    assert "You said person #28 is someone else." in stored
    assert re.search(r"Your phone's visits to this page: 1 visit; the first: ", stored)
    assert "Device: Android phone (Pixel 8)" in stored and "Time zone: Europe/Belgrade" in stored
    assert ">correlation<" not in stored and "<td>correlation" not in stored, "no kind identifiers as text"
    assert stored.count("<summary>as stored</summary>") == 3, "each row also as stored"
    assert '"track": "track:28"' in stored, "the raw value is still there"
    serbian = client.get("/you", headers={**SERBIAN, **pixel}).get_data(as_text=True)
    assert "Vaš telefon je povezan sa osobom br. 28 (sigurnost 50%)." in serbian
    assert "Rekli ste da je osoba br. 28 neko drugi." in serbian
    assert "Uređaj: Android telefon (Pixel 8)" in serbian, "stored, and shown in the page's language"
    assert '<dd id="f-device">Android telefon (Pixel 8)</dd>' in serbian
    assert "kako je sačuvano" in serbian
    client.post("/you/reveal", data={"csrf": token})
    assert "2 visits;" in client.get("/you").get_data(as_text=True)
    for n, form in ((2, "2 posete"), (3, "3 posete"), (4, "4 posete"), (5, "5 poseta")):
        if n > 2:
            client.post("/you/reveal", data={"csrf": token})
        assert f"Posete vašeg telefona ovoj stranici: {form};" in client.get("/you", headers=SERBIAN).get_data(
            as_text=True), form


def test_the_guess_shows_the_guessed_persons_picture_so_the_visitor_can_check_it(client, kit, monkeypatch):
    pictured = SimpleNamespace(id=28, first_seen=time.time(), looking=True)
    picture = snapshot(kit, "track:28")
    monkeypatch.setattr(kit.visitors, "_in_view", lambda: [pictured])
    token = csrf(client, "/you")
    reply = client.post("/you/reveal", data={"csrf": token}).get_json()
    assert reply["guess"]["track"] == "track:28" and reply["picture"]["id"] == picture
    guess = reply["parts"]["you-guess"]
    assert "We think you are <strong>person #28</strong>" in guess
    assert f'<img src="/snapshots/{picture}.jpg"' in guess and 'alt="The picture the kit kept of person #28"' in guess
    assert f'src="/snapshots/{picture}.jpg"' in client.get("/you").get_data(as_text=True)

    nobody_pictured = SimpleNamespace(id=29, first_seen=time.time(), looking=True)
    monkeypatch.setattr(kit.visitors, "_in_view", lambda: [nobody_pictured])
    other = client.application.test_client()
    guess = other.post("/you/reveal", data={"csrf": csrf(other, "/you")}).get_json()["parts"]["you-guess"]
    assert "person #29" in guess and "No picture was kept of this person." in guess and "<img" not in guess


def test_the_report_replies_with_the_parts_it_changed_so_the_page_is_rendered_once(client, kit):
    page = client.get("/you", headers={"User-Agent": "Mozilla/5.0 <b>bold</b>"}).get_data(as_text=True)
    assert all(f'<div id="{part}">' in page for part in ("you-who", "you-guess", "you-stored"))
    reply = client.post("/you/reveal", data={"csrf": csrf(client, "/you"), "time_zone": "<i>Mars</i>"},
                        headers={"User-Agent": "Mozilla/5.0 <b>bold</b>"}).get_json()
    assert set(reply) >= {"stored", "subject", "visits", "created", "guess", "picture", "parts"}
    parts = reply["parts"]
    assert set(parts) == {"you-who", "you-guess", "you-stored"}
    assert f"<code>{reply['subject']}</code>" in parts["you-who"] and "<strong>1</strong>" in parts["you-who"]
    assert "Nobody was in front of the camera" in parts["you-guess"]
    assert "&lt;i&gt;Mars&lt;/i&gt;" in parts["you-stored"] and "&lt;b&gt;bold&lt;/b&gt;" in parts["you-stored"]
    assert "<i>" not in parts["you-stored"] and "<b>" not in parts["you-stored"], "what a phone sent is escaped"
    serbian = client.post("/you/reveal", data={"csrf": csrf(client, "/you")}, headers=SERBIAN).get_json()
    assert "Ovo je poseta broj" in serbian["parts"]["you-who"], "in the page's language"


def test_forget_me_in_an_exhibition_follows_the_erasure_on_the_other_kits(client, kit, monkeypatch):
    from device.exhibition.erasing import Erased

    arrive(client)
    erased = Erased({"visitors": 1, "correlation": 2})
    erased.command = "c0ffee"
    monkeypatch.setattr(kit.forgetting, "me", lambda subject: erased)     # what ForgettingEverywhere returns
    client.post("/you/forget", data={"csrf": csrf(client, "/you")})
    for _ in range(2):                                  # reloaded: the line goes on following the command
        page = client.get("/you").get_data(as_text=True)
        assert re.search(r'<p class="note" id="everywhere" [^>]*data-command="c0ffee"', page)
        assert "Done: 3 items about you were erased:" in page and "2 guesses and answers" in page


def test_what_the_kit_knows_about_a_visitor_is_never_kept_by_the_browser(client):
    assert client.get("/you").headers["Cache-Control"] == "no-store"
