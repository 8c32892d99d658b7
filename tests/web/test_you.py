"""The visitor's own page: what their phone revealed, the guess at which person they are, "forget me".

A visitor is a secret only they hold: a bare GET stores nothing, the cookie is a token nobody else sees,
a visitor answers only what the kit offered them, and "forget me" erases only what is theirs."""

from __future__ import annotations

import re
import time
from types import SimpleNamespace

from device.observations import Observation
from tests.web.conftest import cookie, csrf, give_cookie

SUBJECT = re.compile(r"<code>(visitor:[0-9a-f]{32})</code>")


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
    assert re.search(r"Done: \d+ items about you were erased", after)
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


def test_after_forget_me_the_page_shows_the_erasure_and_records_nobody(client, kit):
    subject = arrive(client)
    assert visitors(kit) == 1
    forgot = client.post("/you/forget", data={"csrf": csrf(client, "/you")})
    assert forgot.status_code == 303
    confirmation = client.get("/you")
    assert kit.store.flush(5)
    assert visitors(kit) == 0 and kit.store.count(subject=subject) == 0, "the confirmation records nobody"
    assert kit.store.count(kind="correlation") == 0, "and makes no new guess"
    page = confirmation.get_data(as_text=True)
    assert re.search(r"Done: [1-9]\d* items about you were erased", page) and "stored now" in page
    assert 'data-report="no"' in page, "the page's script stores nothing on the confirmation"
    assert "ak_visitor" not in confirmation.headers.get("Set-Cookie", ""), "no new cookie"
    assert not SUBJECT.search(page) and "visit number" not in page
